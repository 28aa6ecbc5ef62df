package bootstrap

import (
	"time"

	"github.com/otelswitch/otelswitch/internal/envconf"
)

// Every variable bootstrap itself reads. Each backend reads its own.
const (
	envEnvironment        = "ENVIRONMENT"
	envBackend            = "TELEMETRY_BACKEND"
	envServiceName        = "OTEL_SERVICE_NAME"
	envServiceVersion     = "SERVICE_VERSION"
	envResourceAttributes = "OTEL_RESOURCE_ATTRIBUTES"
	envSampler            = "OTEL_TRACES_SAMPLER"
	envSamplerArg         = "OTEL_TRACES_SAMPLER_ARG"
	envPropagators        = "OTEL_PROPAGATORS"
	envLogFormat          = "TELEMETRY_LOG_FORMAT"
	envLogLevel           = "TELEMETRY_LOG_LEVEL"
	envShutdownTimeout    = "TELEMETRY_SHUTDOWN_TIMEOUT"
	envExportTimeout      = "TELEMETRY_EXPORT_TIMEOUT"
	envMetrics            = "TELEMETRY_METRICS"
	envLogs               = "TELEMETRY_LOGS"
	envBLRPDelay          = "OTEL_BLRP_SCHEDULE_DELAY"
	envBLRPTimeout        = "OTEL_BLRP_EXPORT_TIMEOUT"
	envBLRPMaxQueue       = "OTEL_BLRP_MAX_QUEUE_SIZE"
	envBLRPMaxExport      = "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE"
	envRuntimeMetrics     = "TELEMETRY_RUNTIME_METRICS"
)

// EnvInput is the input: what bootstrap reads from the environment. Options
// (the options type, set by Option values) override it, and ResolvedConfig is
// the result. The tags name each variable in full; docs/configuration.md is
// generated from them.
type EnvInput struct {
	Environment        string         `envconfig:"ENVIRONMENT" default:"development" desc:"development, staging, production or test: selects the profile (default backend, sampler, batching, TLS policy, log format)."`
	Backend            string         `envconfig:"TELEMETRY_BACKEND" desc:"Backend, or comma list for fan-out: jaeger, datadog, newrelic, elastic, otlp, stdout, none. Unset: the profile's default (development: jaeger; test: none; staging and production: detected from the vendor credentials that are set)."`
	ServiceName        string         `envconfig:"OTEL_SERVICE_NAME" desc:"service.name. Default: service.name in OTEL_RESOURCE_ATTRIBUTES, else unknown_service:<executable>."`
	ServiceVersion     string         `envconfig:"SERVICE_VERSION" desc:"service.version. Default: service.version in OTEL_RESOURCE_ATTRIBUTES, else the main module's version."`
	ResourceAttributes string         `envconfig:"OTEL_RESOURCE_ATTRIBUTES" desc:"Extra resource attributes: key1=value1,key2=value2, values percent-encoded where needed."`
	Sampler            string         `envconfig:"OTEL_TRACES_SAMPLER" desc:"always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio, jaeger_remote or parentbased_jaeger_remote (strategies polled from Jaeger's remote_sampling extension or a Collector's jaegerremotesampling). Default from the profile."`
	SamplerArg         string         `envconfig:"OTEL_TRACES_SAMPLER_ARG" desc:"Ratio for the traceidratio samplers, a number from 0 to 1. For the jaeger_remote samplers: endpoint=<URL of the sampling server, default http://localhost:5778/sampling>,pollingIntervalMs=<default 60000>,initialSamplingRate=<used until the first answer, default 0.001>."`
	Propagators        string         `envconfig:"OTEL_PROPAGATORS" desc:"Comma list: tracecontext, baggage, b3, b3multi, jaeger, datadog, none. Default tracecontext,baggage, plus datadog when a datadog backend is chosen."`
	SDKDisabled        bool           `envconfig:"OTEL_SDK_DISABLED" desc:"true: install no-op providers; Init still returns a working handle."`
	Metrics            bool           `envconfig:"TELEMETRY_METRICS" default:"true" desc:"false: no metrics are exported."`
	AllowInsecure      bool           `envconfig:"TELEMETRY_ALLOW_INSECURE" desc:"true: allow plaintext to hosts that are not loopback in staging and production."`
	ShutdownTimeout    *time.Duration `envconfig:"TELEMETRY_SHUTDOWN_TIMEOUT" desc:"Bound on Shutdown, flushing included. Default from the profile (5s development, 10s staging and production)."`
	ExportTimeout      *time.Duration `envconfig:"TELEMETRY_EXPORT_TIMEOUT" desc:"Bound on each export call. Default from the profile."`
	LogFormat          string         `envconfig:"TELEMETRY_LOG_FORMAT" desc:"text or json, for the trace-correlated logger. Default: text in development and test, json in staging and production."`
	LogLevel           string         `envconfig:"TELEMETRY_LOG_LEVEL" default:"info" desc:"debug, info, warn or error."`
	StartupLog         bool           `envconfig:"TELEMETRY_STARTUP_LOG" default:"true" desc:"false: no startup line (backends, endpoints, sampler, profile, signals; credentials never shown). Warnings about settings that look wrong in staging and production are logged regardless."`
	StandardEnv
	DetectEnv
	SamplingEnv

	Logs                   string `envconfig:"TELEMETRY_LOGS" desc:"Where the records of slog.Default and Telemetry.Logger go: local (the text or JSON output), export (the backends that take OTLP logs, with trace and span IDs) or both. Default: local in development and test, both in staging and production."`
	BLRPScheduleDelay      *int   `envconfig:"OTEL_BLRP_SCHEDULE_DELAY" desc:"Longest a log record waits before it is exported, in milliseconds. Default 1000."`
	BLRPExportTimeout      *int   `envconfig:"OTEL_BLRP_EXPORT_TIMEOUT" desc:"Bound on each log export, in milliseconds. Default: TELEMETRY_EXPORT_TIMEOUT, else the profile's."`
	BLRPMaxQueueSize       *int   `envconfig:"OTEL_BLRP_MAX_QUEUE_SIZE" desc:"Log records each backend queues; beyond it records are dropped and counted in Stats. Default 2048."`
	BLRPMaxExportBatchSize *int   `envconfig:"OTEL_BLRP_MAX_EXPORT_BATCH_SIZE" desc:"Most log records in one export, at most OTEL_BLRP_MAX_QUEUE_SIZE. Default 512."`
	RuntimeMetrics         bool   `envconfig:"TELEMETRY_RUNTIME_METRICS" default:"true" desc:"false: no Go runtime (memory, GC, goroutines, scheduler) and process (CPU time, RSS, open file descriptors) metrics. They go wherever metrics go."`
}

func readEnv(lookup envconf.LookupFunc) (EnvInput, error) {
	var e EnvInput
	err := envconf.Process(lookup, &e)
	if m, _ := ParseExporters(envMetricsExporter, e.MetricsExporter); len(m) == 1 && m[0] == "none" {
		e.Metrics = false
	}
	return e, err
}
