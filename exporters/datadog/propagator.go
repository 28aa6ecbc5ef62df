package datadog

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Datadog's trace headers, as dd-trace-go reads and writes them.
const (
	HeaderTraceID  = "x-datadog-trace-id"
	HeaderParentID = "x-datadog-parent-id"
	HeaderPriority = "x-datadog-sampling-priority"
	HeaderOrigin   = "x-datadog-origin"
	HeaderTags     = "x-datadog-tags"
)

// Propagating tags.
const (
	// tagTraceIDHigh carries the upper 64 bits of a 128-bit trace ID in
	// x-datadog-tags, as 16 lower-case hex digits.
	tagTraceIDHigh = "_dd.p.tid"
	// propagatingPrefix marks the tags that travel with a trace.
	propagatingPrefix = "_dd.p."
	// maxTagsHeaderLen is dd-trace-go's default limit on x-datadog-tags
	// (DD_TRACE_X_DATADOG_TAGS_MAX_LENGTH): longer headers are ignored on
	// extraction, and tags that would exceed it are not injected.
	maxTagsHeaderLen = 512
)

// traceStateKey is the W3C tracestate member Datadog tracers keep their
// state in: dd=s:<priority>;o:<origin>;t.<tag>:<value>.
const traceStateKey = "dd"

// Propagator reads and writes Datadog's headers: x-datadog-trace-id (the
// low 64 bits of the trace ID, decimal), x-datadog-parent-id (decimal),
// x-datadog-sampling-priority, x-datadog-origin and x-datadog-tags, which
// carries the upper 64 bits as _dd.p.tid. A service traced by plain
// dd-trace-go and one instrumented with OpenTelemetry thus share traces,
// 128-bit IDs included.
//
// The sampling priority, origin and propagating tags it extracts are kept
// in the span context's tracestate under the dd key, in the format
// dd-trace-go itself writes there, and injected again downstream.
//
// When an earlier propagator in a composite (tracecontext, for one) has
// already extracted a remote span context, Extract keeps it: dd-trace-go
// sends both header sets for the same trace, and the W3C one carries more.
//
// Its name in OTEL_PROPAGATORS is datadog.
type Propagator struct{}

var _ propagation.TextMapPropagator = Propagator{}

// Fields implements propagation.TextMapPropagator.
func (Propagator) Fields() []string {
	return []string{HeaderTraceID, HeaderParentID, HeaderPriority, HeaderOrigin, HeaderTags}
}

// Inject implements propagation.TextMapPropagator.
func (Propagator) Inject(ctx context.Context, carrier propagation.TextMapCarrier) {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return
	}
	tid := sc.TraceID()
	sid := sc.SpanID()
	carrier.Set(HeaderTraceID, strconv.FormatUint(binary.BigEndian.Uint64(tid[8:]), 10))
	carrier.Set(HeaderParentID, strconv.FormatUint(binary.BigEndian.Uint64(sid[:]), 10))
	st := parseState(sc.TraceState().Get(traceStateKey))
	carrier.Set(HeaderPriority, strconv.Itoa(st.priorityFor(sc.IsSampled())))
	if st.origin != "" {
		carrier.Set(HeaderOrigin, st.origin)
	}
	var b strings.Builder
	if high := binary.BigEndian.Uint64(tid[:8]); high != 0 {
		b.WriteString(tagTraceIDHigh + "=" + hex.EncodeToString(tid[:8]))
	}
	for _, t := range st.tags {
		if t.key == tagTraceIDHigh || !validTag(t.key, t.value) {
			continue
		}
		if b.Len()+len(t.key)+len(t.value)+2 > maxTagsHeaderLen {
			break
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(t.key + "=" + t.value)
	}
	if b.Len() > 0 {
		carrier.Set(HeaderTags, b.String())
	}
}

// Extract implements propagation.TextMapPropagator.
func (Propagator) Extract(ctx context.Context, carrier propagation.TextMapCarrier) context.Context {
	if prev := trace.SpanContextFromContext(ctx); prev.IsValid() && prev.IsRemote() {
		return ctx
	}
	sc, ok := extract(carrier)
	if !ok {
		return ctx
	}
	return trace.ContextWithRemoteSpanContext(ctx, sc)
}

func extract(carrier propagation.TextMapCarrier) (trace.SpanContext, bool) {
	low, err := parseID(carrier.Get(HeaderTraceID))
	if err != nil {
		return trace.SpanContext{}, false
	}
	parent, err := parseID(carrier.Get(HeaderParentID))
	if err != nil || parent == 0 {
		// dd-trace-go accepts a zero parent for synthetics requests, but an
		// OTel span context needs a span ID.
		return trace.SpanContext{}, false
	}
	var st ddState
	if h := carrier.Get(HeaderTags); h != "" && len(h) <= maxTagsHeaderLen {
		st.tags = parseTagsHeader(h)
	}
	var tid trace.TraceID
	binary.BigEndian.PutUint64(tid[8:], low)
	for _, t := range st.tags {
		// dd-trace-go takes only 16 lower-case hex digits (validateTID).
		if t.key == tagTraceIDHigh && isLowerHex16(t.value) {
			b, _ := hex.DecodeString(t.value)
			copy(tid[:8], b)
		}
	}
	// A 128-bit ID whose low 64 bits are zero is still an ID; only the
	// all-zero ID is none.
	if !tid.IsValid() {
		return trace.SpanContext{}, false
	}
	st.tags = dropTag(st.tags, tagTraceIDHigh)
	// No priority means the sender left the decision to us; dd-trace-go's
	// default then keeps the trace, and so does a sampled flag.
	sampled := true
	// A priority header that is present must parse, even empty, as in
	// dd-trace-go's extractTextMap.
	if p, ok := header(carrier, HeaderPriority); ok {
		prio, err := strconv.Atoi(p)
		if err != nil {
			return trace.SpanContext{}, false
		}
		st.priority, st.hasPriority = prio, true
		sampled = prio > 0
	}
	st.origin = carrier.Get(HeaderOrigin)

	var sid trace.SpanID
	binary.BigEndian.PutUint64(sid[:], parent)
	cfg := trace.SpanContextConfig{TraceID: tid, SpanID: sid, Remote: true}
	if sampled {
		cfg.TraceFlags = trace.FlagsSampled
	}
	if v := st.encode(); v != "" {
		if ts, err := (trace.TraceState{}).Insert(traceStateKey, v); err == nil {
			cfg.TraceState = ts
		}
	}
	return trace.NewSpanContext(cfg), true
}

// ddState is the Datadog part of a trace's context that OTel's span context
// has no field for.
type ddState struct {
	priority    int
	hasPriority bool
	origin      string
	// tags are propagating tags (_dd.p.*), in the order received.
	tags []tag
}

// priorityFor returns the sampling priority to send for a span context
// whose sampled flag is sampled: the one received when it agrees with the
// flag (so USER_KEEP stays 2), else AUTO_KEEP (1) or AUTO_REJECT (0).
func (s ddState) priorityFor(sampled bool) int {
	if s.hasPriority && (s.priority > 0) == sampled {
		return s.priority
	}
	if sampled {
		return 1
	}
	return 0
}

// parseState reads the value of the dd tracestate member, as dd-trace-go
// writes it: s:<priority>;o:<origin>;t.<tag>:<value>, with '=' written '~'.
func parseState(v string) ddState {
	var s ddState
	if v == "" {
		return s
	}
	for _, member := range strings.Split(v, ";") {
		k, val, ok := strings.Cut(member, ":")
		if !ok {
			continue
		}
		switch {
		case k == "s":
			if p, err := strconv.Atoi(val); err == nil {
				s.priority, s.hasPriority = p, true
			}
		case k == "o":
			s.origin = strings.ReplaceAll(val, "~", "=")
		case strings.HasPrefix(k, "t."):
			s.tags = append(s.tags, tag{propagatingPrefix + k[len("t."):], strings.ReplaceAll(val, "~", "=")})
		}
	}
	return s
}

// maxStateLen is the W3C limit on a tracestate member's value.
const maxStateLen = 256

// encode writes s as the dd tracestate member's value, or "" when there is
// nothing to keep.
func (s ddState) encode() string {
	if !s.hasPriority && s.origin == "" && len(s.tags) == 0 {
		return ""
	}
	var b strings.Builder
	if s.hasPriority {
		b.WriteString("s:" + strconv.Itoa(s.priority))
	}
	add := func(member string) {
		if b.Len()+len(member)+1 > maxStateLen {
			return
		}
		if b.Len() > 0 {
			b.WriteByte(';')
		}
		b.WriteString(member)
	}
	if s.origin != "" {
		add("o:" + sanitizeState(s.origin, true))
	}
	for _, t := range s.tags {
		if !strings.HasPrefix(t.key, propagatingPrefix) {
			continue
		}
		add("t." + sanitizeState(t.key[len(propagatingPrefix):], true) + ":" + sanitizeState(t.value, false))
	}
	return strings.TrimRight(b.String(), " ")
}

// sanitizeState makes s fit a tracestate value as dd-trace-go does: '='
// becomes '~'; ',', ';', '~', ':' in keys, and characters outside printable
// ASCII become '_'.
func sanitizeState(s string, key bool) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '=':
			b.WriteByte('~')
		case r == ',' || r == ';' || r == '~' || (key && (r == ':' || r == ' ')):
			b.WriteByte('_')
		case r < 0x20 || r > 0x7e:
			b.WriteByte('_')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// parseTagsHeader reads x-datadog-tags: k1=v1,k2=v2. Only propagating tags
// (_dd.p.*) are kept; a malformed header yields none, as in dd-trace-go.
func parseTagsHeader(h string) []tag {
	var tags []tag
	for _, item := range strings.Split(h, ",") {
		k, v, ok := strings.Cut(item, "=")
		if !ok || k == "" || v == "" {
			return nil
		}
		if strings.HasPrefix(k, propagatingPrefix) && validTag(k, v) {
			tags = setTag(tags, k, v)
		}
	}
	return tags
}

// setTag sets key to value: a repeated key keeps its first place and its
// last value, as in dd-trace-go's map of propagating tags, and is sent once.
func setTag(tags []tag, key, value string) []tag {
	for i := range tags {
		if tags[i].key == key {
			tags[i].value = value
			return tags
		}
	}
	return append(tags, tag{key, value})
}

// validTag is dd-trace-go's isValidPropagatableTag.
func validTag(k, v string) bool {
	if k == "" || v == "" {
		return false
	}
	for _, c := range k {
		if c < 32 || c > 126 || c == ' ' || c == '=' || c == ',' {
			return false
		}
	}
	for _, c := range v {
		if c < 32 || c > 126 || c == ',' {
			return false
		}
	}
	return true
}

func dropTag(tags []tag, key string) []tag {
	out := tags[:0]
	for _, t := range tags {
		if t.key != key {
			out = append(out, t)
		}
	}
	return out
}

// parseID reads a decimal ID as dd-trace-go's parseUint64 does: a signed
// value is taken as its two's complement (-1 is the largest uint64), as
// some tracers write IDs as signed 64-bit integers.
func parseID(s string) (uint64, error) {
	if strings.HasPrefix(s, "-") {
		n, err := strconv.ParseInt(s, 10, 64)
		return uint64(n), err
	}
	return strconv.ParseUint(s, 10, 64)
}

func isLowerHex16(s string) bool {
	if len(s) != 16 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// header returns a header's value and whether the carrier has it at all.
func header(carrier propagation.TextMapCarrier, key string) (string, bool) {
	if v := carrier.Get(key); v != "" {
		return v, true
	}
	for _, k := range carrier.Keys() {
		if strings.EqualFold(k, key) {
			return "", true
		}
	}
	return "", false
}
