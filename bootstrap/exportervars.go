package bootstrap

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// exporterBackends maps the specification's OTEL_*_EXPORTER values onto
// backend names.
var exporterBackends = map[string]string{"otlp": "otlp", "console": "stdout", "none": "none"}

const exporterValues = "otlp, console, none"

// ParseExporters reads one of OTEL_TRACES_EXPORTER, OTEL_METRICS_EXPORTER or
// OTEL_LOGS_EXPORTER (named by variable) into backend names: otlp is the
// otlp backend, console the stdout backend, none the none backend. Values
// are case-insensitive. An empty value gives nil.
func ParseExporters(variable, value string) ([]string, error) {
	var names []string
	var errs []error
	items := splitList(strings.ToLower(value))
	for _, item := range items {
		b, ok := exporterBackends[item]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("%s=%q: unknown exporter %q; want one of %s", variable, value, item, exporterValues))
		case b == "none" && len(items) > 1:
			errs = append(errs, fmt.Errorf("%s=%q: none cannot be combined with other exporters", variable, value))
		case !slices.Contains(names, b):
			names = append(names, b)
		}
	}
	if value != "" && len(items) == 0 {
		errs = append(errs, fmt.Errorf("%s=%q: no exporter named; want one or more of %s", variable, value, exporterValues))
	}
	return names, errors.Join(errs...)
}

// standardChoice is what the standard variables say about backends when
// TELEMETRY_BACKEND is unset.
type standardChoice struct {
	// Backends is nil when the standard variables choose nothing.
	Backends []string
	// MetricsOff is OTEL_METRICS_EXPORTER=none.
	MetricsOff bool
}

// standardBackends reads OTEL_TRACES_EXPORTER and OTEL_METRICS_EXPORTER,
// and checks OTEL_LOGS_EXPORTER. When neither exporter variable is set, an
// OTLP endpoint alone (OTEL_EXPORTER_OTLP_ENDPOINT or its traces variant)
// chooses the otlp backend where the profile has a default backend
// (development, test); in staging and production the otlp backend's
// Detect makes it a detected vendor instead, so it is weighed with the
// others.
func standardBackends(se StandardEnv, lookup func(string) (string, bool), profileDefault bool) (standardChoice, error) {
	traces, terr := ParseExporters(envTracesExporter, se.TracesExporter)
	metrics, merr := ParseExporters(envMetricsExporter, se.MetricsExporter)
	_, lerr := ParseExporters(envLogsExporter, se.LogsExporter)
	if err := errors.Join(terr, merr, lerr); err != nil {
		return standardChoice{}, err
	}
	var ch standardChoice
	ch.MetricsOff = slices.Equal(metrics, []string{"none"})
	if traces == nil && metrics == nil && se.LogsExporter == "" {
		if profileDefault && otlpEndpointSet(lookup) {
			ch.Backends = []string{"otlp"}
		}
		return ch, nil
	}
	// Once any of them is set, an unset one means otlp, the
	// specification's default.
	if traces == nil {
		traces = []string{"otlp"}
	}
	ch.Backends = traces
	if metrics != nil && !ch.MetricsOff {
		for _, m := range metrics {
			if !slices.Contains(traces, m) {
				return standardChoice{}, fmt.Errorf("%s=%q: %s must also be in %s (%q): each backend takes traces and metrics together; set %s=none to send no metrics",
					envMetricsExporter, se.MetricsExporter, m, envTracesExporter, se.TracesExporter, envMetricsExporter)
			}
		}
		if len(metrics) < len(slices.DeleteFunc(slices.Clone(traces), func(s string) bool { return s == "none" })) {
			return standardChoice{}, fmt.Errorf("%s=%q: names fewer exporters than %s=%q; a backend takes traces and metrics together, so name the same ones or none",
				envMetricsExporter, se.MetricsExporter, envTracesExporter, se.TracesExporter)
		}
	}
	return ch, nil
}

// otlpEndpointSet reports whether an OTLP endpoint for traces is set.
func otlpEndpointSet(lookup func(string) (string, bool)) bool {
	for _, k := range []string{envOTLPEndpoint, envOTLPTracesEndpoint} {
		if v, ok := lookup(k); ok && v != "" {
			return true
		}
	}
	return false
}
