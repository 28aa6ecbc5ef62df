package otlpwire

import (
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/encoding/protowire"
)

// Field numbers of opentelemetry/proto/{collector/trace,trace,common,resource}/v1.
const (
	requestResourceSpans = 1

	resourceSpansResource   = 1
	resourceSpansScopeSpans = 2
	resourceSpansSchemaURL  = 3

	scopeSpansScope     = 1
	scopeSpansSpans     = 2
	scopeSpansSchemaURL = 3

	spanTraceID           = 1
	spanSpanID            = 2
	spanTraceState        = 3
	spanParentSpanID      = 4
	spanName              = 5
	spanKind              = 6
	spanStart             = 7
	spanEnd               = 8
	spanAttributes        = 9
	spanDroppedAttributes = 10
	spanEvents            = 11
	spanDroppedEvents     = 12
	spanLinks             = 13
	spanDroppedLinks      = 14
	spanStatus            = 15
	spanFlags             = 16

	eventTime              = 1
	eventName              = 2
	eventAttributes        = 3
	eventDroppedAttributes = 4

	linkTraceID           = 1
	linkSpanID            = 2
	linkTraceState        = 3
	linkAttributes        = 4
	linkDroppedAttributes = 5
	linkFlags             = 6

	statusMessage = 2
	statusCode    = 3

	resourceAttributes = 1

	scopeName       = 1
	scopeVersion    = 2
	scopeAttributes = 3

	keyValueKey   = 1
	keyValueValue = 2

	anyString = 1
	anyBool   = 2
	anyInt    = 3
	anyDouble = 4
	anyArray  = 5
	anyKVList = 6
	anyBytes  = 7

	arrayValues  = 1
	kvlistValues = 1

	// SpanFlags: the low 8 bits are the W3C trace flags.
	flagHasIsRemote = 0x100
	flagIsRemote    = 0x200
)

// Encoder writes ExportTraceServiceRequest messages. It remembers the
// encoded form of the last resources and scopes it saw, which never change
// once a provider has made them. It is safe for concurrent use.
type Encoder struct {
	// Shared, when set, shares encoded spans with the other encoders of a
	// fan-out that joined it.
	Shared *Shared

	mu sync.Mutex
	// resources and scopes hold encoded messages (their contents, without
	// tag and length). A resource is keyed by pointer: every span of a
	// provider shares one, and holding it here keeps its address from
	// being reused for another.
	resources []cachedResource
	scopes    map[instrumentation.Scope][]byte

	// Scratch for grouping a batch, reused between calls.
	groups []resourceGroup
}

type cachedResource struct {
	res     *resource.Resource
	encoded []byte
}

// Bounds on the caches: a process has a handful of resources (one per
// provider, one per backend that rewrites it) and of scopes (one per
// instrumentation library); past these, entries are replaced.
const (
	maxResources = 8
	maxScopes    = 256
)

// resourceGroup is the spans of a batch that share a resource (by the
// SDK's rule: equivalent attributes), grouped by scope, in the order
// first seen.
type resourceGroup struct {
	key    attribute.Distinct
	res    *resource.Resource
	scopes []scopeGroup
}

type scopeGroup struct {
	scope instrumentation.Scope
	spans []int
}

// AppendRequest appends to dst an ExportTraceServiceRequest holding spans,
// grouped as the SDK groups them: one ResourceSpans per resource, one
// ScopeSpans per instrumentation scope within it. nil spans are skipped.
func (e *Encoder) AppendRequest(dst []byte, spans []sdktrace.ReadOnlySpan) []byte {
	b := e.Encode(spans)
	dst = append(dst, b.B...)
	b.Release(true)
	return dst
}

// Encode returns the request AppendRequest would write, in a pooled Buffer.
// In a fan-out (Shared) the Buffer is the very one the other encoders
// return for the same spans: one encoding, no copy, sent N times. Its bytes
// must not be changed; Release it once they are no longer needed.
func (e *Encoder) Encode(spans []sdktrace.ReadOnlySpan) *Buffer {
	others := e.Shared.others()
	if others <= 0 {
		buf := getBuffer(1)
		buf.B = e.appendRequest(buf.B, spans, false)
		return buf
	}
	shared, claim := e.Shared.request(spans, others)
	if shared != nil {
		return shared
	}
	if claim == nil {
		buf := getBuffer(1)
		buf.B = e.appendRequest(buf.B, spans, e.Shared.bySpan.Load())
		return buf
	}
	// The claimer's reference and one for each other encoder.
	buf := getBuffer(1 + others)
	var made *Buffer
	defer func() { e.Shared.fill(claim, made) }() // also when encoding panics
	buf.B = e.appendRequest(buf.B, spans, e.Shared.bySpan.Load())
	made = buf
	return buf
}

// Buffer is one encoded request. Shared by the encoders of a fan-out, it
// goes back to the pool when the last user releases it, and only when
// every send of it succeeded: after a failure a transport may still be
// reading it (a gRPC stream cancelled while its frames were queued, an
// HTTP body still being written).
type Buffer struct {
	B      []byte
	refs   atomic.Int32
	failed atomic.Bool
}

// maxPooledBuffer bounds the buffers kept for reuse: a batch of 512
// ordinary spans takes about 300 KB; a rare huge one is left to the GC.
const maxPooledBuffer = 4 << 20

// buffers keeps released buffers for the next request. A bounded free list
// rather than a sync.Pool: a pool is emptied by every GC, which on a busy
// service runs many times between two exports, so each request grew a
// fresh buffer from nothing (doubling to ~300 KB) and the scavenger then
// returned it to the OS (docs/performance.md, "Per request").
var buffers = make(chan *Buffer, 4)

func getBuffer(refs int32) *Buffer {
	var b *Buffer
	select {
	case b = <-buffers:
	default:
		b = new(Buffer)
	}
	b.B = b.B[:0]
	b.refs.Store(refs)
	b.failed.Store(false)
	return b
}

// Release lets go of b; sent says whether its bytes were delivered (or
// are otherwise no longer read by anything).
func (b *Buffer) Release(sent bool) {
	if !sent {
		b.failed.Store(true)
	}
	if b.refs.Add(-1) != 0 || b.failed.Load() || cap(b.B) > maxPooledBuffer {
		return
	}
	select {
	case buffers <- b:
	default: // enough kept; the GC has this one
	}
}

// appendRequest encodes spans, sharing them span by span when bySpan.
func (e *Encoder) appendRequest(dst []byte, spans []sdktrace.ReadOnlySpan, bySpan bool) []byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	groups := e.group(spans)
	for gi := range groups {
		g := &groups[gi]
		var rs int
		dst, rs = begin(dst, requestResourceSpans, 3)
		if g.res != nil {
			dst = appendBytesField(dst, resourceSpansResource, e.resource(g.res))
		}
		for si := range g.scopes {
			sg := &g.scopes[si]
			var ss int
			dst, ss = begin(dst, resourceSpansScopeSpans, 3)
			if sg.scope != (instrumentation.Scope{}) {
				dst = appendBytesField(dst, scopeSpansScope, e.scope(sg.scope))
			}
			others := e.Shared.others()
			for _, i := range sg.spans {
				if bySpan && others > 0 {
					dst = e.appendShared(dst, spans[i], others)
					continue
				}
				var sp int
				dst, sp = begin(dst, scopeSpansSpans, 2)
				dst = appendSpan(dst, spans[i])
				dst = end(dst, sp, 2)
			}
			dst = appendString(dst, scopeSpansSchemaURL, sg.scope.SchemaURL)
			dst = end(dst, ss, 3)
		}
		if g.res != nil {
			dst = appendString(dst, resourceSpansSchemaURL, g.res.SchemaURL())
		}
		dst = end(dst, rs, 3)
	}
	e.release()
	return dst
}

// appendShared appends a Span field, taking its bytes from e.Shared when
// another encoder has encoded the span, and leaving them there for the
// others when not.
func (e *Encoder) appendShared(dst []byte, s sdktrace.ReadOnlySpan, others int32) []byte {
	k, ok := keyOf(s)
	if ok {
		if b, found := e.Shared.take(k); found {
			return appendBytesField(dst, scopeSpansSpans, b)
		}
	}
	var sp int
	dst, sp = begin(dst, scopeSpansSpans, 2)
	dst = appendSpan(dst, s)
	if ok {
		e.Shared.put(k, dst[sp:], others)
	}
	return end(dst, sp, 2)
}

// group sorts spans (by index) into resource and scope groups, reusing
// e.groups. Batches hold one resource and a few scopes, so a linear search
// starting from the last match beats a map.
func (e *Encoder) group(spans []sdktrace.ReadOnlySpan) []resourceGroup {
	groups := e.groups[:0]
	lastR, lastS := -1, -1
	var lastRes *resource.Resource
	for i, s := range spans {
		if s == nil {
			continue
		}
		res := s.Resource()
		r := lastR
		if r < 0 || res != lastRes {
			groups, r = resourceIndex(groups, res)
			lastRes, lastS = res, -1
		}
		if r != lastR {
			lastS = -1
		}
		lastR = r
		g := &groups[r]
		scope := s.InstrumentationScope()
		sc := lastS
		if sc < 0 || g.scopes[sc].scope != scope {
			sc = g.scopeIndex(scope)
			lastS = sc
		}
		g.scopes[sc].spans = append(g.scopes[sc].spans, i)
	}
	e.groups = groups
	return groups
}

// resourceIndex finds res's group, adding one, reusing the memory past
// len(groups), when there is none.
func resourceIndex(groups []resourceGroup, res *resource.Resource) ([]resourceGroup, int) {
	key := res.Equivalent()
	for j := range groups {
		if groups[j].key == key {
			return groups, j
		}
	}
	if len(groups) < cap(groups) {
		groups = groups[:len(groups)+1]
		groups[len(groups)-1].key, groups[len(groups)-1].res = key, res
	} else {
		groups = append(groups, resourceGroup{key: key, res: res})
	}
	return groups, len(groups) - 1
}

// scopeIndex finds scope's group in g, adding one, reusing the memory past
// len(g.scopes), when there is none.
func (g *resourceGroup) scopeIndex(scope instrumentation.Scope) int {
	for j := range g.scopes {
		if g.scopes[j].scope == scope {
			return j
		}
	}
	if len(g.scopes) < cap(g.scopes) {
		g.scopes = g.scopes[:len(g.scopes)+1]
		g.scopes[len(g.scopes)-1].scope = scope
	} else {
		g.scopes = append(g.scopes, scopeGroup{scope: scope})
	}
	return len(g.scopes) - 1
}

// release empties the groups for the next batch, keeping their memory but
// not the resources and scopes they point to.
func (e *Encoder) release() {
	for i := range e.groups {
		g := &e.groups[i]
		for j := range g.scopes {
			g.scopes[j].scope = instrumentation.Scope{}
			g.scopes[j].spans = g.scopes[j].spans[:0]
		}
		g.scopes = g.scopes[:0]
		g.res, g.key = nil, attribute.Distinct{}
	}
	e.groups = e.groups[:0]
}

// resource returns r's Resource message, encoded once.
func (e *Encoder) resource(r *resource.Resource) []byte {
	for _, c := range e.resources {
		if c.res == r {
			return c.encoded
		}
	}
	var b []byte
	for it := r.Iter(); it.Next(); {
		b = appendKeyValue(b, resourceAttributes, it.Attribute())
	}
	if b == nil {
		b = []byte{}
	}
	if len(e.resources) == maxResources {
		copy(e.resources, e.resources[1:])
		e.resources = e.resources[:maxResources-1]
	}
	e.resources = append(e.resources, cachedResource{res: r, encoded: b})
	return b
}

// scope returns s's InstrumentationScope message, encoded once.
func (e *Encoder) scope(s instrumentation.Scope) []byte {
	if b, ok := e.scopes[s]; ok {
		return b
	}
	b := appendString(nil, scopeName, s.Name)
	b = appendString(b, scopeVersion, s.Version)
	for it := s.Attributes.Iter(); it.Next(); {
		b = appendKeyValue(b, scopeAttributes, it.Attribute())
	}
	if b == nil {
		b = []byte{}
	}
	if e.scopes == nil || len(e.scopes) >= maxScopes {
		e.scopes = make(map[instrumentation.Scope][]byte)
	}
	e.scopes[s] = b
	return b
}

// appendSpan appends the contents of a Span message, fields in number
// order, as proto.Marshal writes them.
func appendSpan(b []byte, s sdktrace.ReadOnlySpan) []byte {
	sc := s.SpanContext()
	tid, sid := sc.TraceID(), sc.SpanID()
	b = appendBytesField(b, spanTraceID, tid[:])
	b = appendBytesField(b, spanSpanID, sid[:])
	if ts := sc.TraceState(); ts.Len() > 0 {
		b = appendString(b, spanTraceState, ts.String())
	}
	parent := s.Parent()
	if psid := parent.SpanID(); psid.IsValid() {
		b = appendBytesField(b, spanParentSpanID, psid[:])
	}
	b = appendString(b, spanName, s.Name())
	if k := kind(s.SpanKind()); k != 0 {
		b = protowire.AppendTag(b, spanKind, protowire.VarintType)
		b = protowire.AppendVarint(b, k)
	}
	b = appendFixed64(b, spanStart, unixNano(s.StartTime().UnixNano()))
	b = appendFixed64(b, spanEnd, unixNano(s.EndTime().UnixNano()))
	for _, kv := range s.Attributes() {
		b = appendKeyValue(b, spanAttributes, kv)
	}
	b = appendCount(b, spanDroppedAttributes, s.DroppedAttributes())
	b = appendEvents(b, s.Events())
	b = appendCount(b, spanDroppedEvents, s.DroppedEvents())
	b = appendLinks(b, s.Links())
	b = appendCount(b, spanDroppedLinks, s.DroppedLinks())
	// Status is always present, as the SDK's transform writes it.
	b = appendStatus(b, s.Status())
	return appendFixed32(b, spanFlags, flags(sc.TraceFlags(), parent.IsRemote()))
}

// appendEvents appends each event as a Span.Event message.
func appendEvents(b []byte, events []sdktrace.Event) []byte {
	for _, ev := range events {
		var m int
		b, m = begin(b, spanEvents, 1)
		b = appendFixed64(b, eventTime, unixNano(ev.Time.UnixNano()))
		b = appendString(b, eventName, ev.Name)
		for _, kv := range ev.Attributes {
			b = appendKeyValue(b, eventAttributes, kv)
		}
		b = appendCount(b, eventDroppedAttributes, ev.DroppedAttributeCount)
		b = end(b, m, 1)
	}
	return b
}

// appendLinks appends each link as a Span.Link message.
func appendLinks(b []byte, links []sdktrace.Link) []byte {
	for _, l := range links {
		var m int
		b, m = begin(b, spanLinks, 1)
		ltid, lsid := l.SpanContext.TraceID(), l.SpanContext.SpanID()
		b = appendBytesField(b, linkTraceID, ltid[:])
		b = appendBytesField(b, linkSpanID, lsid[:])
		if ts := l.SpanContext.TraceState(); ts.Len() > 0 {
			b = appendString(b, linkTraceState, ts.String())
		}
		for _, kv := range l.Attributes {
			b = appendKeyValue(b, linkAttributes, kv)
		}
		b = appendCount(b, linkDroppedAttributes, l.DroppedAttributeCount)
		b = appendFixed32(b, linkFlags, flags(l.SpanContext.TraceFlags(), l.SpanContext.IsRemote()))
		b = end(b, m, 1)
	}
	return b
}

// appendStatus appends the Status message.
func appendStatus(b []byte, st sdktrace.Status) []byte {
	var m int
	b, m = begin(b, spanStatus, 1)
	b = appendString(b, statusMessage, st.Description)
	if c := statusCodeOf(st.Code); c != 0 {
		b = protowire.AppendTag(b, statusCode, protowire.VarintType)
		b = protowire.AppendVarint(b, c)
	}
	b = end(b, m, 1)
	return b
}

// flags is the Span or Link flags field: the W3C trace flags, and whether
// the parent (for a span) or the linked context (for a link) is remote,
// with the bit that says that is known.
func flags(tf trace.TraceFlags, remote bool) uint32 {
	f := uint32(tf) | flagHasIsRemote
	if remote {
		f |= flagIsRemote
	}
	return f
}

func kind(k trace.SpanKind) uint64 {
	switch k {
	case trace.SpanKindInternal, trace.SpanKindServer, trace.SpanKindClient,
		trace.SpanKindProducer, trace.SpanKindConsumer:
		return uint64(k) // the OTLP enum has the API's numbering
	}
	return 0
}

func statusCodeOf(c codes.Code) uint64 {
	switch c {
	case codes.Ok:
		return 1
	case codes.Error:
		return 2
	}
	return 0
}

// unixNano clamps times before 1970, which OTLP's unsigned field cannot
// hold, to zero, as the SDK does.
func unixNano(n int64) uint64 { return uint64(max(0, n)) }

// appendKeyValue appends a KeyValue field num.
func appendKeyValue(b []byte, num protowire.Number, kv attribute.KeyValue) []byte {
	var m int
	b, m = begin(b, num, 1)
	b = appendString(b, keyValueKey, string(kv.Key))
	var v int
	b, v = begin(b, keyValueValue, 1)
	b = appendValue(b, kv.Value)
	b = end(b, v, 1)
	return end(b, m, 1)
}

// appendArrayValues appends the values of an ArrayValue, each an AnyValue.
func appendArrayValues(b []byte, v attribute.Value) []byte {
	switch v.Type() {
	case attribute.BOOLSLICE:
		for _, x := range v.AsBoolSlice() {
			b = protowire.AppendTag(b, arrayValues, protowire.BytesType)
			b = append(b, 2, anyBool<<3|byte(protowire.VarintType), byte(protowire.EncodeBool(x)))
		}
	case attribute.INT64SLICE:
		for _, x := range v.AsInt64Slice() {
			b = protowire.AppendTag(b, arrayValues, protowire.BytesType)
			b = protowire.AppendVarint(b, uint64(1+protowire.SizeVarint(uint64(x))))
			b = protowire.AppendTag(b, anyInt, protowire.VarintType)
			b = protowire.AppendVarint(b, uint64(x))
		}
	case attribute.FLOAT64SLICE:
		for _, x := range v.AsFloat64Slice() {
			b = protowire.AppendTag(b, arrayValues, protowire.BytesType)
			b = append(b, 9, anyDouble<<3|byte(protowire.Fixed64Type))
			b = protowire.AppendFixed64(b, math.Float64bits(x))
		}
	case attribute.STRINGSLICE:
		for _, x := range v.AsStringSlice() {
			var e int
			b, e = begin(b, arrayValues, 1)
			b = protowire.AppendTag(b, anyString, protowire.BytesType)
			b = protowire.AppendString(b, validUTF8(x))
			b = end(b, e, 1)
		}
	case attribute.SLICE:
		for _, x := range v.AsSlice() {
			var e int
			b, e = begin(b, arrayValues, 1)
			b = appendValue(b, x)
			b = end(b, e, 1)
		}
	}
	return b
}

// appendValue appends the contents of an AnyValue. Its oneof field is
// written even when it holds the zero value, as proto.Marshal does.
func appendValue(b []byte, v attribute.Value) []byte {
	switch v.Type() {
	case attribute.BOOL:
		b = appendVarintField(b, anyBool, protowire.EncodeBool(v.AsBool()))
	case attribute.INT64:
		b = appendVarintField(b, anyInt, uint64(v.AsInt64()))
	case attribute.FLOAT64:
		b = appendFixed64Field(b, anyDouble, math.Float64bits(v.AsFloat64()))
	case attribute.STRING:
		b = appendStringField(b, anyString, v.AsString())
	case attribute.BYTESLICE:
		b = appendBytesField(b, anyBytes, v.AsByteSlice())
	case attribute.BOOLSLICE, attribute.INT64SLICE, attribute.FLOAT64SLICE, attribute.STRINGSLICE, attribute.SLICE:
		var m int
		b, m = begin(b, anyArray, 1)
		b = appendArrayValues(b, v)
		b = end(b, m, 1)
	case attribute.MAP:
		var m int
		b, m = begin(b, anyKVList, 1)
		for _, kv := range v.AsMap() {
			b = appendKeyValue(b, kvlistValues, kv)
		}
		b = end(b, m, 1)
	case attribute.EMPTY:
		// An AnyValue with nothing set.
	default:
		b = appendStringField(b, anyString, "INVALID")
	}
	return b
}

// begin appends the tag of the message field num and reserve bytes for
// its length, and returns where its contents start, for end.
func begin(b []byte, num protowire.Number, reserve int) ([]byte, int) {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	for range reserve {
		b = append(b, 0)
	}
	return b, len(b)
}

// end writes the length of the message whose contents start at start,
// after reserve bytes. When the length's varint takes another number of
// bytes, the contents move: once per message, a few hundred bytes for a
// span, the whole batch for the outer messages (once per batch).
func end(b []byte, start, reserve int) []byte {
	n := len(b) - start
	size := protowire.SizeVarint(uint64(n))
	switch {
	case size > reserve:
		grow := size - reserve
		b = append(b, make([]byte, grow)...)
		copy(b[start+grow:], b[start:start+n])
	case size < reserve:
		shrink := reserve - size
		copy(b[start-shrink:], b[start:start+n])
		b = b[:len(b)-shrink]
	}
	protowire.AppendVarint(b[:start-reserve], uint64(n))
	return b
}

// appendString appends a string field, leaving it out when empty (proto3).
func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	return appendStringField(b, num, s)
}

// appendStringField appends a string field, even empty (a oneof member).
func appendStringField(b []byte, num protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, validUTF8(s))
}

// appendVarintField appends a varint field, even zero (a oneof member).
func appendVarintField(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

// appendFixed64Field appends a fixed64 field, even zero (a oneof member).
func appendFixed64Field(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.Fixed64Type)
	return protowire.AppendFixed64(b, v)
}

// appendBytesField appends a bytes or embedded message field, even empty.
func appendBytesField(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func appendFixed64(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	return appendFixed64Field(b, num, v)
}

func appendFixed32(b []byte, num protowire.Number, v uint32) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.Fixed32Type)
	return protowire.AppendFixed32(b, v)
}

// appendCount appends a dropped count, clamped to uint32 as the SDK does.
func appendCount(b []byte, num protowire.Number, n int) []byte {
	if n <= 0 {
		return b
	}
	return appendVarintField(b, num, uint64(min(int64(n), math.MaxUint32)))
}

// validUTF8 returns s with invalid bytes replaced: a proto3 string must be
// UTF-8, and receivers reject the whole request otherwise.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
