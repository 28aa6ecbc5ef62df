package bootstrap

import "strings"

// enumVariables hold a name from a fixed set. The specification asks for
// such values to be read case-insensitively; lowering them where they are
// read, once, spares every backend and check from comparing with
// strings.EqualFold. URLs, names and credentials are never in this list:
// their case matters.
var enumVariables = map[string]bool{
	envEnvironment:     true,
	envBackend:         true,
	envSampler:         true,
	envPropagators:     true,
	envLogFormat:       true,
	envLogLevel:        true,
	envTracesExporter:  true,
	envMetricsExporter: true,
	envLogsExporter:    true,

	"OTEL_EXPORTER_OTLP_PROTOCOL":            true,
	"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL":     true,
	"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL":    true,
	"OTEL_EXPORTER_OTLP_LOGS_PROTOCOL":       true,
	"OTEL_EXPORTER_OTLP_COMPRESSION":         true,
	"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION":  true,
	"OTEL_EXPORTER_OTLP_METRICS_COMPRESSION": true,
	"OTEL_EXPORTER_OTLP_LOGS_COMPRESSION":    true,
	"OTEL_RESOURCE_DETECTORS":                true,
	"JAEGER_PROTOCOL":                        true,
	"DATADOG_MODE":                           true,
	"DATADOG_OTLP_PROTOCOL":                  true,
	"NEW_RELIC_MODE":                         true,
	"NEW_RELIC_REGION":                       true,
	"NEW_RELIC_OTLP_PROTOCOL":                true,
	"NEW_RELIC_OTLP_COMPRESSION":             true,
	"ELASTIC_OTLP_PROTOCOL":                  true,
}

// caseInsensitive wraps lookup so that every enum variable reads in lower
// case. Init reads the environment through it, and hands it to the
// backends in Settings.Lookup.
func caseInsensitive(lookup func(string) (string, bool)) func(string) (string, bool) {
	return func(key string) (string, bool) {
		v, ok := lookup(key)
		if ok && enumVariables[key] {
			v = strings.ToLower(v)
		}
		return v, ok
	}
}
