package exporters

import (
	"context"
	"errors"
	"log/slog"
	"time"

	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// ErrSignalNotSupported is returned, wrapped, by a backend asked for a signal
// its vendor does not take over this transport.
var ErrSignalNotSupported = errors.New("signal not supported by this backend")

// Settings is what bootstrap resolves before it builds any backend: the
// environment's profile and the pieces every backend shares.
type Settings struct {
	// Environment is the profile name: development, staging, production or test.
	Environment string
	// Lookup reads environment variables; backends read theirs through it.
	Lookup func(key string) (string, bool)
	// Resource describes the service; it is the one every backend sees.
	Resource       *resource.Resource
	ServiceName    string
	ServiceVersion string
	// Strict is set in staging and production: credentials are required and
	// plaintext to a host that is not loopback is refused unless AllowInsecure.
	Strict        bool
	AllowInsecure bool
	Batch         Batch
	// ExportTimeout bounds each export call.
	ExportTimeout time.Duration
	// Metrics asks for a metric reader where the backend takes metrics.
	Metrics        bool
	MetricInterval time.Duration
	// MetricTimeout bounds each metric export; zero means ExportTimeout.
	MetricTimeout time.Duration
	// RuntimeMetrics is TELEMETRY_RUNTIME_METRICS: bootstrap adds the Go
	// runtime and process instruments itself; a backend with a runtime
	// metrics path of its own (dd-trace-go's DogStatsD) follows it too.
	RuntimeMetrics bool
	// MetricProducers are added to every metric reader: the Go runtime's
	// scheduler histograms, which no instrument reports.
	MetricProducers []sdkmetric.Producer
	// Logs asks for a log processor where the backend takes OTLP logs
	// (TELEMETRY_LOGS=export or both). LogBatch and LogExportTimeout size its
	// queue (OTEL_BLRP_*).
	Logs             bool
	LogBatch         Batch
	LogExportTimeout time.Duration
	// Logger receives the library's own diagnostics, such as failed exports.
	Logger *slog.Logger
	// NoRetry asks exporters to return an export's error at once instead of
	// retrying until the export timeout: `otelswitch doctor` wants the cause
	// (a refused connection), not the deadline that hid it.
	NoRetry bool
}

// Batch sizes a backend's queue.
type Batch struct {
	// Delay is the longest a span or log record waits in the queue before
	// it is sent.
	Delay time.Duration
	// MaxQueue bounds memory: items beyond it are dropped and counted.
	MaxQueue int
	// MaxExport is the most items sent in one export call.
	MaxExport int
}

// Backend is one destination assembled by a Factory. It carries up to three
// things the SDK plugs in, one per signal, each nil where the vendor takes no
// such signal over this transport, and each behind its own bounded queue
// counted in Stats:
//
//	spans    SpanProcessor  (NewBatchProcessor over an exporter, or a vendor tracer)
//	metrics  MetricReader   (a periodic reader over CountMetrics(exporter))
//	logs     LogProcessor   (NewLogProcessor over an exporter)
//
// A backend whose vendor takes logs some other way (Datadog native: stdout
// JSON tailed by the Agent) leaves LogProcessor nil and says so in Config.
type Backend struct {
	// Name is the name the backend is registered under.
	Name string
	// Config is the backend's resolved configuration. Credentials in it are
	// secret.String, so it can be printed and encoded as it is.
	Config any
	// SpanProcessor receives every span; usually NewBatchProcessor over an
	// exporter.
	SpanProcessor sdktrace.SpanProcessor
	// MetricReader is nil when the backend takes no metrics.
	MetricReader sdkmetric.Reader
	// LogProcessor is nil when the backend takes no OTLP logs, or
	// Settings.Logs is false; usually NewLogProcessor over an exporter.
	LogProcessor sdklog.Processor
	// LogResource is the resource this backend's log records are sent
	// with, where the backend rewrites it (a vendor's service name); nil
	// means Settings.Resource. A log record's resource is fixed by its
	// LoggerProvider, so bootstrap gives such a backend a provider of its own.
	LogResource *resource.Resource
	// LogsVia says, for Config, where the backend's logs go when it has no
	// LogProcessor by design: "none: ..." for a backend that takes no logs,
	// or the vendor's own path, such as stdout JSON tailed by the Datadog
	// Agent. Empty with a nil LogProcessor means logs are not exported
	// (TELEMETRY_LOGS=local).
	LogsVia string
	// Correlate returns the log attributes the vendor joins logs to traces
	// on; nil means the default hex trace_id and span_id.
	Correlate func(trace.SpanContext) []slog.Attr
	// Propagators are the propagators this backend wants in the default
	// set, when OTEL_PROPAGATORS is unset: Datadog's, say, beside
	// tracecontext and baggage.
	Propagators []NamedPropagator
	// Stats counts what the backend sent and lost, per signal.
	Stats *Counters
	// Endpoints says where each signal goes, for the startup log and
	// `otelswitch doctor`; empty for a backend that sends nowhere.
	Endpoints []Endpoint
	// Sampler, when set, decides instead of OTEL_TRACES_SAMPLER: the
	// vendor's own sampling variables are set (Datadog's rules in native
	// mode). TELEMETRY_SAMPLER_RATE_LIMIT still applies over it.
	Sampler sdktrace.Sampler
}

// Factory builds one kind of backend.
type Factory interface {
	// Spec returns a pointer to the zero configuration struct the backend
	// reads with envconfig; the generated variable reference is made from it.
	Spec() any
	// Detect reports whether the variables that identify this vendor are set,
	// for choosing a backend in staging and production.
	Detect(lookup func(string) (string, bool)) bool
	// New reads and validates the backend's variables and builds it. It must
	// not wait on the network.
	New(ctx context.Context, s Settings) (*Backend, error)
}
