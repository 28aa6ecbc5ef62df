package otlpwire

import (
	"reflect"
	"sync"
	"sync/atomic"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Shared lets the encoders of a fan-out encode each span once. Every
// backend's processor sees the same ended spans; the first encoder to reach
// a span keeps a copy of its Span message, and the others append that copy
// instead of encoding the span again. A span is known by its identity (the
// SDK hands every processor the same pointer), so a backend whose wrapper
// changes a span (New Relic's limits) sees a new span and encodes it
// itself: only spans whose bytes would be identical are shared. A Span
// message does not hold the resource, so backends that rewrite the
// resource share spans too (see Keyed).
//
// Sharing is on only while two or more encoders have joined; a lone
// backend pays nothing. Memory is bounded: at most sharedMax spans are
// held, oldest dropped first, and an entry goes as soon as every other
// encoder has taken it.
type Shared struct {
	users atomic.Int32

	mu   sync.Mutex
	m    map[any]*sharedSpan
	ring []any // keys in insertion order, for the bound
	next int

	hits atomic.Int64 // spans taken instead of encoded, for tests
}

type sharedSpan struct {
	b    []byte
	left int32 // encoders that have yet to take it
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
func (s *Shared) Join() (leave func()) {
	s.users.Add(1)
	var once sync.Once
	return func() { once.Do(func() { s.users.Add(-1) }) }
}

// others is how many other encoders will want a span, 0 when sharing is
// off.
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
		s.ring = append(s.ring, k)
	} else {
		delete(s.m, s.ring[s.next])
		s.ring[s.next] = k
		s.next = (s.next + 1) % sharedMax
	}
	s.m[k] = e
}
