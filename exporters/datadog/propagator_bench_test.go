package datadog_test

import (
	"context"
	"net/http"
	"testing"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/exporters/datadog"
)

// BenchmarkPropagator extracts the headers dd-trace-go sends by default
// (Datadog and W3C, the same trace) through otelswitch's default
// propagators with a Datadog backend, starts a child as a server span
// would, and injects it into an outgoing request's headers.
func BenchmarkPropagator(b *testing.B) {
	prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}, datadog.Propagator{})
	in := http.Header{}
	in.Set("x-datadog-trace-id", "12345")
	in.Set("x-datadog-parent-id", "67890")
	in.Set("x-datadog-sampling-priority", "2")
	in.Set("x-datadog-origin", "rum")
	in.Set("x-datadog-tags", "_dd.p.dm=-4,_dd.p.tid=640cfd8d00000000,_dd.p.usr.id=a=b")
	in.Set("traceparent", "00-640cfd8d000000000000000000003039-0000000000010932-01")
	in.Set("tracestate", "dd=s:2;o:rum;p:0000000000010932;t.dm:-4;t.usr.id:a~b,foo=bar")
	child := trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8}
	b.ReportAllocs()
	for b.Loop() {
		ctx := prop.Extract(context.Background(), propagation.HeaderCarrier(in))
		sc := trace.SpanContextFromContext(ctx).WithSpanID(child).WithRemote(false)
		out := http.Header{}
		prop.Inject(trace.ContextWithSpanContext(ctx, sc), propagation.HeaderCarrier(out))
		if out.Get("x-datadog-trace-id") != "12345" {
			b.Fatal(out)
		}
	}
}
