package datadog

import (
	"sync"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// maxHeld bounds the spans held at once, over every held trace. Beyond it
// new roots are not held (their decision at start stands, as before the
// second look existed), and a held trace's further spans are dropped and
// counted, as dd-trace-go drops the spans of a trace past its own bound.
const maxHeld = maxLive

// holds are the local traces whose root the Datadog rules decided: the
// native processor keeps their spans back until the root ends, when the
// rules look at the root again (Sampler.Finish), then hands them all to
// dd-trace-go with the final decision, as dd-trace-go sends a trace's chunk
// with the priority its root finished with. A nil *holds holds nothing.
type holds struct {
	mu     sync.Mutex
	traces map[trace.TraceID]*held
	n      int // spans held, over every trace
}

// held is one held trace: its root, the spans started under it, and those
// that have ended.
type held struct {
	root    trace.SpanID
	members map[trace.SpanID]bool
	ended   []sdktrace.ReadOnlySpan
}

func newHolds() *holds { return &holds{traces: map[trace.TraceID]*held{}} }

// has reports whether trace id is held.
func (h *holds) has(id trace.TraceID) bool {
	if h == nil {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.traces[id] != nil
}

// room reports whether a new trace may be held.
func (h *holds) room() bool {
	if h == nil {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n < maxHeld
}

// start holds s, a span starting: a local root (always held when
// sampled is false, for only a held root can be kept later; else while
// there is room), or a span under a held root. It reports whether s is held.
func (h *holds) start(s sdktrace.ReadOnlySpan) bool {
	if h == nil {
		return false
	}
	sc, parent := s.SpanContext(), s.Parent()
	h.mu.Lock()
	defer h.mu.Unlock()
	if !parent.IsValid() {
		if sc.IsSampled() && h.n >= maxHeld {
			return false
		}
		h.traces[sc.TraceID()] = &held{root: sc.SpanID(), members: map[trace.SpanID]bool{sc.SpanID(): true}}
		return true
	}
	t := h.traces[sc.TraceID()]
	if t == nil || parent.IsRemote() || !t.members[parent.SpanID()] {
		return false
	}
	t.members[sc.SpanID()] = true
	return true
}

// end takes s, a span ending. held is false when s is not held. When s is
// its trace's root, spans is every span of the trace that has ended, s
// last, and the trace is held no longer; full is set when s could not be
// held for lack of room (the caller drops and counts it).
func (h *holds) end(s sdktrace.ReadOnlySpan) (spans []sdktrace.ReadOnlySpan, held, full bool) {
	if h == nil {
		return nil, false, false
	}
	sc := s.SpanContext()
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.traces[sc.TraceID()]
	if t == nil || !t.members[sc.SpanID()] {
		return nil, false, false
	}
	if sc.SpanID() == t.root {
		delete(h.traces, sc.TraceID())
		h.n -= len(t.ended)
		return append(t.ended, s), true, false
	}
	if h.n >= maxHeld {
		return nil, true, true
	}
	t.ended = append(t.ended, s)
	h.n++
	return nil, true, false
}

// drain forgets every held trace and returns how many of their ended spans
// were sampled.
func (h *holds) drain() int {
	if h == nil {
		return 0
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, t := range h.traces {
		for _, s := range t.ended {
			if s.SpanContext().IsSampled() {
				n++
			}
		}
	}
	h.traces, h.n = map[trace.TraceID]*held{}, 0
	return n
}
