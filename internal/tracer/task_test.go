package tracer_test

import (
	"bytes"
	"context"
	"testing"

	rt "runtime/trace"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/internal/tracer"
)

// renamer renames every span in OnStart, as a processor may.
type renamer struct{ sdktrace.SpanProcessor }

func (renamer) OnStart(_ context.Context, s sdktrace.ReadWriteSpan) { s.SetName("renamed-in-onstart") }
func (renamer) OnEnd(sdktrace.ReadOnlySpan)                         {}

// taskTrace returns the execution trace of one span started by tp and
// renamed by a processor in OnStart.
func taskTrace(t *testing.T, tp interface {
	Tracer(string, ...trace.TracerOption) trace.Tracer
}) []byte {
	var buf bytes.Buffer
	if err := rt.Start(&buf); err != nil {
		t.Skipf("an execution trace is already running: %v", err)
	}
	_, s := tp.Tracer("t").Start(context.Background(), "named-at-start")
	s.End()
	rt.Stop()
	return buf.Bytes()
}

// TestRuntimeTaskTakesTheNameAfterOnStart: the runtime/trace task of a
// span is named after OnStart, as the SDK's, so a processor's SetName
// there names the task too.
func TestRuntimeTaskTakesTheNameAfterOnStart(t *testing.T) {
	sdk := taskTrace(t, sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(renamer{})))
	ours := taskTrace(t, tracer.NewProvider(tracer.WithSpanProcessor(renamer{})))
	for _, name := range []string{"renamed-in-onstart", "named-at-start"} {
		if want, got := bytes.Contains(sdk, []byte(name)), bytes.Contains(ours, []byte(name)); got != want {
			t.Errorf("task %q in the execution trace: %v, in the SDK's %v", name, got, want)
		}
	}
	if !bytes.Contains(sdk, []byte("renamed-in-onstart")) {
		t.Fatal("the SDK's execution trace lacks the task: the test sees nothing")
	}
}
