package tracer

import (
	"context"
	"encoding/binary"
	"math/rand/v2"
	"slices"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// normalizer applies the SDK's own normalization where its rules are
// internal to it (go.opentelemetry.io/otel/sdk/internal/attrnorm): strings
// and byte slices past the value length limit, whose cut depends on their
// UTF-8, and SLICE and MAP values, whose keys it deduplicates and whose
// depth it limits. It does so through a span of an SDK provider with the
// same value limits and no processor, so the result is the SDK's by
// construction. These values are rare (no length limit is set by default),
// and every other value needs nothing: the hot path never gets here.
type normalizer struct {
	sdk         *sdktrace.TracerProvider
	lengthLimit int
}

func newNormalizer(l sdktrace.SpanLimits) normalizer {
	return normalizer{
		sdk: sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()), sdktrace.WithRawSpanLimits(sdktrace.SpanLimits{
			AttributeValueLengthLimit:   l.AttributeValueLengthLimit,
			AttributeValueDepthLimit:    l.AttributeValueDepthLimit,
			AttributeCountLimit:         -1,
			EventCountLimit:             -1,
			LinkCountLimit:              -1,
			AttributePerEventCountLimit: -1,
			AttributePerLinkCountLimit:  -1,
		})),
		lengthLimit: l.AttributeValueLengthLimit,
	}
}

// span starts a span of the SDK provider, from the tracer of the scope
// topts name; with no processor nothing sees it. The caller ends it once
// read: with OTEL_GO_X_OBSERVABILITY set, the SDK counts it as a live span
// until then (and as a started one anyway).
func (n normalizer) span(scope string, topts []trace.TracerOption, opts ...trace.SpanStartOption) sdktrace.ReadWriteSpan {
	_, s := n.sdk.Tracer(scope, topts...).Start(context.Background(), "", opts...)
	return s.(sdktrace.ReadWriteSpan)
}

// normalize returns a span attribute as the SDK stores it.
func (p *Provider) normalize(a attribute.KeyValue) attribute.KeyValue {
	if !p.norm.needed(a, true) {
		return a
	}
	s := p.norm.span("", nil, trace.WithAttributes(a))
	defer s.End()
	return s.Attributes()[0]
}

// needed reports whether the SDK changes a. Event and link attributes
// (truncate false) are not cut at the length limit.
func (n normalizer) needed(a attribute.KeyValue, truncate bool) bool {
	switch a.Value.Type() {
	case attribute.SLICE, attribute.MAP:
		return true
	case attribute.STRING, attribute.BYTESLICE:
		return truncate && n.lengthLimit >= 0 && n.tooLong(a.Value.AsString())
	case attribute.STRINGSLICE:
		// The SDK leaves a string of at most the limit's bytes as it is.
		return truncate && n.lengthLimit >= 0 && slices.ContainsFunc(a.Value.AsStringSlice(), n.tooLong)
	}
	return false
}

// tooLong reports whether the SDK cuts s: it has more bytes than the
// length limit (a non-negative one).
func (n normalizer) tooLong(s string) bool { return len(s) > n.lengthLimit }

// list says whose attributes normalizeList normalizes.
type list int

const (
	listEvent list = iota
	listLink
)

// normalizeList returns an event's or a link's attributes as the SDK
// stores them: the values normalized, the keys left as they are.
func (p *Provider) normalizeList(attrs []attribute.KeyValue, l list) []attribute.KeyValue {
	if !slices.ContainsFunc(attrs, func(a attribute.KeyValue) bool { return p.norm.needed(a, false) }) {
		return attrs
	}
	s := p.norm.span("", nil)
	defer s.End()
	if l == listEvent {
		s.AddEvent("", trace.WithAttributes(attrs...))
		return s.Events()[0].Attributes
	}
	s.AddLink(trace.Link{Attributes: attrs})
	return s.Links()[0].Attributes
}

// scope is the instrumentation scope the SDK gives a tracer of these
// arguments: its default name, its attributes normalized.
func (p *Provider) scope(name string, opts []trace.TracerOption) instrumentation.Scope {
	s := p.norm.span(name, opts)
	defer s.End()
	return s.InstrumentationScope()
}

// randomIDs makes random trace and span IDs from math/rand/v2's
// per-thread generator, as the SDK's default does.
type randomIDs struct{}

func (randomIDs) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	var tid trace.TraceID
	for !tid.IsValid() {
		binary.NativeEndian.PutUint64(tid[:8], rand.Uint64())
		binary.NativeEndian.PutUint64(tid[8:], rand.Uint64())
	}
	return tid, randomIDs{}.NewSpanID(ctx, tid)
}

func (randomIDs) NewSpanID(context.Context, trace.TraceID) trace.SpanID {
	var sid trace.SpanID
	for !sid.IsValid() {
		binary.NativeEndian.PutUint64(sid[:], rand.Uint64())
	}
	return sid
}
