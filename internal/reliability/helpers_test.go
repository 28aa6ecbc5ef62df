package reliability_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/bootstrap"
	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/internal/lab"
	"github.com/otelswitch/otelswitch/internal/testutil"
)

// env is a variable set handed to Init through WithLookupEnv; the process
// environment is never touched.
type env = testutil.Env

type syncBuffer = testutil.SyncBuffer

// initTel calls Init with e alone, no globals, logging into the returned
// buffer. The caller shuts it down; a cleanup does it too if the test ends
// early.
func initTel(t *testing.T, e env) (*bootstrap.Telemetry, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	tel, err := bootstrap.Init(context.Background(), bootstrap.WithLookupEnv(e.Lookup),
		bootstrap.WithoutGlobals(), bootstrap.WithLogOutput(logs))
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = tel.Shutdown(ctx)
	})
	return tel, logs
}

// stats returns the one backend's statistics.
func stats(t *testing.T, tel *bootstrap.Telemetry) exporters.Stats {
	t.Helper()
	all := tel.Stats()
	if len(all) != 1 {
		t.Fatalf("Stats() has %d backends, want 1", len(all))
	}
	return all[0]
}

// attrSeq is the attribute that numbers every span an emitter sends, from 0.
const attrSeq = "reliability.seq"

// newTraceParent returns a sampled remote parent with a fresh trace ID: every
// span an emitter ends is its child, so one query by trace ID returns them
// all, however many there are.
func newTraceParent() trace.SpanContext {
	var tid trace.TraceID
	var sid trace.SpanID
	_, _ = rand.Read(tid[:])
	_, _ = rand.Read(sid[:])
	return trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled, Remote: true,
	})
}

// spanAttrs are what a typical server span carries, so that the memory a
// queued span takes is realistic.
var spanAttrs = []attribute.KeyValue{
	attribute.String("http.request.method", "GET"),
	attribute.String("http.route", "/books/{id}"),
	attribute.String("url.path", "/books/42"),
	attribute.Int("http.response.status_code", 200),
	attribute.String("server.address", "books.internal"),
	attribute.String("user_agent.original", "otelswitch-reliability/1.0"),
}

// endSpan ends one span numbered seq under parent.
func endSpan(tr trace.Tracer, parent context.Context, seq int64) {
	_, s := tr.Start(parent, "GET /books/{id}", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(spanAttrs...), trace.WithAttributes(attribute.Int64(attrSeq, seq)))
	s.End()
}

// emitter ends spans at a steady rate, numbering them 0, 1, 2, ...
type emitter struct {
	sent   atomic.Int64
	pause  chan chan struct{} // receives the channel Resume closes
	paused chan struct{}      // the goroutine acknowledges a pause
	stop   chan struct{}
	done   chan struct{}
	resume chan struct{}
}

// startEmitter ends perTick spans every tick until Stop, all children of
// parent.
func startEmitter(tp trace.TracerProvider, parent trace.SpanContext, perTick int, tick time.Duration) *emitter {
	e := &emitter{pause: make(chan chan struct{}), paused: make(chan struct{}),
		stop: make(chan struct{}), done: make(chan struct{})}
	tr := tp.Tracer("otelswitch/reliability")
	ctx := trace.ContextWithRemoteSpanContext(context.Background(), parent)
	go func() {
		defer close(e.done)
		tk := time.NewTicker(tick)
		defer tk.Stop()
		for {
			select {
			case <-e.stop:
				return
			case resume := <-e.pause:
				e.paused <- struct{}{}
				select {
				case <-resume:
				case <-e.stop:
					return
				}
				continue
			case <-tk.C:
			}
			for range perTick {
				endSpan(tr, ctx, e.sent.Load())
				e.sent.Add(1)
			}
		}
	}()
	return e
}

// Pause stops the emitter between two spans until Resume.
func (e *emitter) Pause() {
	e.resume = make(chan struct{})
	e.pause <- e.resume
	<-e.paused
}

// Resume lets a paused emitter go on at its rate.
func (e *emitter) Resume() { close(e.resume) }

// Sent returns how many spans have been ended so far.
func (e *emitter) Sent() int64 { return e.sent.Load() }

// Stop stops the emitter and returns how many spans it ended.
func (e *emitter) Stop() int64 {
	close(e.stop)
	<-e.done
	return e.sent.Load()
}

// seqs counts each sequence number among spans' attributes.
type seqs map[int64]int

func (s seqs) add(t *testing.T, v any) {
	t.Helper()
	n, ok := v.(int64)
	if !ok {
		t.Fatalf("span without an integer %s attribute: %v (%T)", attrSeq, v, v)
	}
	s[n]++
}

// duplicates returns the sequence numbers stored more than once.
func (s seqs) duplicates() []int64 {
	var d []int64
	for n, c := range s {
		if c > 1 {
			d = append(d, n)
		}
	}
	return d
}

// jaegerSeqs reads the sequence numbers of every span of traceID that Jaeger
// holds; none when it does not have the trace.
func jaegerSeqs(t *testing.T, l *lab.Lab, traceID string) seqs {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got := seqs{}
	tr, err := l.JaegerTrace(ctx, traceID)
	if err != nil {
		if errors.Is(err, lab.ErrNotFound) {
			return got
		}
		t.Fatalf("reading Jaeger: %v", err)
	}
	for _, s := range tr.Spans {
		got.add(t, s.Tags[attrSeq])
	}
	return got
}

// collectorSeqs reads the sequence numbers of every span of traceID that the
// collector's plain OTLP receiver has written to its file.
func collectorSeqs(t *testing.T, l *lab.Lab, traceID string) seqs {
	t.Helper()
	spans, err := l.CollectorSpans(context.Background(), lab.SourceOTLP)
	if err != nil {
		t.Fatalf("reading the collector's file: %v", err)
	}
	got := seqs{}
	for _, s := range spans {
		if s.TraceID == traceID {
			got.add(t, s.Attributes[attrSeq])
		}
	}
	return got
}

// waitUntil polls cond every 10ms until it holds or d passes.
func waitUntil(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func mib(n int64) string { return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20)) }
