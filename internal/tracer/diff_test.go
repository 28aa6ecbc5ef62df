package tracer_test

import (
	"context"
	"io"
	"math/rand/v2"
	rt "runtime/trace"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// TestMatchesTheSDK runs generated programs of trace API calls on the SDK
// and on tracer.Provider, under every limit set and sampler, and holds
// every result a caller or processor can observe to the SDK's.
func TestMatchesTheSDK(t *testing.T) {
	seeds := 25
	if testing.Short() {
		seeds = 5
	}
	seen := coverage{}
	for _, ln := range sortedKeys(limitSets) {
		for _, sn := range sortedKeys(samplers) {
			t.Run(ln+"/"+sn, func(t *testing.T) {
				for seed := range uint64(seeds) {
					steps := program(&randChooser{r: rand.New(rand.NewPCG(seed, 14)), left: 200}, 200)
					sdk, ours := newSide(true, limitSets[ln], samplers[sn]()), newSide(false, limitSets[ln], samplers[sn]())
					sdk.run(steps)
					ours.run(steps)
					so := sdk.outcome()
					if d := diff(so, ours.outcome()); d != "" {
						t.Fatalf("seed %d: tracer.Provider differs from the SDK:\n%s", seed, d)
					}
					seen.add(so)
				}
			})
		}
	}
	// The programs must reach what they are meant to compare: a test that
	// compared nothing would pass.
	for what, n := range seen {
		if n == 0 {
			t.Errorf("no program reached %q", what)
		}
	}
	t.Logf("reached: %v", seen)
}

// coverage counts what the compared spans held.
type coverage map[string]int

func (c coverage) add(o outcome) {
	for _, what := range []string{"span", "dropped attribute", "dropped event", "dropped link", "event attribute dropped",
		"link attribute dropped", "record-only span", "truncated string", "slice value", "map value", "exception",
		"panic exception", "stack trace", "child", "remote parent", "link", "OnStart annotation", "status error"} {
		c[what] += 0
	}
	for _, s := range o.Ended {
		c["span"]++
		c["dropped attribute"] += s.DroppedAttributes
		c["dropped event"] += s.DroppedEvents
		c["dropped link"] += s.DroppedLinks
		c["child"] += s.ChildSpanCount
		c["link"] += len(s.Links)
		if !s.SpanContext.IsSampled() {
			c["record-only span"]++
		}
		if s.Parent.IsRemote() {
			c["remote parent"]++
		}
		if s.Status.Code == 2 {
			c["status error"]++
		}
		c.attrs(s.Attributes)
		for _, e := range s.Events {
			c["event attribute dropped"] += e.DroppedAttributeCount
			c.attrs(e.Attributes)
			c.exception(e)
		}
		for _, l := range s.Links {
			c["link attribute dropped"] += l.DroppedAttributeCount
		}
	}
}

func (c coverage) exception(e sdktrace.Event) {
	if e.Name != "exception" {
		return
	}
	c["exception"]++
	if e.Time.IsZero() {
		c["panic exception"]++
	}
	for _, a := range e.Attributes {
		if a.Key == "exception.stacktrace" {
			c["stack trace"]++
		}
	}
}

func (c coverage) attrs(attrs []attribute.KeyValue) {
	for _, a := range attrs {
		switch a.Value.Type() {
		case attribute.STRING:
			if s := a.Value.AsString(); s == "long-" || s == "zzzzz" || s == "héllo" {
				c["truncated string"]++
			}
		case attribute.SLICE:
			c["slice value"]++
		case attribute.MAP:
			c["map value"]++
		}
		if a.Key == "annotated" {
			c["OnStart annotation"]++
		}
	}
}

// FuzzMatchesTheSDK is TestMatchesTheSDK driven by fuzz bytes: the first
// two choose the limits and the sampler, the rest the calls.
func FuzzMatchesTheSDK(f *testing.F) {
	f.Add([]byte{0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	f.Add([]byte{3, 1, 0, 4, 0, 0, 9, 9, 9, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3})
	f.Add([]byte("\x01\x02 the quick brown fox jumps over the lazy dog, twice: the quick brown fox"))
	f.Add([]byte{4, 4, 0, 0, 0, 0, 0, 1, 1, 12, 12, 12, 6, 6, 6, 6, 8, 8, 8, 8, 8, 3, 11, 11, 4, 2})
	lns, sns := sortedKeys(limitSets), sortedKeys(samplers)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		ln, sn := lns[int(data[0])%len(lns)], sns[int(data[1])%len(sns)]
		steps := program(&byteChooser{b: data[2:]}, 100)
		if d := compare(limitSets[ln], samplers[sn](), steps); d != "" {
			t.Fatalf("%s/%s: tracer.Provider differs from the SDK:\n%s", ln, sn, d)
		}
	})
}

// TestSamplerDecisions: a sampled span reaches the processors with the
// sampled flag, a record-only one reaches them without it, a dropped one
// reaches none; the sampler's tracestate and attributes are the span's.
func TestSamplerDecisions(t *testing.T) {
	steps := []step{startSpan("sample me"), startSpan("rec me"), startSpan("drop me")}
	if d := compare(limitSets["default"], nameSampler{}, steps); d != "" {
		t.Fatalf("tracer.Provider differs from the SDK:\n%s", d)
	}
	s := newSide(false, limitSets["default"], nameSampler{})
	s.run(steps)
	for i, want := range []struct {
		sampled bool
	}{{true}, {false}, {false}} {
		sc := s.spans[i].SpanContext()
		if sc.IsSampled() != want.sampled || sc.TraceState().Get("otsw") == "" {
			t.Errorf("span %d: span context %v (tracestate %q), want sampled %v and the sampler's tracestate", i, sc, sc.TraceState(), want.sampled)
		}
	}
	ended := s.rec.Ended()
	if len(ended) != 2 || !ended[0].SpanContext().IsSampled() || ended[1].SpanContext().IsSampled() {
		t.Fatalf("ended spans %v: want the sampled one, then the record-only one", ended)
	}
	if !strings.HasPrefix(ended[1].Attributes()[0].Value.AsString(), "rec") {
		t.Errorf("record-only span's attributes %v: want the sampler's first", ended[1].Attributes())
	}
	for _, sp := range s.spans {
		if sp.IsRecording() {
			t.Errorf("span %v records after End", sp.SpanContext())
		}
	}
	_, dropped := s.tp.Tracer("t").Start(context.Background(), "drop again")
	if dropped.IsRecording() || !dropped.SpanContext().IsValid() || dropped.SpanContext().TraceFlags() != trace.TraceFlags(0) {
		t.Errorf("a dropped span: recording %v, span context %v; want not recording, valid, unsampled", dropped.IsRecording(), dropped.SpanContext())
	}
}

// TestMatchesTheSDKUnderRuntimeTrace: with an execution trace running,
// both start a runtime/trace task per recording span and end it in End
// (unlocking the span around it); nothing observable changes.
func TestMatchesTheSDKUnderRuntimeTrace(t *testing.T) {
	if err := rt.Start(io.Discard); err != nil {
		t.Skipf("an execution trace is already running: %v", err)
	}
	defer rt.Stop()
	for _, ln := range []string{"default", "small"} {
		for seed := range uint64(5) {
			steps := program(&randChooser{r: rand.New(rand.NewPCG(seed, 15)), left: 150}, 150)
			if d := compare(limitSets[ln], samplers["name"](), steps); d != "" {
				t.Fatalf("%s seed %d: tracer.Provider differs from the SDK:\n%s", ln, seed, d)
			}
		}
	}
}
