package perf_test

import (
	"context"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/exporters"
)

// spanAttrs are the attributes each benchmarked span carries.
var spanAttrs = []attribute.KeyValue{
	semconv.HTTPRequestMethodGet,
	semconv.HTTPRoute(route),
	semconv.URLPath("/books/42"),
	attribute.Int("app.book.id", 42),
}

// startEnd starts and ends one span with spanAttrs per iteration (see loop
// for the sink).
func startEnd(b *testing.B, tp trace.TracerProvider, s *sink) {
	tr := tp.Tracer(scope)
	ctx := context.Background()
	loop(b, s, 1, 0, func() {
		_, span := tr.Start(ctx, "load book", trace.WithAttributes(spanAttrs...))
		span.End()
	})
}

// BenchmarkSpan is the cost of starting and ending one span with four
// attributes, with the same sampler (parentbased_always_on) everywhere:
//
//   - otelswitch-jaeger, handwired-jaeger: the providers BenchmarkRequest
//     uses, to the lab's Jaeger.
//   - processor=otelswitch, processor=sdk-batch: one SDK TracerProvider
//     over otelswitch's counting batch processor and over the SDK's
//     BatchSpanProcessor, same queue and batch sizes, each exporting to an
//     exporter that discards: the processors alone.
//   - processor=none: the SDK with no processor, the floor.
//
// Every 2000 spans the pipeline is flushed with the timer stopped (loop),
// so nothing is dropped: ns/op is the cost on the caller's goroutine while
// the export runs beside it, cpu-ns/op the whole cost, delivery included.
//
// exporters/datadog's BenchmarkSpan measures a server span and its child
// through each way of sending to Datadog; it is not repeated here.
//
//	go test ./internal/perf -run '^$' -bench BenchmarkSpan -benchmem -count 5
func BenchmarkSpan(b *testing.B) {
	b.Run("otelswitch-jaeger", func(b *testing.B) {
		l := sharedLab(b)
		tel := initSwitch(b, env{"TELEMETRY_BACKEND": "jaeger", "JAEGER_ENDPOINT": l.JaegerOTLPGRPC})
		startEnd(b, tel.TracerProvider(), switchSink(tel))
	})
	b.Run("handwired-jaeger", func(b *testing.B) {
		l := sharedLab(b)
		h := newHandWired(b, l.JaegerOTLPGRPC, "")
		startEnd(b, h.tp, h.sink())
	})
	batch := exporters.Batch{Delay: dev.BatchDelay, MaxQueue: dev.MaxQueue, MaxExport: dev.MaxExport}
	sampler := sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample()))
	b.Run("processor=otelswitch", func(b *testing.B) {
		var n atomic.Int64
		p := exporters.NewBatchProcessor(discardExporter{&n}, exporters.WithBatch(batch), exporters.WithExportTimeout(dev.ExportTimeout))
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p), sampler)
		b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
		startEnd(b, tp, &sink{flush: tp.ForceFlush, delivered: n.Load})
	})
	b.Run("processor=sdk-batch", func(b *testing.B) {
		var n atomic.Int64
		p := sdktrace.NewBatchSpanProcessor(discardExporter{&n},
			sdktrace.WithBatchTimeout(batch.Delay), sdktrace.WithMaxQueueSize(batch.MaxQueue),
			sdktrace.WithMaxExportBatchSize(batch.MaxExport), sdktrace.WithExportTimeout(dev.ExportTimeout))
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p), sampler)
		b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
		startEnd(b, tp, &sink{flush: tp.ForceFlush, delivered: n.Load})
	})
	b.Run("processor=none", func(b *testing.B) {
		tp := sdktrace.NewTracerProvider(sampler)
		b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
		startEnd(b, tp, nil)
	})
}
