package otlp

import (
	"context"
	"errors"
	"fmt"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/otelswitch/otelswitch/exporters"
)

// Pipeline is what an OTLP-speaking backend sends where.
type Pipeline struct {
	Traces Target
	// Metrics is nil when the backend takes no OTLP metrics.
	Metrics     *Target
	Temporality Temporality
	// Wrap, when set, wraps the span exporter, for a vendor's own limits.
	Wrap func(sdktrace.SpanExporter) sdktrace.SpanExporter
}

// NewBackend checks p against the TLS policy and builds the backend called
// name: a counting batch processor over an OTLP span exporter and, when
// metrics are on and the vendor takes them, a periodic metric reader.
// cfg is the backend's resolved configuration, kept for Telemetry.Config.
func NewBackend(ctx context.Context, name string, cfg any, p Pipeline, s exporters.Settings) (*exporters.Backend, error) {
	err := p.Traces.CheckTransport(s.Strict, s.AllowInsecure)
	if p.Metrics != nil && s.Metrics {
		err = errors.Join(err, p.Metrics.CheckTransport(s.Strict, s.AllowInsecure))
	}
	if err != nil {
		return nil, err
	}
	counters := exporters.NewCounters(name)
	exp, err := NewSpanExporter(ctx, p.Traces, s.ExportTimeout, counters)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if p.Wrap != nil {
		exp = p.Wrap(exp)
	}
	b := &exporters.Backend{
		Name:          name,
		Config:        cfg,
		SpanProcessor: exporters.NewBatchProcessor(exp, s.Batch, s.ExportTimeout, counters, s.Logger),
		Stats:         counters,
	}
	if p.Metrics != nil && s.Metrics {
		mexp, err := NewMetricExporter(ctx, *p.Metrics, s.ExportTimeout, p.Temporality)
		if err != nil {
			_ = b.SpanProcessor.Shutdown(ctx)
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		b.MetricReader = sdkmetric.NewPeriodicReader(mexp,
			sdkmetric.WithInterval(s.MetricInterval),
			sdkmetric.WithTimeout(s.ExportTimeout))
	}
	return b, nil
}
