package otlpwire_test

import (
	"bytes"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/otelswitch/otelswitch/exporters/otlp/internal/otlpwire"
)

// TestSharedEncodesOnce: two encoders joined to one Shared write the same
// bytes as an encoder alone, the second taking every span from the first;
// with one encoder joined nothing is shared.
func TestSharedEncodesOnce(t *testing.T) {
	spans := generated(t)
	spans = spans[:len(spans)-1] // not the 3 MB one
	alone := new(otlpwire.Encoder).AppendRequest(nil, spans)

	sh := &otlpwire.Shared{}
	leaveA := sh.Join()
	a := &otlpwire.Encoder{Shared: sh}
	if got := a.AppendRequest(nil, spans); !bytes.Equal(got, alone) {
		t.Fatal("one encoder joined: output differs from an encoder alone")
	}
	if h := otlpwire.SharedHits(sh); h != 0 {
		t.Fatalf("one encoder joined: %d spans shared; want none", h)
	}
	leaveB := sh.Join()
	b := &otlpwire.Encoder{Shared: sh}
	gotA := a.AppendRequest(nil, spans)
	gotB := b.AppendRequest(nil, spans)
	if !bytes.Equal(gotA, alone) || !bytes.Equal(gotB, alone) {
		t.Error("two encoders joined: output differs from an encoder alone")
	}
	if h := otlpwire.SharedHits(sh); h != int64(len(spans)) {
		t.Errorf("%d spans taken from the shared copies; want all %d", h, len(spans))
	}
	if n := otlpwire.SharedLen(sh); n != 0 {
		t.Errorf("%d spans still held after both encoders took them", n)
	}
	// The differential test holds for the encoder that took the copies.
	c := &otlpwire.Encoder{Shared: sh}
	_ = a.AppendRequest(nil, spans)
	diff(t, c, spans)
	leaveA()
	leaveA() // counts out once
	leaveB()
	before := otlpwire.SharedHits(sh)
	_ = a.AppendRequest(nil, spans)
	if otlpwire.SharedHits(sh) != before || otlpwire.SharedLen(sh) != 0 {
		t.Error("sharing went on after the encoders left")
	}
}

// TestSharedKeepsChangedSpansApart: a wrapper that changes a span is a
// new span, so it is encoded, not given the original's bytes.
func TestSharedKeepsChangedSpansApart(t *testing.T) {
	spans := generated(t)[:4]
	sh := &otlpwire.Shared{}
	sh.Join()
	sh.Join()
	a := &otlpwire.Encoder{Shared: sh}
	b := &otlpwire.Encoder{Shared: sh}
	_ = a.AppendRequest(nil, spans)
	renamed := make([]sdktrace.ReadOnlySpan, len(spans))
	for i, s := range spans {
		renamed[i] = &renamedSpan{s}
	}
	diff(t, b, renamed)
	if h := otlpwire.SharedHits(sh); h != 0 {
		t.Errorf("%d changed spans were given the originals' bytes", h)
	}
}

type renamedSpan struct{ sdktrace.ReadOnlySpan }

func (s *renamedSpan) Name() string { return "renamed " + s.ReadOnlySpan.Name() }

// TestSharedFallsBackToSpans: when the encoders' batches do not line up
// (requests dropped before the others took them), the first encoder of a
// span leaves its bytes, and an encoder with a different batch takes them;
// once a whole request is taken again, sharing goes back to requests.
func TestSharedFallsBackToSpans(t *testing.T) {
	all := generated(t)
	if len(all) < 14 {
		t.Fatalf("%d generated spans; the test needs 14", len(all))
	}
	spans := all[:4]
	sh := &otlpwire.Shared{}
	sh.Join()
	sh.Join()
	a := &otlpwire.Encoder{Shared: sh}
	b := &otlpwire.Encoder{Shared: sh}
	for i := range 9 { // one more than the requests held: the first is dropped untaken
		_ = a.AppendRequest(nil, all[4+i:5+i])
	}
	if !otlpwire.SharedBySpan(sh) {
		t.Fatal("a request was dropped untaken, but sharing is still by request")
	}
	_ = a.AppendRequest(nil, spans) // now leaves its spans too
	got := b.AppendRequest(nil, spans[1:3])
	if want := new(otlpwire.Encoder).AppendRequest(nil, spans[1:3]); !bytes.Equal(got, want) {
		t.Error("a batch made of shared spans differs from one encoded alone")
	}
	if h := otlpwire.SharedHits(sh); h != 2 {
		t.Errorf("%d spans taken; want the 2 of the smaller batch", h)
	}
	// The spans every encoder took are let go: the bound's ring keeps
	// alive only the 3 not taken (the ninth request's span, left once
	// sharing fell back to spans, and spans[0] and spans[3]).
	if n := otlpwire.SharedRingHeld(sh); n != 3 {
		t.Errorf("the ring holds %d spans; want the 3 not taken", n)
	}
	if got := b.AppendRequest(nil, spans); !bytes.Equal(got, new(otlpwire.Encoder).AppendRequest(nil, spans)) {
		t.Error("a taken request differs from one encoded alone")
	}
	if otlpwire.SharedBySpan(sh) {
		t.Error("a whole request was taken, but sharing is still span by span")
	}
}
