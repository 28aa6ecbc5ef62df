package otlp

import (
	"cmp"
	"context"
	"fmt"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
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
	// Resource, when set, rewrites the resource this backend sends with
	// every span and every metric export, for this backend only: the other
	// backends of a fan-out keep the provider's. It is called again only
	// when the resource it is given changes; returning that resource itself
	// means no change, and spares copying the spans. Wrap sees the spans
	// with the rewritten resource.
	Resource func(*resource.Resource) *resource.Resource
}

// NewBackend checks p's targets against the TLS policy and builds the
// backend called name: a counting batch processor over an OTLP span exporter
// and, when metrics are on and the vendor takes them, a periodic metric
// reader, both sending p.Resource's rewrite of the resource when it is set.
// cfg is the backend's resolved configuration, kept for Telemetry.Config.
func NewBackend(ctx context.Context, name string, cfg any, p Pipeline, s exporters.Settings) (*exporters.Backend, error) {
	err := p.Traces.CheckTransport(s.Strict, s.AllowInsecure)
	if p.Metrics != nil && s.Metrics {
		// joinUnique: over gRPC both targets are the same URL.
		err = joinUnique(err, p.Metrics.CheckTransport(s.Strict, s.AllowInsecure))
	}
	if err != nil {
		return nil, err
	}
	p.Traces.noRetry = s.NoRetry
	counters := exporters.NewCounters(name)
	exp, err := NewSpanExporter(ctx, p.Traces, s.ExportTimeout, counters)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if p.Wrap != nil {
		exp = p.Wrap(exp)
	}
	var res *resourceCache
	if p.Resource != nil {
		res = &resourceCache{rewrite: p.Resource}
		exp = resourceSpanExporter{next: exp, resource: res}
	}
	b := &exporters.Backend{
		Name:          name,
		Config:        cfg,
		SpanProcessor: exporters.NewBatchProcessor(exp, s.Batch, s.ExportTimeout, counters, s.Logger),
		Stats:         counters,
		Endpoints:     []exporters.Endpoint{p.Traces.Endpoint(exporters.SignalTraces)},
	}
	if p.Metrics != nil && s.Metrics {
		mt := *p.Metrics
		mt.noRetry = s.NoRetry
		b.Endpoints = append(b.Endpoints, mt.Endpoint(exporters.SignalMetrics))
		mexp, err := NewMetricExporter(ctx, mt, s.ExportTimeout, p.Temporality)
		if err != nil {
			_ = b.SpanProcessor.Shutdown(ctx)
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if res != nil {
			mexp = resourceMetricExporter{Exporter: mexp, resource: res}
		}
		b.MetricReader = sdkmetric.NewPeriodicReader(mexp,
			sdkmetric.WithInterval(s.MetricInterval),
			sdkmetric.WithTimeout(cmp.Or(s.MetricTimeout, s.ExportTimeout)))
	}
	return b, nil
}
