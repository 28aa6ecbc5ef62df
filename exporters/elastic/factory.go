package elastic

import (
	"context"
	"strings"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/exporters/otlp"
)

// Name is the name the backend is registered under.
const Name = "elastic"

// Factory builds the elastic backend.
type Factory struct{}

var _ exporters.Factory = Factory{}

// Spec implements exporters.Factory.
func (Factory) Spec() any { return &Config{} }

// Detect implements exporters.Factory: an APM Server URL or a managed OTLP
// endpoint names Elastic.
func (f Factory) Detect(lookup func(string) (string, bool)) bool {
	return exporters.AnySet(lookup, f.DetectVars()...)
}

// DetectVars implements exporters.DetectingFactory.
func (Factory) DetectVars() []string { return []string{envServerURL, envOTLPURL} }

// serviceName is the service name Elastic is sent, as rewriteResource
// decides it.
func serviceName(c Config, s exporters.Settings) string {
	if (s.ServiceName == "" || strings.HasPrefix(s.ServiceName, "unknown_service")) && c.ServiceName != "" {
		return c.ServiceName
	}
	return s.ServiceName
}

// New implements exporters.Factory. Traces and metrics go to the same APM
// Server; metrics with delta temporality for counters and histograms.
func (Factory) New(ctx context.Context, s exporters.Settings) (*exporters.Backend, error) {
	c, r, err := exporters.ReadConfig[Resolved](s, ConfigFromEnv)
	if err != nil {
		return nil, err
	}
	r.Warnings = c.Warnings(serviceName(c, s))
	for _, w := range r.Warnings {
		if s.Logger != nil {
			s.Logger.Warn(w, "backend", Name)
		}
	}
	b, err := otlp.NewBackend(ctx, Name, r, otlp.Pipeline{
		Traces:      r.Traces,
		Metrics:     &r.Metrics,
		Temporality: otlp.Delta,
		Logs:        &r.Logs,
		Resource:    rewriteResource(c.ServiceName, c.Environment),
	}, s)
	if err != nil {
		return nil, err
	}
	b.Correlate = exporters.ECSCorrelation
	return b, nil
}
