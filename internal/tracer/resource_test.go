package tracer_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/internal/tracer"
)

// WithResource, as sdktrace.WithResource, puts the given resource over
// the environment's (OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME); a nil
// one leaves the environment's alone.
func TestWithResourceMergesTheEnvironment(t *testing.T) {
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "from.env=1,n=9")
	t.Setenv("OTEL_SERVICE_NAME", "env-service")
	for _, r := range []*resource.Resource{testResource, nil, resource.Empty()} {
		sdkRec, ourRec := tracetest.NewSpanRecorder(), tracetest.NewSpanRecorder()
		sdk := sdktrace.NewTracerProvider(sdktrace.WithResource(r), sdktrace.WithSpanProcessor(sdkRec))
		ours := tracer.NewProvider(tracer.WithResource(r), tracer.WithSpanProcessor(ourRec))
		for _, tp := range []interface {
			Tracer(string, ...trace.TracerOption) trace.Tracer
		}{sdk, ours} {
			_, s := tp.Tracer("t").Start(context.Background(), "s")
			s.End()
		}
		want, got := sdkRec.Ended()[0].Resource(), ourRec.Ended()[0].Resource()
		if !want.Equal(got) || want.SchemaURL() != got.SchemaURL() {
			t.Errorf("WithResource(%v): resource %v (schema %q), the SDK's %v (schema %q)", r, got, got.SchemaURL(), want, want.SchemaURL())
		}
		if v, _ := want.Set().Value("from.env"); v.AsString() != "1" {
			t.Fatalf("the SDK's resource %v lacks the environment's", want)
		}
		if v, _ := want.Set().Value("n"); r == testResource && v.AsInt64() != 1 {
			t.Fatalf("the SDK's resource %v: the resource given must win over the environment", want)
		}
	}
}
