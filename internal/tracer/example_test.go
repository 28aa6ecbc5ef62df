package tracer_test

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/otelswitch/otelswitch/internal/tracer"
)

// A Provider takes the SDK's sampler, limits and span processors: here a
// parent-based sampler that samples every root (a child follows its
// parent), and a recorder in place of an exporter's batch processor.
func ExampleNewProvider() {
	rec := tracetest.NewSpanRecorder()
	tp := tracer.NewProvider(
		tracer.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())),
		tracer.WithSpanProcessor(rec),
	)
	defer func() { _ = tp.Shutdown(context.Background()) }()

	ctx, parent := tp.Tracer("example").Start(context.Background(), "GET /items")
	_, child := tp.Tracer("example").Start(ctx, "SELECT items")
	child.SetAttributes(attribute.String("db.system.name", "postgresql"), attribute.Int("rows", 3))
	child.End()
	parent.End()

	for _, s := range rec.Ended() {
		fmt.Println(s.Name(), s.SpanContext().IsSampled(), s.Parent().IsValid(), s.Attributes(), s.ChildSpanCount())
	}
	// Output:
	// SELECT items true true [{"db.system.name":"postgresql"} {"rows":3}] 0
	// GET /items true false [] 1
}
