package tracer_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/internal/tracer"
)

// journal is what the processors of one provider were called with, in
// order.
type journal struct {
	mu    sync.Mutex
	calls []string
}

func (j *journal) add(format string, args ...any) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.calls = append(j.calls, fmt.Sprintf(format, args...))
}

type ctxKey struct{}

// logProc journals its calls and fails ForceFlush and Shutdown with its
// own error.
type logProc struct {
	name string
	j    *journal
}

func (p logProc) OnStart(ctx context.Context, s sdktrace.ReadWriteSpan) {
	p.j.add("%s OnStart %s ctx=%v parent=%v", p.name, s.Name(), ctx.Value(ctxKey{}), trace.SpanContextFromContext(ctx).IsValid())
}

func (p logProc) OnEnd(s sdktrace.ReadOnlySpan) { p.j.add("%s OnEnd %s", p.name, s.Name()) }

func (p logProc) ForceFlush(ctx context.Context) error {
	p.j.add("%s ForceFlush ctx=%v", p.name, ctx.Err())
	return fmt.Errorf("%s flush failed", p.name)
}

func (p logProc) Shutdown(ctx context.Context) error {
	p.j.add("%s Shutdown ctx=%v", p.name, ctx.Err())
	return fmt.Errorf("%s shutdown failed", p.name)
}

// provider is what the lifecycle script needs of either provider.
type provider interface {
	trace.TracerProvider
	ForceFlush(context.Context) error
	Shutdown(context.Context) error
}

func bothProviders(j func() *journal) (sdk, ours provider, sdkJ, ourJ *journal) {
	sdkJ, ourJ = j(), j()
	sdk = sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()),
		sdktrace.WithSpanProcessor(logProc{"A", sdkJ}), sdktrace.WithSpanProcessor(logProc{"B", sdkJ}))
	ours = tracer.NewProvider(tracer.WithSampler(sdktrace.AlwaysSample()),
		tracer.WithSpanProcessor(logProc{"A", ourJ}), tracer.WithSpanProcessor(logProc{"B", ourJ}))
	return sdk, ours, sdkJ, ourJ
}

// lifecycle drives tp through starts, ends, flushes and shutdowns, and
// journals what it returned next to what the processors saw.
func lifecycle(tp provider, j *journal) {
	ctx := context.WithValue(context.Background(), ctxKey{}, "orig")
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	tr := tp.Tracer("life")
	pctx, parent := tr.Start(ctx, "parent")
	_, child := tr.Start(pctx, "child")
	var nilCtx context.Context
	_, fromNil := tr.Start(nilCtx, "from nil ctx")
	_, fromCancelled := tr.Start(cancelled, "from cancelled ctx")
	child.End()
	child.End()
	parent.End()
	fromNil.End()
	fromCancelled.End()
	j.add("ForceFlush -> %v", errs(tp.ForceFlush(ctx)))
	j.add("ForceFlush(cancelled) -> %v", errs(tp.ForceFlush(cancelled)))
	_, late := tr.Start(ctx, "ended after shutdown")
	j.add("Shutdown(cancelled) -> %v", errs(tp.Shutdown(cancelled)))
	j.add("Shutdown -> %v", errs(tp.Shutdown(ctx)))
	late.End()
	_, afterStop := tr.Start(ctx, "started after shutdown")
	j.add("old tracer after shutdown: recording %v", afterStop.IsRecording())
	afterStop.End()
	_, noop := tp.Tracer("new").Start(ctx, "new tracer after shutdown")
	j.add("new tracer after shutdown: recording %v valid %v", noop.IsRecording(), noop.SpanContext().IsValid())
	noop.End()
	j.add("ForceFlush after shutdown -> %v", errs(tp.ForceFlush(ctx)))
}

// errs names the errors err joins, and whether it is context.Canceled.
func errs(err error) string {
	if err == nil {
		return "nil"
	}
	return fmt.Sprintf("%q canceled=%v", strings.ReplaceAll(err.Error(), "\n", " | "), errors.Is(err, context.Canceled))
}

// TestProcessorLifecycle: processors see the calls the SDK gives them, in
// its order: OnStart with the caller's ctx, OnEnd once per span,
// ForceFlush and Shutdown in turn with their errors joined, nothing when
// ctx is already done, Shutdown once, no span after it.
func TestProcessorLifecycle(t *testing.T) {
	sdk, ours, sdkJ, ourJ := bothProviders(func() *journal { return &journal{} })
	lifecycle(sdk, sdkJ)
	lifecycle(ours, ourJ)
	sameCalls(t, sdkJ, ourJ)
	// The SDK's own sequence, as the test expects it: were both wrong
	// alike, this says so.
	want := []string{
		"A OnStart parent ctx=orig parent=false",
		"B OnStart parent ctx=orig parent=false",
		"A OnStart child ctx=orig parent=true",
		"A OnEnd child",
		"B OnEnd child",
		`ForceFlush -> "A flush failed | B flush failed" canceled=false`,
		"ForceFlush(cancelled) -> \"context canceled\" canceled=true",
		// A Shutdown its ctx cut short shuts no processor down, yet
		// marks the provider shut: the next Shutdown does nothing, the
		// processors still see spans and flushes, new tracers are no-ops.
		"Shutdown(cancelled) -> \"context canceled\" canceled=true",
		"Shutdown -> nil",
		"A OnEnd ended after shutdown",
		"old tracer after shutdown: recording true",
		"new tracer after shutdown: recording false valid false",
		`ForceFlush after shutdown -> "A flush failed | B flush failed" canceled=false`,
	}
	for _, w := range want {
		if !slicesContains(ourJ.calls, w) {
			t.Errorf("missing %q in:\n  %s", w, strings.Join(ourJ.calls, "\n  "))
		}
	}
	if n := count(ourJ.calls, "OnEnd child"); n != 2 {
		t.Errorf("child ended twice reached OnEnd %d times, want once per processor", n)
	}
}

// sameCalls fails unless the processors of both providers saw the same.
func sameCalls(t *testing.T, sdk, ours *journal) {
	t.Helper()
	if !reflect.DeepEqual(sdk.calls, ours.calls) {
		t.Fatalf("calls differ from the SDK's:\nsdk:\n  %s\nours:\n  %s", strings.Join(sdk.calls, "\n  "), strings.Join(ours.calls, "\n  "))
	}
}

func slicesContains(calls []string, s string) bool { return count(calls, s) > 0 }

func count(calls []string, sub string) int {
	n := 0
	for _, c := range calls {
		if strings.Contains(c, sub) {
			n++
		}
	}
	return n
}

// TestShutdownOnce: a provider shut down with a live ctx shuts each
// processor down once and joins their errors; a second Shutdown does
// nothing, a span ended afterwards reaches no processor, ForceFlush
// flushes none and a new tracer is a no-op.
func TestShutdownOnce(t *testing.T) {
	sdk, ours, sdkJ, ourJ := bothProviders(func() *journal { return &journal{} })
	for _, c := range []struct {
		tp provider
		j  *journal
	}{{sdk, sdkJ}, {ours, ourJ}} {
		_, s := c.tp.Tracer("t").Start(context.Background(), "ended after shutdown")
		c.j.add("Shutdown -> %v", errs(c.tp.Shutdown(context.Background())))
		c.j.add("Shutdown -> %v", errs(c.tp.Shutdown(context.Background())))
		s.End()
		c.j.add("ForceFlush -> %v", errs(c.tp.ForceFlush(context.Background())))
		_, noop := c.tp.Tracer("new").Start(context.Background(), "new tracer after shutdown")
		c.j.add("new tracer: recording %v", noop.IsRecording())
		noop.End()
	}
	sameCalls(t, sdkJ, ourJ)
	want := []string{
		"A OnStart ended after shutdown ctx=<nil> parent=false",
		"B OnStart ended after shutdown ctx=<nil> parent=false",
		"A Shutdown ctx=<nil>",
		"B Shutdown ctx=<nil>",
		`Shutdown -> "A shutdown failed | B shutdown failed" canceled=false`,
		"Shutdown -> nil",
		"ForceFlush -> nil",
		"new tracer: recording false",
	}
	if !reflect.DeepEqual(ourJ.calls, want) {
		t.Fatalf("calls:\n  %s\nwant:\n  %s", strings.Join(ourJ.calls, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestTracerIdentity: Tracer returns the same tracer where the SDK does
// (the same scope), and a different one where it does not.
func TestTracerIdentity(t *testing.T) {
	m1 := attribute.Map("m", attribute.String("x", "1"), attribute.String("x", "2"))
	m2 := attribute.Map("m", attribute.String("x", "2"))
	pairs := [][2]struct {
		name string
		opts []trace.TracerOption
	}{
		{{name: "a"}, {name: "a"}},
		{{name: "a"}, {name: "b"}},
		{{name: ""}, {name: "go.opentelemetry.io/otel/sdk/tracer"}},
		{{name: "a", opts: []trace.TracerOption{trace.WithInstrumentationVersion("1")}}, {name: "a"}},
		{{name: "a", opts: []trace.TracerOption{trace.WithSchemaURL("s")}}, {name: "a", opts: []trace.TracerOption{trace.WithSchemaURL("s")}}},
		{{name: "a", opts: []trace.TracerOption{trace.WithInstrumentationAttributes(m1)}}, {name: "a", opts: []trace.TracerOption{trace.WithInstrumentationAttributes(m2)}}},
		{{name: "a", opts: []trace.TracerOption{trace.WithInstrumentationAttributes(attribute.Int("n", 1))}}, {name: "a"}},
	}
	sdk := sdktrace.NewTracerProvider()
	ours := tracer.NewProvider()
	for _, p := range pairs {
		want := sdk.Tracer(p[0].name, p[0].opts...) == sdk.Tracer(p[1].name, p[1].opts...)
		got := ours.Tracer(p[0].name, p[0].opts...) == ours.Tracer(p[1].name, p[1].opts...)
		if got != want {
			t.Errorf("Tracer(%q, %v) == Tracer(%q, %v): %v, the SDK's %v", p[0].name, p[0].opts, p[1].name, p[1].opts, got, want)
		}
	}
}
