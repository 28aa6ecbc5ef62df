package newrelic

import (
	"context"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/exporters/otlp"
)

// Name is the name the backend is registered under.
const Name = "newrelic"

// Factory builds the newrelic backend.
type Factory struct {
	// agent adjusts NEW_RELIC_MODE=agent, for tests.
	agent *agentHooks
}

var _ exporters.Factory = Factory{}

// Spec implements exporters.Factory.
func (Factory) Spec() any { return &Config{} }

// Detect implements exporters.Factory: a licence key names New Relic.
func (f Factory) Detect(lookup func(string) (string, bool)) bool {
	return exporters.AnySet(lookup, f.DetectVars()...)
}

// DetectVars implements exporters.DetectingFactory.
func (Factory) DetectVars() []string { return []string{envLicenseKey} }

// New implements exporters.Factory. Traces and metrics go to the same
// endpoint; metrics with delta temporality, which New Relic recommends.
// With NEW_RELIC_MODE=agent, spans go to the New Relic Go agent instead,
// which connects in the background.
func (f Factory) New(ctx context.Context, s exporters.Settings) (*exporters.Backend, error) {
	c, r, err := exporters.ReadConfig[Resolved](s, ConfigFromEnv)
	if err != nil {
		return nil, err
	}
	if s.Logger != nil {
		for _, w := range c.Warnings() {
			s.Logger.Warn(w, "backend", Name)
		}
	}
	if c.mode() == ModeAgent {
		return newAgent(r, s, f.agent)
	}
	b, err := otlp.NewBackend(ctx, Name, r, otlp.Pipeline{
		Traces:      r.Traces,
		Metrics:     &r.Metrics,
		Temporality: otlp.Delta,
		Logs:        &r.Logs,
		Wrap:        newLimitExporter,
		WrapMetrics: newLimitMetricExporter,
		LogLimits:   logLimits,
		Resource:    rewriteResource(c.ServiceName()),
	}, s)
	if err != nil {
		return nil, err
	}
	b.Correlate = exporters.ECSCorrelation
	return b, nil
}
