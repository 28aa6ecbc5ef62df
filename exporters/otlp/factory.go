package otlp

import (
	"context"

	"github.com/otelswitch/otelswitch/exporters"
)

// Factory builds the generic "otlp" backend.
type Factory struct{}

var _ exporters.Factory = Factory{}

// Spec implements exporters.Factory.
func (Factory) Spec() any { return &Config{} }

// Detect implements exporters.Factory: an OTLP endpoint for traces
// (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is a
// destination the user chose, as the specification reads it; in staging and
// production it is weighed with the vendors' credentials, so setting it
// beside another vendor's asks for TELEMETRY_BACKEND.
func (f Factory) Detect(lookup func(string) (string, bool)) bool {
	return exporters.AnySet(lookup, f.DetectVars()...)
}

// DetectVars implements exporters.DetectingFactory.
func (Factory) DetectVars() []string {
	return []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"}
}

// New implements exporters.Factory.
func (Factory) New(ctx context.Context, s exporters.Settings) (*exporters.Backend, error) {
	_, r, err := exporters.ReadConfig[Resolved](s, ConfigFromEnv)
	if err != nil {
		return nil, err
	}
	if r.TracesTimeout > 0 {
		s.ExportTimeout = r.TracesTimeout
	}
	if r.LogsTimeout > 0 {
		s.LogExportTimeout = r.LogsTimeout
	}
	return NewBackend(ctx, "otlp", r, Pipeline{Traces: r.Traces, Metrics: &r.Metrics, Logs: &r.Logs}, s)
}
