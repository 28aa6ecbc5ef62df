package otlp

import (
	"context"
	"sync"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/otelswitch/otelswitch/exporters"
)

// resourceCache applies a Pipeline's Resource rewrite, remembering the last
// resource it was given: every span and metric export of a provider shares
// one resource.
type resourceCache struct {
	rewrite func(*resource.Resource) *resource.Resource

	mu      sync.Mutex
	in, out *resource.Resource
	done    bool
}

func (c *resourceCache) get(r *resource.Resource) *resource.Resource {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.done || r != c.in {
		c.in, c.out, c.done = r, c.rewrite(r), true
	}
	return c.out
}

// resourceSpanExporter sends spans with the backend's resource, leaving the
// spans other backends see untouched.
type resourceSpanExporter struct {
	next     sdktrace.SpanExporter
	resource *resourceCache
}

func (e resourceSpanExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	return e.next.ExportSpans(ctx, MapSpans(spans, func(s sdktrace.ReadOnlySpan) (sdktrace.ReadOnlySpan, bool) {
		r := e.resource.get(s.Resource())
		if r == s.Resource() {
			return s, false
		}
		return resourceSpan{s, r}, true
	}))
}

// MapSpans returns spans with f applied to each; f reports whether it
// changed the span. The slice is copied only from the first changed span
// on, and not at all when f changes none, so exporters that rewrite some
// spans cost nothing on the others.
func MapSpans(spans []sdktrace.ReadOnlySpan, f func(sdktrace.ReadOnlySpan) (sdktrace.ReadOnlySpan, bool)) []sdktrace.ReadOnlySpan {
	out, _, _ := exporters.CopyOnWrite(spans, func(s sdktrace.ReadOnlySpan) (sdktrace.ReadOnlySpan, bool, bool) {
		m, changed := f(s)
		return m, true, changed
	})
	return out
}

func (e resourceSpanExporter) Shutdown(ctx context.Context) error { return e.next.Shutdown(ctx) }

// resourceSpan is a span with another resource.
type resourceSpan struct {
	sdktrace.ReadOnlySpan
	res *resource.Resource
}

func (s resourceSpan) Resource() *resource.Resource { return s.res }

// SpanKey lets the wire exporters of a fan-out share the span's encoding:
// a Span message does not hold the resource (otlpwire.Keyed).
func (s resourceSpan) SpanKey() sdktrace.ReadOnlySpan { return s.ReadOnlySpan }

// resourceMetricExporter sends metrics with the resource the backend's spans
// are sent with.
type resourceMetricExporter struct {
	sdkmetric.Exporter
	resource *resourceCache
}

func (m resourceMetricExporter) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	r := m.resource.get(rm.Resource)
	if r == rm.Resource {
		return m.Exporter.Export(ctx, rm)
	}
	c := *rm
	c.Resource = r
	return m.Exporter.Export(ctx, &c)
}
