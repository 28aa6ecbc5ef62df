package bootstrap

// Rule says which source wins for one setting that several variables can
// set: Order lists them from the one that wins to the default.
type Rule struct {
	Setting string
	Order   []string
}

// Precedence is the one precedence table between options, TELEMETRY_*,
// OTEL_* and vendor variables. docs/configuration.md shows it, and
// TestPrecedence proves every step of it. The general principle: an option
// in code wins over any variable; a TELEMETRY_* variable wins over the
// standard OTEL_* one for the same setting; a vendor's variable wins over
// both for that vendor only; the more specific standard variable (per
// signal, per span) wins over the general one; the profile fills the rest.
var Precedence = []Rule{
	{"environment (profile)", []string{"WithEnvironment", "ENVIRONMENT", "default: development"}},
	{"backends", []string{"TELEMETRY_BACKEND", "OTEL_TRACES_EXPORTER (and OTEL_METRICS_EXPORTER)", "OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (development and test; a detected vendor in staging and production)", "profile: jaeger in development, none in test, detected from vendor variables in staging and production"}},
	{"service.name", []string{"WithServiceName", "OTEL_SERVICE_NAME", "service.name in OTEL_RESOURCE_ATTRIBUTES", "default: unknown_service:<executable>"}},
	{"service.version", []string{"WithServiceVersion", "SERVICE_VERSION", "service.version in OTEL_RESOURCE_ATTRIBUTES", "default: the main module's version"}},
	{"service.instance.id", []string{"service.instance.id in OTEL_RESOURCE_ATTRIBUTES", "default: a UUID made once per process"}},
	{"k8s.pod.name (and the other k8s.* attributes)", []string{"k8s.pod.name in OTEL_RESOURCE_ATTRIBUTES", "K8S_POD_NAME", "OTEL_RESOURCE_ATTRIBUTES_POD_NAME (the OpenTelemetry Operator's)", "default: unset"}},
	{"Datadog service", []string{"DD_SERVICE", "service in DD_TAGS", "service.name (above)"}},
	{"Datadog env", []string{"DD_ENV", "env in DD_TAGS", "ENVIRONMENT (above)"}},
	{"Datadog version", []string{"DD_VERSION", "version in DD_TAGS", "service.version (above)"}},
	{"sampler", []string{"DD_TRACE_SAMPLE_RATE or DD_TRACE_SAMPLING_RULES (datadog backend in native mode)", "OTEL_TRACES_SAMPLER", "profile: parentbased_always_on, always_on in test, parentbased_traceidratio (1) in production"}},
	{"sampler rate limit", []string{"TELEMETRY_SAMPLER_RATE_LIMIT (over whichever sampler decides)", "DD_TRACE_RATE_LIMIT (datadog rules only, default 100)", "default: none"}},
	{"export timeout", []string{"TELEMETRY_EXPORT_TIMEOUT", "OTEL_BSP_EXPORT_TIMEOUT", "profile"}},
	{"batch delay", []string{"OTEL_BSP_SCHEDULE_DELAY", "profile"}},
	{"queue size", []string{"OTEL_BSP_MAX_QUEUE_SIZE", "profile"}},
	{"export batch size", []string{"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "profile"}},
	{"metric interval", []string{"OTEL_METRIC_EXPORT_INTERVAL", "profile"}},
	{"metrics on", []string{"TELEMETRY_METRICS=false or OTEL_METRICS_EXPORTER=none (either turns them off)", "default: on"}},
	{"span attribute count", []string{"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "OTEL_ATTRIBUTE_COUNT_LIMIT", "default: 128"}},
	{"span attribute value length", []string{"OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "default: unlimited"}},
}
