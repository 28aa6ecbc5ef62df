package perf_test

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// burst is how many spans BenchmarkExportJaeger ends before each flush:
// the development profile's queue size, so no span can be dropped for a
// full queue.
var burst = dev.MaxQueue

// pushBursts ends burst spans per iteration (a root and its children, one
// trace) and flushes, so everything is delivered before the next burst
// starts. It reports spans/s over the timed loop and returns the last
// trace's ID.
func pushBursts(b *testing.B, tp trace.TracerProvider, flush func(context.Context) error) trace.TraceID {
	tr := tp.Tracer(scope)
	var last trace.TraceID
	cpu0 := cpuTime()
	for b.Loop() {
		ctx, root := tr.Start(context.Background(), "burst")
		for range burst - 1 {
			_, span := tr.Start(ctx, "load book", trace.WithAttributes(spanAttrs...))
			span.End()
		}
		root.End()
		if err := flush(context.Background()); err != nil {
			b.Fatal(err)
		}
		last = root.SpanContext().TraceID()
	}
	spans := float64(burst) * float64(b.N)
	b.ReportMetric(spans/b.Elapsed().Seconds(), "spans/s")
	// The throughput is mostly Jaeger's; this process's own share is this.
	b.ReportMetric(float64(cpuTime()-cpu0)/spans, "cpu-ns/span")
	return last
}

// checkJaeger fails b unless Jaeger stored every span of the trace.
func checkJaeger(b *testing.B, id trace.TraceID) {
	l := sharedLab(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := l.WaitForJaegerTrace(ctx, id.String(), burst); err != nil {
		b.Errorf("Jaeger did not store all %d spans of the last burst: %v", burst, err)
	}
}

// BenchmarkExportJaeger is export throughput into the lab's Jaeger over
// OTLP/gRPC with nothing dropped: bursts of a full queue of spans (2048,
// four attributes each), each flushed before the next. spans/s is the
// figure; ns/op is per burst; cpu-ns/span is the CPU time this process
// spent per span (creating, batching, encoding and sending it), Jaeger's
// not included. The run fails if any span was dropped or
// Jaeger does not hold the last burst.
//
//	go test ./internal/perf -run '^$' -bench BenchmarkExportJaeger -count 5
func BenchmarkExportJaeger(b *testing.B) {
	b.Run("otelswitch", func(b *testing.B) {
		l := sharedLab(b)
		tel := initSwitch(b, env{"TELEMETRY_BACKEND": "jaeger", "JAEGER_ENDPOINT": l.JaegerOTLPGRPC, "TELEMETRY_METRICS": "false"})
		last := pushBursts(b, tel.TracerProvider(), tel.ForceFlush)
		st := tel.Stats()[0]
		if want := int64(burst) * int64(b.N); st.SpansDropped != 0 || st.SpansExported != want {
			b.Errorf("stats %+v; want %d exported, none dropped", st, want)
		}
		checkJaeger(b, last)
	})
	b.Run("handwired", func(b *testing.B) {
		l := sharedLab(b)
		h := newHandWired(b, l.JaegerOTLPGRPC, "")
		last := pushBursts(b, h.tp, h.tp.ForceFlush)
		if got, want := h.exported.Load(), int64(burst)*int64(b.N); got != want {
			b.Errorf("exported %d spans; want %d", got, want)
		}
		checkJaeger(b, last)
	})
}
