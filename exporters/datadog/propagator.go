package datadog

import (
	"context"
	"encoding/binary"
	"encoding/hex"
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

// The W3C headers, which dd-trace-go's default propagation style also reads
// and writes next to its own.
const (
	headerTraceparent = "traceparent"
	headerTracestate  = "tracestate"
)

// Propagator reads and writes Datadog's headers: x-datadog-trace-id (the
// low 64 bits of the trace ID, decimal), x-datadog-parent-id (decimal),
// x-datadog-sampling-priority, x-datadog-origin and x-datadog-tags, which
// carries the upper 64 bits as _dd.p.tid. A service traced by plain
// dd-trace-go and one instrumented with OpenTelemetry thus share traces,
// 128-bit IDs included.
//
// It follows dd-trace-go v2's own propagator, checked against it by a
// differential test (docs/datadog.md lists what still differs):
//
//   - The sampling priority, origin and propagated tags it extracts travel
//     with the context exactly as received (origin and tag values are not
//     rewritten, and state past the 256 bytes of a tracestate member is
//     kept), and are also kept in the span context's tracestate under the
//     dd key, in dd-trace-go's format, for W3C-only hops.
//   - Placed after tracecontext (the default), it reconciles the two header
//     sets as dd-trace-go's default style (datadog,tracecontext) does: for
//     the same trace the Datadog state wins and the W3C parent is kept; for
//     another trace the Datadog context wins; corrupt Datadog headers make
//     the whole carrier refused. A W3C-only carrier's dd member is read
//     with dd-trace-go's rules, the traceparent flag overriding a priority
//     that disagrees with it and updating _dd.p.dm.
//   - On inject after tracecontext it rewrites the tracestate header that
//     propagator just wrote, composing its dd member as dd-trace-go does
//     (priority, origin, last Datadog parent, tags), ahead of the other
//     vendors' members.
//
// Other propagators placed before it (b3, jaeger) keep the context they
// extracted, as the first one listed wins.
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
	st, others := stateFor(ctx, sc)
	st = st.decided(sc.IsSampled())
	if !sc.IsRemote() {
		// A span of ours is the last Datadog parent downstream (the
		// tracestate's p:), as dd-trace-go writes its own span's ID.
		sid := sc.SpanID()
		st.parent = hex.EncodeToString(sid[:])
	}
	tid := sc.TraceID()
	st.tags = withTraceIDHigh(st.tags, tid)
	writeDatadog(carrier, sc, st)
	if tracecontextWrote(carrier, sc) {
		carrier.Set(headerTracestate, composeTracestate(st, others))
	}
}

// Extract implements propagation.TextMapPropagator.
func (Propagator) Extract(ctx context.Context, carrier propagation.TextMapCarrier) context.Context {
	prev := trace.SpanContextFromContext(ctx)
	w3c := w3cStatusOf(prev, carrier)
	if w3c == w3cForeign {
		return ctx // an earlier propagator's (b3, jaeger) context wins
	}
	d, status := extractDatadog(carrier)
	switch {
	case status != ddFound:
		return withoutDatadog(ctx, prev, w3c, status, carrier)
	case w3c == w3cOK && prev.TraceID() == d.traceID:
		return merged(ctx, prev, d, carrier)
	}
	// The Datadog context alone; a traceparent of another trace, or a
	// corrupt one, is not followed (dd-trace-go only links the former).
	if d.spanID == 0 {
		// A synthetics request may have no parent; an OpenTelemetry span
		// context needs one.
		return blankIf(ctx, w3c != w3cNone)
	}
	d.state.parent = spanHex(d.spanID)
	return withState(ctx, d.traceID, spanIDOf(d.spanID), d.state, trace.TraceState{}, nil)
}

// w3cStatus is what the context holds before this propagator runs.
type w3cStatus int

const (
	w3cNone    w3cStatus = iota // no remote span context
	w3cOK                       // the carrier's traceparent, read by tracecontext
	w3cCorrupt                  // the same, but traceparent is repeated: dd-trace-go refuses it
	w3cForeign                  // another propagator's (b3, jaeger)
)

func w3cStatusOf(prev trace.SpanContext, carrier propagation.TextMapCarrier) w3cStatus {
	switch {
	case !prev.IsValid() || !prev.IsRemote():
		return w3cNone
	case !sameAsTraceparent(prev, carrier):
		return w3cForeign
	case len(values(carrier, headerTraceparent)) > 1:
		return w3cCorrupt
	}
	return w3cOK
}

// withoutDatadog is the outcome when the Datadog headers give no context:
// the W3C context with the tracestate's Datadog state, or, as dd-trace-go
// stops at a corrupt header of either kind, no context at all.
func withoutDatadog(ctx context.Context, prev trace.SpanContext, w3c w3cStatus, status ddStatus, carrier propagation.TextMapCarrier) context.Context {
	switch {
	case w3c == w3cNone:
		return ctx
	case status == ddCorrupt || w3c == w3cCorrupt:
		return blankIf(ctx, true)
	}
	return withW3CState(ctx, prev, carrier)
}

// blankIf drops the remote span context an earlier propagator extracted
// from this carrier, when dd-trace-go would extract none from it.
func blankIf(ctx context.Context, blank bool) context.Context {
	if !blank {
		return ctx
	}
	return trace.ContextWithSpanContext(ctx, trace.SpanContext{})
}

// withW3CState keeps the W3C context prev and reads the Datadog state from
// the carrier's tracestate with dd-trace-go's rules.
func withW3CState(ctx context.Context, prev trace.SpanContext, carrier propagation.TextMapCarrier) context.Context {
	st, others := parseTracestate(lastValue(carrier, headerTracestate), prev.IsSampled())
	c := &carried{traceID: prev.TraceID(), member: prev.TraceState().Get(traceStateKey), state: st, others: others}
	return context.WithValue(ctx, carriedKey{}, c)
}

// merged is dd-trace-go's outcome for Datadog and W3C headers of the same
// trace: the Datadog priority, origin and tags, the W3C parent, the other
// vendors' tracestate members; the last Datadog parent (p:) is the W3C
// one's, else the Datadog parent ID when the two parents differ.
func merged(ctx context.Context, prev trace.SpanContext, d ddContext, carrier propagation.TextMapCarrier) context.Context {
	w3c, others := parseTracestate(lastValue(carrier, headerTracestate), prev.IsSampled())
	st := d.state
	if sid := prev.SpanID(); binary.BigEndian.Uint64(sid[:]) != d.spanID {
		st.parent = w3c.parent
		if st.parent == "" {
			st.parent = spanHex(d.spanID)
		}
	}
	return withState(ctx, prev.TraceID(), prev.SpanID(), st, prev.TraceState(), others)
}

// withState puts the remote span context for st into ctx, with st itself
// carried beside it. base is the tracestate of the W3C context the state
// goes with (the other vendors' members), or empty.
func withState(ctx context.Context, tid trace.TraceID, sid trace.SpanID, st ddState, base trace.TraceState, others []string) context.Context {
	cfg := trace.SpanContextConfig{TraceID: tid, SpanID: sid, Remote: true}
	// No priority means the sender left the decision to us; dd-trace-go's
	// default then keeps the trace, and so does a sampled flag.
	if !st.hasPriority || st.priority > 0 {
		cfg.TraceFlags = trace.FlagsSampled
	}
	cfg.TraceState = base.Delete(traceStateKey)
	member := strings.TrimPrefix(composeTracestate(st, nil), "dd=")
	if ts, err := cfg.TraceState.Insert(traceStateKey, member); err == nil {
		cfg.TraceState = ts
	}
	c := &carried{traceID: tid, member: cfg.TraceState.Get(traceStateKey), state: st, others: others}
	ctx = context.WithValue(ctx, carriedKey{}, c)
	return trace.ContextWithRemoteSpanContext(ctx, trace.NewSpanContext(cfg))
}

func spanIDOf(id uint64) trace.SpanID {
	var sid trace.SpanID
	binary.BigEndian.PutUint64(sid[:], id)
	return sid
}

func spanHex(id uint64) string {
	sid := spanIDOf(id)
	return hex.EncodeToString(sid[:])
}

// sameAsTraceparent reports whether sc is what the carrier's traceparent
// says, that is whether the tracecontext propagator just extracted it.
func sameAsTraceparent(sc trace.SpanContext, carrier propagation.TextMapCarrier) bool {
	return matchesTraceparent(carrier.Get(headerTraceparent), sc)
}

// tracecontextWrote reports whether the carrier holds the traceparent of
// sc, written by the tracecontext propagator ahead of this one.
func tracecontextWrote(carrier propagation.TextMapCarrier, sc trace.SpanContext) bool {
	return matchesTraceparent(carrier.Get(headerTraceparent), sc)
}

// matchesTraceparent reports whether the traceparent value tp holds sc's
// trace and span IDs, as the tracecontext propagator writes and reads them
// (lower-case hex).
func matchesTraceparent(tp string, sc trace.SpanContext) bool {
	tid, sid := sc.TraceID(), sc.SpanID()
	return len(tp) >= 52 && tp[3:35] == hex.EncodeToString(tid[:]) && tp[36:52] == hex.EncodeToString(sid[:])
}
