package tracer_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/internal/tracer"
)

// reader is a processor that reads every part of a span: the live span
// it got in OnStart from its own goroutine until the span ends, and the
// ended span in OnEnd.
type reader struct {
	wg    sync.WaitGroup
	ends  sync.Map // span ID -> *atomic.Int32
	reads atomic.Int64
}

func read(s sdktrace.ReadOnlySpan) int {
	n := len(s.Name()) + len(s.Attributes()) + len(s.Events()) + len(s.Links()) + s.DroppedAttributes() +
		s.DroppedEvents() + s.DroppedLinks() + s.ChildSpanCount() + int(s.Status().Code) + s.EndTime().Nanosecond()
	for _, a := range s.Attributes() {
		n += len(a.Value.String())
	}
	return n
}

func (r *reader) OnStart(_ context.Context, s sdktrace.ReadWriteSpan) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for s.IsRecording() {
			read(s)
			r.reads.Add(1)
		}
	}()
}

func (r *reader) OnEnd(s sdktrace.ReadOnlySpan) {
	read(s)
	n, _ := r.ends.LoadOrStore(s.SpanContext().SpanID(), new(atomic.Int32))
	n.(*atomic.Int32).Add(1)
}

func (*reader) Shutdown(context.Context) error   { return nil }
func (*reader) ForceFlush(context.Context) error { return nil }

// TestConcurrentUse (run it with -race): many goroutines write one span
// (attributes, events, links, status, name, children) and end it while a
// processor reads it live and once ended, and others ask for tracers.
// Every span reaches OnEnd once and holds within its limits.
func TestConcurrentUse(t *testing.T) {
	r := &reader{}
	limits := sdktrace.SpanLimits{
		AttributeValueLengthLimit: 8, AttributeValueDepthLimit: 2, AttributeCountLimit: 20,
		EventCountLimit: 10, LinkCountLimit: 5, AttributePerEventCountLimit: 3, AttributePerLinkCountLimit: 3,
	}
	tp := tracer.NewProvider(tracer.WithSpanProcessor(r), tracer.WithRawSpanLimits(limits))
	const workers, rounds = 8, 50
	var spans []trace.Span
	for round := range rounds {
		ctx, s := tp.Tracer("race").Start(context.Background(), "shared")
		spans = append(spans, s)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				work(ctx, tp, s, w, round)
			}()
		}
		wg.Wait()
		s.End()
	}
	r.wg.Wait()
	ended := 0
	r.ends.Range(func(_, n any) bool {
		ended++
		if c := n.(*atomic.Int32).Load(); c != 1 {
			t.Errorf("a span reached OnEnd %d times", c)
		}
		return true
	})
	if want := rounds * (1 + workers); ended != want {
		t.Errorf("%d spans reached OnEnd, want %d", ended, want)
	}
	for _, s := range spans {
		ro := s.(sdktrace.ReadOnlySpan)
		if len(ro.Attributes()) > limits.AttributeCountLimit || len(ro.Events()) > limits.EventCountLimit || len(ro.Links()) > limits.LinkCountLimit {
			t.Errorf("span over its limits: %d attributes, %d events, %d links", len(ro.Attributes()), len(ro.Events()), len(ro.Links()))
		}
		seen := map[attribute.Key]bool{}
		for _, a := range ro.Attributes() {
			if seen[a.Key] {
				t.Errorf("attribute %q twice in %v", a.Key, ro.Attributes())
			}
			seen[a.Key] = true
		}
	}
	if r.reads.Load() == 0 {
		t.Error("the processor never read a live span")
	}
}

// work is one goroutine's share: write the span, start and end a child,
// read it, get tracers; half the workers also try to end it.
func work(ctx context.Context, tp *tracer.Provider, s trace.Span, w, round int) {
	for i := range 20 {
		k := fmt.Sprintf("k%d", (w*7+i)%30)
		s.SetAttributes(attribute.Int(k, i), attribute.String("shared", "a long value"), attribute.StringSlice("ss", []string{"x", "yyyyyyyyyyyy"}))
		s.AddEvent("e", trace.WithAttributes(attribute.Int("i", i), attribute.Int("w", w), attribute.Int("x", 1), attribute.Int("y", 2)))
		if i%5 == 0 {
			s.AddLink(trace.Link{SpanContext: s.SpanContext(), Attributes: []attribute.KeyValue{attribute.Int("i", i)}})
			s.SetStatus(codes.Code(i%3), "d")
			s.SetName(fmt.Sprintf("shared %d", w))
			read(s.(sdktrace.ReadOnlySpan))
		}
		if i == 10 {
			_, child := tp.Tracer(fmt.Sprintf("t%d", (w+round)%3), trace.WithInstrumentationVersion("v")).Start(ctx, "child")
			child.End()
		}
	}
	if w%2 == 0 {
		s.End()
		s.SetAttributes(attribute.Bool("after end", true))
		s.RecordError(fmt.Errorf("after end"))
	}
}
