package otlpwire

import (
	"reflect"
	"sync"
	"sync/atomic"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Shared lets the encoders of a fan-out encode each span once. Every
// backend's processor sees the same ended spans, in the same order, and
// usually cuts them into the same batches (a batch is sent when it is full,
// or on a flush). So the first encoder to reach a batch keeps a copy of the
// whole request, and an encoder given the very same spans sends that copy:
// encode once, send N times. When batches do not line up (a timer cut one
// processor's batch short), sharing falls back to single spans: the first
// encoder to reach a span keeps a copy of its Span message, and the others
// append that copy instead of encoding the span again. A span is known by its identity (the
// SDK hands every processor the same pointer), so a backend whose wrapper
// changes a span (New Relic's limits) sees a new span and encodes it
// itself: only spans whose bytes would be identical are shared. A Span
// message does not hold the resource, so backends that rewrite the
// resource share spans too (see Keyed).
//
// Sharing is on only while two or more encoders have joined; a lone
// backend pays nothing. Memory is bounded: at most sharedBatches requests
// and sharedMax spans are held, oldest dropped first, and an entry goes as
// soon as every other encoder has taken it.
type Shared struct {
	users atomic.Int32
	// bySpan is set once a request was dropped before the others took it:
	// batches do not line up, so the first encoder of each span leaves
	// its bytes too. It is cleared when a whole request is taken again.
	bySpan atomic.Bool

	mu      sync.Mutex
	batches []*sharedBatch // oldest first
	m       map[any]*sharedSpan
	ring    []any // keys in insertion order, for the bound
	next    int

	hits atomic.Int64 // spans taken instead of encoded, for tests
}

// sharedBatch is one encoded request and the spans it holds.
type sharedBatch struct {
	spans []sdktrace.ReadOnlySpan
	left  int32         // encoders that have yet to take it
	ready chan struct{} // closed once buf is set
	buf   *Buffer       // nil until ready; nil after it when the encoder gave up
}

// sharedBatches bounds the requests held: a few batches per backend, for
// backends running a little apart.
const sharedBatches = 8

type sharedSpan struct {
	b    []byte
	left int32 // encoders that have yet to take it
	slot int   // its key's index in ring
}

// sharedMax bounds the spans held: two batches of 512 for each of a few
// backends running a little apart.
const sharedMax = 4096

// Keyed is implemented by span wrappers whose Span message is the wrapped
// span's (such as one that only replaces the resource).
type Keyed interface {
	SpanKey() sdktrace.ReadOnlySpan
}

// Join counts an encoder in; the returned func counts it out (once).
// When fewer than two are left, nothing held can be taken any more, and
// it is let go.
func (s *Shared) Join() (leave func()) {
	s.users.Add(1)
	var once sync.Once
	return func() {
		once.Do(func() {
			if s.users.Add(-1) < 2 {
				s.mu.Lock()
				s.batches, s.m, s.ring, s.next = nil, nil, nil, 0
				s.mu.Unlock()
			}
		})
	}
}

// request returns the request another encoder made of exactly spans (the
// same spans, in the same order), waiting for it when that encoder is
// still at it. When there is none, it claims spans for the caller, which
// must then call fill with what it encoded: the others wait for it instead
// of encoding the same batch beside it. claim is nil when spans cannot be
// shared (a span without an identity, see keyOf).
func (s *Shared) request(spans []sdktrace.ReadOnlySpan, others int32) (buf *Buffer, claim *sharedBatch) {
	s.mu.Lock()
	for i, b := range s.batches {
		if !sameSpans(b.spans, spans) {
			continue
		}
		if b.left--; b.left <= 0 {
			s.batches = append(s.batches[:i], s.batches[i+1:]...)
		}
		s.mu.Unlock()
		<-b.ready
		if b.buf == nil {
			return nil, nil // its encoder gave up: encode alone
		}
		s.hits.Add(int64(len(spans)))
		s.bySpan.Store(false)
		return b.buf, nil // the encoder counted this reference in
	}
	defer s.mu.Unlock()
	for _, sp := range spans {
		if sp == nil || reflect.TypeOf(sp).Kind() != reflect.Pointer {
			return nil, nil
		}
	}
	claim = &sharedBatch{spans: append([]sdktrace.ReadOnlySpan(nil), spans...), left: others, ready: make(chan struct{})}
	if len(s.batches) == sharedBatches {
		// Dropped before every other encoder took it: they were given
		// other batches.
		if s.batches[0].left > 0 {
			s.bySpan.Store(true)
		}
		s.batches = append(s.batches[:0], s.batches[1:]...)
	}
	s.batches = append(s.batches, claim)
	return nil, claim
}

// fill gives the encoders waiting on claim buf, the request made of its
// spans, with a reference counted for each; nil says the encoder gave up.
// A reference never taken (the others were given other batches) keeps buf
// out of the pool; the GC has it once the entry is dropped.
func (s *Shared) fill(claim *sharedBatch, buf *Buffer) {
	claim.buf = buf
	close(claim.ready)
}

// sameSpans says whether a and b hold the same spans in the same order. a
// holds only pointers (request), so comparing cannot panic on a span
// type that is not comparable: types differ first.
func sameSpans(a, b []sdktrace.ReadOnlySpan) bool {
	if len(a) != len(b) || len(a) == 0 || a[0] != b[0] || a[len(a)-1] != b[len(b)-1] {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// others is how many other encoders will want a span or request, 0 when
// sharing is off.
func (s *Shared) others() int32 {
	if s == nil {
		return 0
	}
	return s.users.Load() - 1
}

// keyOf returns the identity of s, and false when it has none that can
// be trusted (not a pointer: a value could equal another span's).
func keyOf(s sdktrace.ReadOnlySpan) (any, bool) {
	if k, ok := s.(Keyed); ok {
		s = k.SpanKey()
	}
	if s == nil || reflect.TypeOf(s).Kind() != reflect.Pointer {
		return nil, false
	}
	return s, true
}

func (s *Shared) take(k any) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[k]
	if !ok {
		return nil, false
	}
	if e.left--; e.left <= 0 {
		delete(s.m, k)
		// Nor may the ring keep the span (the key) alive until it wraps.
		if s.ring[e.slot] == k {
			s.ring[e.slot] = nil
		}
	}
	s.hits.Add(1)
	return e.b, true
}

// put keeps a copy of b, a Span message's contents, for others encoders.
func (s *Shared) put(k any, b []byte, others int32) {
	e := &sharedSpan{b: append([]byte(nil), b...), left: others}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[any]*sharedSpan)
	}
	if len(s.ring) < sharedMax {
		e.slot = len(s.ring)
		s.ring = append(s.ring, k)
	} else {
		if old := s.ring[s.next]; old != nil {
			delete(s.m, old)
		}
		e.slot = s.next
		s.ring[s.next] = k
		s.next = (s.next + 1) % sharedMax
	}
	s.m[k] = e
}
