package tracer_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// The differences the differential test found, each as the smallest
// program that showed it, so they stay fixed.

// mustMatch runs steps on both sides and fails on any difference.
func mustMatch(t *testing.T, limits sdktrace.SpanLimits, steps ...step) {
	t.Helper()
	if d := compare(limits, sdktrace.AlwaysSample(), steps); d != "" {
		t.Fatalf("tracer.Provider differs from the SDK:\n%s", d)
	}
}

func startSpan(name string, opts ...trace.SpanStartOption) step {
	return func(s *side) {
		ctx, sp := s.tp.Tracer("t").Start(context.Background(), name, append(opts, trace.WithTimestamp(base))...)
		s.spans, s.ctxs = append(s.spans, sp), append(s.ctxs, ctx)
	}
}

func onSpan(i int, f func(trace.Span)) step { return func(s *side) { f(s.spans[i]) } }

// An ended span whose every attribute was invalid (an empty key; a zero
// Value under a key is valid) has nil attributes, as
// the SDK's snapshot, not an empty slice (a JSON exporter prints null, not
// []).
func TestOnlyInvalidAttributesEndAsNil(t *testing.T) {
	for _, limits := range []sdktrace.SpanLimits{sdktrace.NewSpanLimits(), limitSets["unlimited"], limitSets["small"]} {
		mustMatch(t, limits,
			startSpan("s"),
			onSpan(0, func(s trace.Span) { s.SetAttributes(attribute.KeyValue{Key: "", Value: attribute.IntValue(1)}) }),
			onSpan(0, func(s trace.Span) { s.SetAttributes(attribute.KeyValue{}, attribute.Bool("", true)) }),
		)
	}
}

// With an event or link limit of zero, the SDK's snapshot reports no
// event or link dropped (it copies the counts only with a non-empty
// queue); an ended span reports the same.
func TestZeroEventAndLinkLimitsEndWithNoDropCount(t *testing.T) {
	link := trace.Link{Attributes: []attribute.KeyValue{attribute.Int("n", 1)}}
	mustMatch(t, limitSets["zero"],
		startSpan("s", trace.WithLinks(link)),
		onSpan(0, func(s trace.Span) { s.AddEvent("e", trace.WithTimestamp(base)); s.AddLink(link) }),
	)
}
