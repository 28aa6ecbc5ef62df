package elastic

import (
	"context"
	"fmt"
	"log/slog"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

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
	if s.Metrics {
		// NewBackend checks the traces target; the metrics one is built here,
		// so check it here, before anything starts.
		if err := mt.CheckTransport(s.Strict, s.AllowInsecure); err != nil {
			return nil, err
		}
	}
	res := &resourceCache{rewrite: rewriteResource(c.ServiceName, c.Environment)}
	b, err := otlp.NewBackend(ctx, Name, c, otlp.Pipeline{
		Traces: tr,
		Wrap: func(e sdktrace.SpanExporter) sdktrace.SpanExporter {
			return spanExporter{next: e, resource: res}
		},
	}, s)
	if err != nil {
		return nil, err
	}
	b.Correlate = Correlate
	if s.Metrics {
		mexp, err := otlp.NewMetricExporter(ctx, mt, s.ExportTimeout, otlp.Delta)
		if err != nil {
			_ = b.SpanProcessor.Shutdown(ctx)
			return nil, fmt.Errorf("%s: %w", Name, err)
		}
		b.MetricReader = sdkmetric.NewPeriodicReader(metricExporter{Exporter: mexp, resource: res},
			sdkmetric.WithInterval(s.MetricInterval),
			sdkmetric.WithTimeout(s.ExportTimeout))
	}
	return b, nil
}

// Correlate returns the ECS fields Elastic links logs to traces on:
// trace.id and span.id, in hex.
func Correlate(sc trace.SpanContext) []slog.Attr {
	return []slog.Attr{
		slog.String("trace.id", sc.TraceID().String()),
		slog.String("span.id", sc.SpanID().String()),
	}
}
