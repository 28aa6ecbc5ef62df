package datadog_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/exporters/datadog"
)

// defaultPropagator is otelswitch's default OTEL_PROPAGATORS with a Datadog
// backend.
func defaultPropagator() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}, datadog.Propagator{})
}

// hop extracts in, starts a server span and a client span under it with
// the OpenTelemetry SDK, as an instrumented service does, and returns the
// headers of the outgoing request and the client span.
func hop(t *testing.T, in http.Header) (http.Header, trace.SpanContext) {
	t.Helper()
	prop := defaultPropagator()
	tp := sdktrace.NewTracerProvider()
	defer func() { _ = tp.Shutdown(context.Background()) }()
	ctx := prop.Extract(context.Background(), propagation.HeaderCarrier(in))
	ctx, server := tp.Tracer("t").Start(ctx, "server", trace.WithSpanKind(trace.SpanKindServer))
	defer server.End()
	ctx, client := tp.Tracer("t").Start(ctx, "client", trace.WithSpanKind(trace.SpanKindClient))
	defer client.End()
	out := http.Header{}
	prop.Inject(ctx, propagation.HeaderCarrier(out))
	return out, client.SpanContext()
}

// TestStateAsReceivedThroughASpan: origin and tag values that the
// tracestate encoding would rewrite, and tags past what fits its 256-byte
// member, reach the next service through real spans as received, as
// dd-trace-go forwards them; the tracestate's p: is the client span.
func TestStateAsReceivedThroughASpan(t *testing.T) {
	long := "_dd.p.a=" + strings.Repeat("a", 200) + ",_dd.p.b=" + strings.Repeat("b", 200)
	in := http.Header{}
	in.Set(datadog.HeaderTraceID, "12345")
	in.Set(datadog.HeaderParentID, "67890")
	in.Set(datadog.HeaderPriority, "2")
	in.Set(datadog.HeaderOrigin, "o;r,i~g:in")
	in.Set(datadog.HeaderTags, "_dd.p.usr.id=a=b~c;d,"+long)
	out, client := hop(t, in)

	if got := out.Get(datadog.HeaderOrigin); got != "o;r,i~g:in" {
		t.Errorf("origin %q; want it as received", got)
	}
	if got := out.Get(datadog.HeaderTags); got != "_dd.p.usr.id=a=b~c;d,"+long {
		t.Errorf("x-datadog-tags %q; want every tag as received", got)
	}
	sid := client.SpanID()
	ts := out.Get("tracestate")
	if !strings.HasPrefix(ts, "dd=s:2;o:o_r_i_g:in;p:"+sid.String()+";t.usr.id:a~b_c_d") || len(ts) > 256 {
		t.Errorf("tracestate %q; want dd-trace-go's encoding, p: the client span, within 256 bytes", ts)
	}
	// dd-trace-go downstream reads all of it back.
	sc, err := tracer.NewPropagator(&tracer.PropagatorConfig{MaxTagsHeaderLen: 512}).Extract(tracer.HTTPHeadersCarrier(out))
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := sc.SamplingPriority(); p != 2 || sc.SpanID() != spanUint(client) {
		t.Errorf("dd-trace-go downstream: priority %d span %d; want 2 and the client span", p, sc.SpanID())
	}
}

// TestDecisionMakerFollowsTheFlag: a W3C-only request whose sampled flag
// overrides the dd member's priority updates _dd.p.dm as dd-trace-go does
// (-0 for a keep, none for a drop), in x-datadog-tags and the tracestate.
func TestDecisionMakerFollowsTheFlag(t *testing.T) {
	tests := []struct {
		flag, state          string
		wantPriority, wantDM string
	}{
		{"01", "dd=s:-1;t.dm:-3", "1", "_dd.p.dm=-0"},
		{"01", "dd=s:0", "1", "_dd.p.dm=-0"},
		{"00", "dd=s:2;t.dm:-4", "0", ""},
		{"00", "dd=t.dm:-4;s:2", "0", ""},
		{"01", "dd=s:2;t.dm:-4", "2", "_dd.p.dm=-4"}, // agreeing: as received
	}
	for _, tt := range tests {
		in := http.Header{}
		in.Set("traceparent", "00-640cfd8d000000000000000000003039-0000000000010932-"+tt.flag)
		in.Set("tracestate", tt.state)
		out := http.Header{}
		prop := defaultPropagator()
		prop.Inject(prop.Extract(context.Background(), propagation.HeaderCarrier(in)), propagation.HeaderCarrier(out))
		tags := out.Get(datadog.HeaderTags)
		if out.Get(datadog.HeaderPriority) != tt.wantPriority || !strings.HasPrefix(tags, "_dd.p.tid=640cfd8d00000000") ||
			strings.TrimPrefix(strings.TrimPrefix(tags, "_dd.p.tid=640cfd8d00000000"), ",") != tt.wantDM {
			t.Errorf("flag %s, %s: priority %q, x-datadog-tags %q; want %s and %q", tt.flag, tt.state, out.Get(datadog.HeaderPriority), tags, tt.wantPriority, tt.wantDM)
		}
		ts := out.Get("tracestate")
		dm := strings.TrimPrefix(tt.wantDM, "_dd.p.dm=")
		if !strings.HasPrefix(ts, "dd=s:"+tt.wantPriority+";") || strings.Contains(ts, ";t.dm:") != (dm != "") || (dm != "" && !strings.Contains(ts, ";t.dm:"+dm)) {
			t.Errorf("flag %s, %s: tracestate %q; want s:%s and decision maker %q", tt.flag, tt.state, ts, tt.wantPriority, dm)
		}
	}
}

// TestStateWithoutTheExtractedContext: a span context carried into
// another context (a goroutine started with context.Background) loses
// the state as received; the tracestate member still carries it, as
// encoded there.
func TestStateWithoutTheExtractedContext(t *testing.T) {
	in := http.Header{}
	in.Set(datadog.HeaderTraceID, "12345")
	in.Set(datadog.HeaderParentID, "67890")
	in.Set(datadog.HeaderPriority, "2")
	in.Set(datadog.HeaderOrigin, "syn=thetics")
	in.Set(datadog.HeaderTags, "_dd.p.usr.id=a=b")
	prop := defaultPropagator()
	sc := trace.SpanContextFromContext(prop.Extract(context.Background(), propagation.HeaderCarrier(in)))
	out := http.Header{}
	prop.Inject(trace.ContextWithRemoteSpanContext(context.Background(), sc), propagation.HeaderCarrier(out))
	if out.Get(datadog.HeaderOrigin) != "syn=thetics" || out.Get(datadog.HeaderTags) != "_dd.p.usr.id=a=b" || out.Get(datadog.HeaderPriority) != "2" {
		t.Errorf("from the tracestate alone: %v", out)
	}
}

func spanUint(sc trace.SpanContext) uint64 {
	sid := sc.SpanID()
	var n uint64
	for _, b := range sid {
		n = n<<8 | uint64(b)
	}
	return n
}
