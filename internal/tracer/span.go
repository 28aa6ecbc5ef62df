package tracer

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
	rt "runtime/trace"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
)

// Start starts a span as the SDK's tracer does: a child of the span in
// ctx (unless trace.WithNewRoot), sampled by the provider's sampler, seen
// by every processor's OnStart when it records.
func (t *tracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	c := trace.NewSpanStartConfig(opts...)
	if ctx == nil {
		ctx = context.Background()
	}
	parent := trace.SpanFromContext(ctx)
	if p, ok := parent.(*span); ok {
		p.addChild()
	}
	s := t.newSpan(ctx, parent.SpanContext(), name, &c)
	newCtx := trace.ContextWithSpan(ctx, s)
	rs, ok := s.(*span)
	if !ok {
		return newCtx, s
	}
	for _, sp := range *t.provider.processors.Load() {
		sp.OnStart(ctx, rs)
	}
	if rt.IsEnabled() {
		// Named after OnStart, as the SDK's: a processor may rename it.
		var task *rt.Task
		newCtx, task = rt.NewTask(newCtx, rs.Name())
		rs.mu.Lock()
		rs.more().taskEnd = task.End
		rs.mu.Unlock()
	}
	return newCtx, s
}

// newSpan makes the span; psc is the span context of the span in ctx.
func (t *tracer) newSpan(ctx context.Context, psc trace.SpanContext, name string, c *trace.SpanConfig) trace.Span {
	p := t.provider
	if c.NewRoot() {
		psc = trace.SpanContext{}
		ctx = trace.ContextWithSpanContext(ctx, psc)
	}
	var tid trace.TraceID
	var sid trace.SpanID
	if psc.TraceID().IsValid() {
		tid, sid = psc.TraceID(), p.ids.NewSpanID(ctx, psc.TraceID())
	} else {
		tid, sid = p.ids.NewIDs(ctx)
	}
	sr := p.sampler.ShouldSample(sdktrace.SamplingParameters{
		ParentContext: ctx,
		TraceID:       tid,
		Name:          name,
		Kind:          c.SpanKind(),
		Attributes:    c.Attributes(),
		Links:         c.Links(),
	})
	flags := psc.TraceFlags() &^ trace.FlagsSampled
	if sr.Decision == sdktrace.RecordAndSample {
		flags |= trace.FlagsSampled
	}
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: flags, TraceState: sr.Tracestate})
	if sr.Decision == sdktrace.Drop {
		return nonRecording{provider: p, sc: sc}
	}
	start := c.Timestamp()
	if start.IsZero() {
		start = time.Now()
	}
	s := &span{
		tracer: t,
		parent: psc,
		sc:     sc,
		kind:   uint8(trace.ValidateSpanKind(c.SpanKind())),
		name:   name,
		start:  start,
	}
	for _, l := range c.Links() {
		s.AddLink(l)
	}
	s.SetAttributes(sr.Attributes...)
	s.SetAttributes(c.Attributes()...)
	return s
}

// span is a recording span. Until it ends, mu guards shared and every
// field below mu; once ended is set nothing changes any more, and the
// getters read without the lock.
type span struct {
	embedded.Span
	// ReadOnlySpan is nil. Its unexported method keeps implementations of
	// the interface inside the SDK, and embedding is the one way to
	// satisfy it; the SDK never calls it, and every other method is
	// defined below.
	sdktrace.ReadOnlySpan

	tracer *tracer
	parent trace.SpanContext
	sc     trace.SpanContext
	start  time.Time

	ended  atomic.Bool
	kind   uint8 // a trace.SpanKind; small, so the span fits a smaller size class
	shared bool  // attrs was handed out while live: copy before writing

	mu           sync.Mutex
	name         string
	end          time.Time
	status       sdktrace.Status
	children     int
	attrs        []attribute.KeyValue
	droppedAttrs int
	extra        *spanExtra // what most spans never have
}

// spanExtra holds what a span gets only now and then, out of line: a
// service makes spans by the thousand a second, and every byte of them is
// garbage the collector goes through (docs/performance.md, "Per
// request with otelswitch's tracer").
type spanExtra struct {
	index         map[attribute.Key]int // attrs' positions, once there are many
	events        []sdktrace.Event
	droppedEvents int
	links         []sdktrace.Link
	droppedLinks  int
	taskEnd       func()
}

// more returns s.extra, making it on first use; s.mu is held.
func (s *span) more() *spanExtra {
	if s.extra == nil {
		s.extra = &spanExtra{}
	}
	return s.extra
}

var _ sdktrace.ReadWriteSpan = (*span)(nil)

// indexAt is how many attributes a span holds before it indexes them in a
// map; below it, a scan is cheaper than the map.
const indexAt = 16

func (s *span) limits() *sdktrace.SpanLimits { return &s.tracer.provider.limits }

func (s *span) SpanContext() trace.SpanContext { return s.sc }

func (s *span) IsRecording() bool { return !s.ended.Load() }

func (s *span) SetStatus(code codes.Code, description string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.end.IsZero() || s.status.Code > code {
		return
	}
	st := sdktrace.Status{Code: code}
	if code == codes.Error {
		st.Description = description
	}
	s.status = st
}

// SetAttributes sets attributes by the SDK's rules: an invalid one is
// dropped and counted, a key already set keeps its place and takes the new
// value, and past the count limit a new key is dropped and counted.
func (s *span) SetAttributes(attrs ...attribute.KeyValue) {
	if len(attrs) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.end.IsZero() {
		return
	}
	limit := s.limits().AttributeCountLimit
	if limit == 0 {
		s.droppedAttrs += len(attrs)
		return
	}
	if need := len(s.attrs) + len(attrs); s.shared || need > cap(s.attrs) {
		s.grow(need, limit)
	}
	for _, a := range attrs {
		if !a.Valid() {
			s.droppedAttrs++
			continue
		}
		s.put(a, limit)
	}
}

// grow gives attrs room for need attributes (at most limit) and a quarter
// more, in a slice of its own. The room is for attributes set after the
// start: an HTTP server span gets its response's status code and size
// when it ends, and without it the slice of a span that started with many
// attributes would double (the SDK's does).
func (s *span) grow(need, limit int) {
	n := need + need/4
	if limit > 0 {
		n = min(n, limit)
	}
	attrs := make([]attribute.KeyValue, len(s.attrs), max(n, len(s.attrs)))
	copy(attrs, s.attrs)
	s.attrs, s.shared = attrs, false
}

// put sets one valid attribute.
func (s *span) put(a attribute.KeyValue, limit int) {
	i := s.find(a.Key)
	switch {
	case i >= 0:
		s.attrs[i] = s.tracer.provider.normalize(a)
	case limit > 0 && len(s.attrs) >= limit:
		s.droppedAttrs++
	default:
		s.attrs = append(s.attrs, s.tracer.provider.normalize(a))
		if index := s.extras().index; index != nil {
			index[a.Key] = len(s.attrs) - 1
		}
	}
}

// find returns the position of k in attrs, or -1.
func (s *span) find(k attribute.Key) int {
	if len(s.attrs) >= indexAt && s.extras().index == nil {
		index := make(map[attribute.Key]int, 2*len(s.attrs))
		for i, a := range s.attrs {
			index[a.Key] = i
		}
		s.more().index = index
	}
	if index := s.extras().index; index != nil {
		if i, ok := index[k]; ok {
			return i
		}
		return -1
	}
	for i := range s.attrs {
		if s.attrs[i].Key == k {
			return i
		}
	}
	return -1
}

// End ends the span, records a panic in flight as the SDK does, and hands
// the span itself to every processor's OnEnd.
func (s *span) End(opts ...trace.SpanEndOption) {
	// The SDK's monotonic end: a wall-clock step does not make the span
	// end before it started.
	et := s.start.Add(time.Since(s.start))
	s.mu.Lock()
	if !s.end.IsZero() {
		s.mu.Unlock()
		return
	}
	c := trace.NewSpanEndConfig(opts...)
	if recovered := recover(); recovered != nil {
		defer panic(recovered)
		attrs := []attribute.KeyValue{
			semconv.ExceptionType(typeString(recovered)),
			semconv.ExceptionMessage(fmt.Sprint(recovered)),
		}
		if c.StackTrace() {
			attrs = append(attrs, semconv.ExceptionStacktrace(stackTrace()))
		}
		s.addEvent(semconv.ExceptionEventName, trace.WithAttributes(attrs...))
	}
	if end := s.extras().taskEnd; end != nil {
		s.mu.Unlock()
		end()
		s.mu.Lock()
	}
	if ts := c.Timestamp(); !ts.IsZero() {
		et = ts
	}
	s.end = et
	s.ended.Store(true)
	s.mu.Unlock()
	for _, sp := range *s.tracer.provider.processors.Load() {
		sp.OnEnd(s)
	}
}

// RecordError adds an exception event for err, as the SDK does.
func (s *span) RecordError(err error, opts ...trace.EventOption) {
	if err == nil || !s.IsRecording() {
		return
	}
	opts = append(opts, trace.WithAttributes(
		semconv.ExceptionType(typeString(err)),
		semconv.ExceptionMessage(err.Error()),
	))
	if c := trace.NewEventConfig(opts...); c.StackTrace() {
		opts = append(opts, trace.WithAttributes(semconv.ExceptionStacktrace(stackTrace())))
	}
	s.AddEvent(semconv.ExceptionEventName, opts...)
}

// typeString is the SDK's exception.type: the package path and the type's
// name, or the type as Go prints it when it has neither.
func typeString(v any) string {
	t := reflect.TypeOf(v)
	if t.PkgPath() == "" && t.Name() == "" {
		return t.String()
	}
	return fmt.Sprintf("%s.%s", t.PkgPath(), t.Name())
}

// stackTrace is the SDK's exception.stacktrace: the calling goroutine's
// stack, cut at 2 KiB.
func stackTrace() string {
	buf := make([]byte, 2048)
	return string(buf[:runtime.Stack(buf, false)])
}

func (s *span) AddEvent(name string, opts ...trace.EventOption) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.end.IsZero() {
		s.addEvent(name, opts...)
	}
}

// addEvent adds an event by the SDK's rules: its attributes normalized
// (not deduplicated), cut at the per-event limit, and past the event limit
// the oldest event evicted and counted.
func (s *span) addEvent(name string, opts ...trace.EventOption) {
	c := trace.NewEventConfig(opts...)
	e := sdktrace.Event{Name: name, Attributes: s.tracer.provider.normalizeList(c.Attributes(), listEvent), Time: c.Timestamp()}
	e.Attributes, e.DroppedAttributeCount = cut(e.Attributes, s.limits().AttributePerEventCountLimit)
	x := s.more()
	x.events, x.droppedEvents = evict(x.events, e, x.droppedEvents, s.limits().EventCountLimit)
}

func (s *span) AddLink(l trace.Link) {
	if !l.SpanContext.IsValid() && len(l.Attributes) == 0 && l.SpanContext.TraceState().Len() == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.end.IsZero() {
		return
	}
	link := sdktrace.Link{SpanContext: l.SpanContext, Attributes: s.tracer.provider.normalizeList(l.Attributes, listLink)}
	link.Attributes, link.DroppedAttributeCount = cut(link.Attributes, s.limits().AttributePerLinkCountLimit)
	x := s.more()
	x.links, x.droppedLinks = evict(x.links, link, x.droppedLinks, s.limits().LinkCountLimit)
}

// cut keeps the first limit attributes (all when limit is negative) and
// returns how many it dropped.
func cut(attrs []attribute.KeyValue, limit int) ([]attribute.KeyValue, int) {
	switch {
	case limit == 0:
		return nil, len(attrs)
	case limit > 0 && len(attrs) > limit:
		return attrs[:limit], len(attrs) - limit
	}
	return attrs, 0
}

// evict appends v to q, which holds at most limit items (no limit when
// negative): when full, the oldest goes and dropped counts it.
func evict[T any](q []T, v T, dropped, limit int) ([]T, int) {
	switch {
	case limit == 0:
		return q, dropped + 1
	case limit > 0 && len(q) == limit:
		copy(q, q[1:])
		q = q[:limit-1]
		dropped++
	}
	return append(q, v), dropped
}

func (s *span) SetName(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.end.IsZero() {
		s.name = name
	}
}

func (s *span) TracerProvider() trace.TracerProvider { return s.tracer.provider }

// addChild counts a child started from s while s records.
func (s *span) addChild() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.end.IsZero() {
		s.children++
	}
}

// The sdktrace.ReadOnlySpan methods. A live span (a processor's OnStart
// may read it) answers under the lock, handing out copies as the SDK does;
// an ended one hands out its own slices, which no longer change.

func (s *span) Name() string {
	if !s.ended.Load() {
		s.mu.Lock()
		defer s.mu.Unlock()
	}
	return s.name
}

func (s *span) Parent() trace.SpanContext { return s.parent }

func (s *span) SpanKind() trace.SpanKind { return trace.SpanKind(s.kind) }

func (s *span) StartTime() time.Time { return s.start }

func (s *span) EndTime() time.Time {
	if !s.ended.Load() {
		s.mu.Lock()
		defer s.mu.Unlock()
	}
	return s.end
}

func (s *span) Attributes() []attribute.KeyValue {
	if s.ended.Load() {
		// The SDK's snapshot holds nil, not the empty slice that invalid
		// attributes leave: a JSON exporter prints null, not [].
		if len(s.attrs) == 0 {
			return nil
		}
		return s.attrs
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shared = cap(s.attrs) > 0
	return s.attrs
}

func (s *span) Links() []sdktrace.Link {
	if s.ended.Load() {
		return s.extras().links
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sdktrace.Link{}, s.extras().links...)
}

func (s *span) Events() []sdktrace.Event {
	if s.ended.Load() {
		return s.extras().events
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sdktrace.Event{}, s.extras().events...)
}

// none is the spanExtra of a span without one, for reading only.
var none spanExtra

// extras returns what s has out of line, or none; s is ended or s.mu is
// held.
func (s *span) extras() *spanExtra {
	if s.extra == nil {
		return &none
	}
	return s.extra
}

func (s *span) Status() sdktrace.Status {
	if !s.ended.Load() {
		s.mu.Lock()
		defer s.mu.Unlock()
	}
	return s.status
}

func (s *span) InstrumentationScope() instrumentation.Scope { return s.tracer.scope }

// InstrumentationLibrary is deprecated but still part of
// sdktrace.ReadOnlySpan.
//
//lint:ignore SA1019 the interface requires it
func (s *span) InstrumentationLibrary() instrumentation.Library { return s.tracer.scope }

func (s *span) Resource() *resource.Resource { return s.tracer.provider.resource }

func (s *span) DroppedAttributes() int {
	if !s.ended.Load() {
		s.mu.Lock()
		defer s.mu.Unlock()
	}
	return s.droppedAttrs
}

// DroppedLinks and DroppedEvents of an ended span are the SDK snapshot's:
// it copies a count only with the links or events it counts, so a span
// whose limit is zero reports none dropped once ended (while live, as the
// SDK's live span, it reports them).

func (s *span) DroppedLinks() int {
	if s.ended.Load() && len(s.extras().links) == 0 {
		return 0
	}
	if !s.ended.Load() {
		s.mu.Lock()
		defer s.mu.Unlock()
	}
	return s.extras().droppedLinks
}

func (s *span) DroppedEvents() int {
	if s.ended.Load() && len(s.extras().events) == 0 {
		return 0
	}
	if !s.ended.Load() {
		s.mu.Lock()
		defer s.mu.Unlock()
	}
	return s.extras().droppedEvents
}

func (s *span) ChildSpanCount() int {
	if !s.ended.Load() {
		s.mu.Lock()
		defer s.mu.Unlock()
	}
	return s.children
}

// nonRecording is a span the sampler dropped: it carries its span context
// for propagation and records nothing.
type nonRecording struct {
	embedded.Span

	provider *Provider
	sc       trace.SpanContext
}

func (s nonRecording) SpanContext() trace.SpanContext        { return s.sc }
func (nonRecording) IsRecording() bool                       { return false }
func (nonRecording) SetStatus(codes.Code, string)            {}
func (nonRecording) SetAttributes(...attribute.KeyValue)     {}
func (nonRecording) End(...trace.SpanEndOption)              {}
func (nonRecording) RecordError(error, ...trace.EventOption) {}
func (nonRecording) AddEvent(string, ...trace.EventOption)   {}
func (nonRecording) AddLink(trace.Link)                      {}
func (nonRecording) SetName(string)                          {}
func (s nonRecording) TracerProvider() trace.TracerProvider  { return s.provider }
