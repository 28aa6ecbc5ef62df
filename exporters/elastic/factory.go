package elastic

import (
	"context"

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

// Detect implements exporters.Factory: an APM Server URL names Elastic.
func (Factory) Detect(lookup func(string) (string, bool)) bool {
	v, ok := lookup(envServerURL)
	return ok && v != ""
}

// New implements exporters.Factory. Traces and metrics go to the same APM
// Server; metrics with delta temporality for counters and histograms.
func (Factory) New(ctx context.Context, s exporters.Settings) (*exporters.Backend, error) {
	c, err := ConfigFromEnv(s.Lookup, s.Strict)
	if err != nil {
		return nil, err
	}
	tr, mt, err := c.Targets(s.Strict)
	if err != nil {
		return nil, err
	}
	lt := tr.ForSignal(otlp.LogsPath)
	b, err := otlp.NewBackend(ctx, Name, c, otlp.Pipeline{
		Traces:      tr,
		Metrics:     &mt,
		Temporality: otlp.Delta,
		Logs:        &lt,
		Resource:    rewriteResource(c.ServiceName, c.Environment),
	}, s)
	if err != nil {
		return nil, err
	}
	b.Correlate = exporters.ECSCorrelation
	return b, nil
}
