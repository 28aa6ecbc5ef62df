package datadog

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// BenchmarkWireEncode measures the encoder alone on a request's two spans
// as otelhttp and a handler record them: allocations per chunk should be
// zero once the buffers have grown.
//
//	go test ./exporters/datadog -run '^$' -bench BenchmarkWireEncode -benchmem
func BenchmarkWireEncode(b *testing.B) {
	rec := tracetest.NewSpanRecorder()
	res := resource.NewSchemaless(attribute.String("service.name", "books"), attribute.String("host.name", "h"),
		attribute.String("telemetry.sdk.language", "go"), attribute.String("telemetry.sdk.name", "opentelemetry"))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec), sdktrace.WithResource(res))
	tr := tp.Tracer("bench")
	ctx, srv := tr.Start(context.Background(), "GET /books/{id}", trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(
		attribute.String("http.request.method", "GET"), attribute.String("url.scheme", "http"), attribute.String("server.address", "localhost"),
		attribute.Int("server.port", 8080), attribute.String("network.peer.address", "127.0.0.1"), attribute.Int("network.peer.port", 5555),
		attribute.String("user_agent.original", "Go-http-client/1.1"), attribute.String("client.address", "127.0.0.1"),
		attribute.String("url.path", "/books/42"), attribute.String("network.protocol.version", "1.1"), attribute.String("http.route", "/books/{id}")))
	_, child := tr.Start(ctx, "load book", trace.WithAttributes(attribute.Int("app.book.id", 42)))
	child.End()
	srv.SetAttributes(attribute.Int("http.response.status_code", 200), attribute.Int("http.response.body.size", 120))
	srv.End()
	spans := rec.Ended()
	cfg := &wireConfig{service: "books", env: "dev", version: "1.0", globalTags: []strTag{{"runtime-id", runtimeID}}, processTags: "entrypoint.name:x", pid: 1}
	chunk := &wireChunk{
		spans: []wireRecord{{span: spans[1]}, {span: spans[0]}},
	}
	e := &wireEncoder{cfg: cfg}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = e.appendChunk(buf[:0], chunk)
	}
	b.ReportMetric(float64(len(buf)), "bytes/chunk")
}
