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
	c, err := ConfigFromEnv(s.Lookup)
	if err != nil {
		return nil, err
	}
	tr, mt, timeout, err := c.Targets()
	lt, logTimeout, lerr := c.LogsTarget()
	if err := joinUnique(err, lerr); err != nil {
		return nil, err
	}
	if timeout > 0 {
		s.ExportTimeout = timeout
	}
	if logTimeout > 0 {
		s.LogExportTimeout = logTimeout
	}
	return NewBackend(ctx, "otlp", resolved{Config: c, Endpoints: EndpointsOf(tr, &mt, &lt)}, Pipeline{Traces: tr, Metrics: &mt, Logs: &lt}, s)
}
