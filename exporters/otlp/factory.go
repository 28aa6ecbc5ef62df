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

// Detect implements exporters.Factory. The generic backend is never picked
// by detection: OTEL_EXPORTER_OTLP_* variables are often set for other
// reasons, so it must be named in TELEMETRY_BACKEND.
func (Factory) Detect(func(string) (string, bool)) bool { return false }

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
	return NewBackend(ctx, "otlp", c, Pipeline{Traces: tr, Metrics: &mt, Logs: &lt}, s)
}
