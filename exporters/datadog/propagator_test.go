package datadog_test

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/exporters/datadog"
)

// ddPropagator is dd-trace-go's own Datadog-style propagator, built without
// starting its (process-wide) tracer.
func ddPropagator() tracer.Propagator {
	return tracer.NewPropagator(&tracer.PropagatorConfig{
		InjectStyle: "datadog", ExtractStyle: "datadog", MaxTagsHeaderLen: 512,
	})
}

// ddContext is a dd-trace-go span context as a service traced by plain
// dd-trace-go would propagate it; tracer.FromGenericCtx reads it through
// the same interfaces dd-trace-go's OpenTelemetry support uses.
type ddContext struct {
	traceID  [16]byte
	spanID   uint64
	priority float64
	origin   string
	tags     map[string]string
}

func (c *ddContext) SpanID() uint64                            { return c.spanID }
func (c *ddContext) TraceID() string                           { return hex.EncodeToString(c.traceID[:]) }
func (c *ddContext) TraceIDBytes() [16]byte                    { return c.traceID }
func (c *ddContext) TraceIDLower() uint64                      { return binary.BigEndian.Uint64(c.traceID[8:]) }
func (c *ddContext) ForeachBaggageItem(func(k, v string) bool) {}
func (c *ddContext) SamplingDecision() uint32 {
	if c.priority > 0 {
		return 2
	}
	return 1
}
func (c *ddContext) Priority() *float64                 { return &c.priority }
func (c *ddContext) Origin() string                     { return c.origin }
func (c *ddContext) PropagatingTags() map[string]string { return c.tags }
func (c *ddContext) Tags() map[string]string            { return nil }

func mustTraceID(t *testing.T, s string) trace.TraceID {
	t.Helper()
	id, err := trace.TraceIDFromHex(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestExtractWhatDDTraceGoInjects has dd-trace-go write headers and reads
// them with Propagator.
func TestExtractWhatDDTraceGoInjects(t *testing.T) {
	tests := []struct {
		name        string
		ctx         ddContext
		wantTraceID string
		wantSampled bool
		wantState   string // the dd tracestate member
	}{
		{"128-bit, auto keep",
			ddContext{traceID: mustTraceID(t, "6b0445ae00000000475f43d67920d18f"), spanID: 6860562694179372886, priority: 1},
			"6b0445ae00000000475f43d67920d18f", true, "s:1;p:5f359d6be9dbbf56"},
		{"user keep, origin and decision maker",
			ddContext{traceID: mustTraceID(t, "6b0445ae00000000475f43d67920d18f"), spanID: 42, priority: 2, origin: "rum",
				tags: map[string]string{"_dd.p.dm": "-4"}},
			"6b0445ae00000000475f43d67920d18f", true, "s:2;o:rum;p:000000000000002a;t.dm:-4"},
		{"user reject",
			ddContext{traceID: mustTraceID(t, "6b0445ae00000000475f43d67920d18f"), spanID: 42, priority: -1},
			"6b0445ae00000000475f43d67920d18f", false, "s:-1;p:000000000000002a"},
		{"64-bit trace ID",
			ddContext{traceID: mustTraceID(t, "0000000000000000475f43d67920d18f"), spanID: 42, priority: 1},
			"0000000000000000475f43d67920d18f", true, "s:1;p:000000000000002a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			headers := tracer.TextMapCarrier{}
			if err := ddPropagator().Inject(tracer.FromGenericCtx(&tt.ctx), headers); err != nil {
				t.Fatal(err)
			}
			t.Logf("dd-trace-go wrote %v", map[string]string(headers))
			sc := trace.SpanContextFromContext(datadog.Propagator{}.Extract(context.Background(), propagation.MapCarrier(headers)))
			if !sc.IsValid() || !sc.IsRemote() {
				t.Fatalf("no remote span context extracted: %+v", sc)
			}
			sid := sc.SpanID()
			if sc.TraceID().String() != tt.wantTraceID || binary.BigEndian.Uint64(sid[:]) != tt.ctx.spanID || sc.IsSampled() != tt.wantSampled {
				t.Errorf("extracted trace %s span %d sampled %v; want %s %d %v",
					sc.TraceID(), binary.BigEndian.Uint64(sid[:]), sc.IsSampled(), tt.wantTraceID, tt.ctx.spanID, tt.wantSampled)
			}
			if got := sc.TraceState().Get("dd"); got != tt.wantState {
				t.Errorf("tracestate dd = %q; want %q", got, tt.wantState)
			}
		})
	}
}

// TestDDTraceGoExtractsWhatPropagatorInjects goes the other way, through
// Propagator's extraction first so priority, origin and tags ride along.
func TestDDTraceGoExtractsWhatPropagatorInjects(t *testing.T) {
	tests := []struct {
		name         string
		headers      map[string]string // what an upstream sent us; nil for a local root
		sc           trace.SpanContextConfig
		wantPriority int
		wantOrigin   string
		wantTags     string
	}{
		{"local sampled root with a 128-bit ID", nil,
			trace.SpanContextConfig{TraceID: mustTraceID(t, "6b0445ae00000000475f43d67920d18f"), SpanID: [8]byte{0, 0, 0, 0, 0, 0, 0, 7}, TraceFlags: trace.FlagsSampled},
			1, "", "_dd.p.tid=6b0445ae00000000"},
		{"local unsampled root", nil,
			trace.SpanContextConfig{TraceID: mustTraceID(t, "6b0445ae00000000475f43d67920d18f"), SpanID: [8]byte{0, 0, 0, 0, 0, 0, 0, 7}},
			0, "", "_dd.p.tid=6b0445ae00000000"},
		{"upstream user keep, origin and tags pass through", map[string]string{
			"x-datadog-trace-id": "5142903887914652047", "x-datadog-parent-id": "99",
			"x-datadog-sampling-priority": "2", "x-datadog-origin": "synthetics",
			"x-datadog-tags": "_dd.p.tid=6b0445ae00000000,_dd.p.dm=-4,_dd.p.usr.id=a=b"},
			trace.SpanContextConfig{}, 2, "synthetics", "_dd.p.tid=6b0445ae00000000,_dd.p.dm=-4,_dd.p.usr.id=a=b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ctx context.Context
			var want trace.SpanContext
			if tt.headers != nil {
				ctx = datadog.Propagator{}.Extract(context.Background(), propagation.MapCarrier(tt.headers))
				remote := trace.SpanContextFromContext(ctx)
				// A child of the extracted context, as a server span would be.
				want = remote.WithSpanID(trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8}).WithRemote(false)
				ctx = trace.ContextWithSpanContext(ctx, want)
			} else {
				want = trace.NewSpanContext(tt.sc)
				ctx = trace.ContextWithSpanContext(context.Background(), want)
			}
			headers := propagation.MapCarrier{}
			datadog.Propagator{}.Inject(ctx, headers)
			t.Logf("Propagator wrote %v", map[string]string(headers))

			got, err := ddPropagator().Extract(tracer.TextMapCarrier(headers))
			if err != nil {
				t.Fatal(err)
			}
			sid := want.SpanID()
			if got.TraceID() != want.TraceID().String() || got.SpanID() != binary.BigEndian.Uint64(sid[:]) {
				t.Errorf("dd-trace-go extracted trace %s span %d; want %s %d", got.TraceID(), got.SpanID(), want.TraceID(), binary.BigEndian.Uint64(sid[:]))
			}
			if p, ok := got.SamplingPriority(); !ok || p != tt.wantPriority {
				t.Errorf("priority = %d (set %v); want %d", p, ok, tt.wantPriority)
			}
			if headers.Get("x-datadog-origin") != tt.wantOrigin {
				t.Errorf("origin = %q; want %q", headers.Get("x-datadog-origin"), tt.wantOrigin)
			}
			if headers.Get("x-datadog-tags") != tt.wantTags {
				t.Errorf("x-datadog-tags = %q; want %q", headers.Get("x-datadog-tags"), tt.wantTags)
			}
		})
	}
}

func TestExtractIgnoresBadHeaders(t *testing.T) {
	for _, h := range []map[string]string{
		{},
		{"x-datadog-trace-id": "abc", "x-datadog-parent-id": "1"},
		{"x-datadog-trace-id": "0", "x-datadog-parent-id": "1"},
		{"x-datadog-trace-id": "5142903887914652047"},
		{"x-datadog-trace-id": "5142903887914652047", "x-datadog-parent-id": "0"},
		{"x-datadog-trace-id": "5142903887914652047", "x-datadog-parent-id": "1", "x-datadog-sampling-priority": "keep"},
		{"x-datadog-trace-id": "18446744073709551616", "x-datadog-parent-id": "1"}, // 2^64
	} {
		if sc := trace.SpanContextFromContext(datadog.Propagator{}.Extract(context.Background(), propagation.MapCarrier(h))); sc.IsValid() {
			t.Errorf("Extract(%v) = %v; want nothing", h, sc)
		}
	}
}

func TestExtractDetails(t *testing.T) {
	base := map[string]string{"x-datadog-trace-id": "5142903887914652047", "x-datadog-parent-id": "1"}
	with := func(k, v string) propagation.MapCarrier {
		m := propagation.MapCarrier{}
		for k, v := range base {
			m[k] = v
		}
		m[k] = v
		return m
	}
	extract := func(c propagation.MapCarrier) trace.SpanContext {
		return trace.SpanContextFromContext(datadog.Propagator{}.Extract(context.Background(), c))
	}
	// No priority: the decision is ours, and dd-trace-go's default keeps.
	if sc := extract(with("x", "")); !sc.IsSampled() || sc.TraceID().String() != "0000000000000000475f43d67920d18f" {
		t.Errorf("without priority or tags: %v sampled=%v", sc.TraceID(), sc.IsSampled())
	}
	// An over-long x-datadog-tags is ignored whole, as dd-trace-go does.
	long := "_dd.p.tid=6b0445ae00000000,_dd.p.x=" + strings.Repeat("a", 500)
	if sc := extract(with("x-datadog-tags", long)); sc.TraceID().String() != "0000000000000000475f43d67920d18f" {
		t.Errorf("over-long tags: trace ID %s kept the upper bits", sc.TraceID())
	}
	// A malformed _dd.p.tid leaves a 64-bit ID.
	if sc := extract(with("x-datadog-tags", "_dd.p.tid=xyz")); sc.TraceID().String() != "0000000000000000475f43d67920d18f" {
		t.Errorf("malformed tid: trace ID %s", sc.TraceID())
	}
	// With tracecontext first, as by default: for the same trace the W3C
	// parent is kept, as dd-trace-go keeps it; for another trace (here the
	// Datadog headers have no upper bits) the Datadog context wins.
	prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, datadog.Propagator{})
	c := with("traceparent", "00-6b0445ae00000000475f43d67920d18f-00000000000000aa-01")
	c["x-datadog-tags"] = "_dd.p.tid=6b0445ae00000000"
	sc := trace.SpanContextFromContext(prop.Extract(context.Background(), c))
	if sc.SpanID().String() != "00000000000000aa" || sc.TraceID().String() != "6b0445ae00000000475f43d67920d18f" {
		t.Errorf("same trace in both: %s/%s; want the W3C parent, 00000000000000aa", sc.TraceID(), sc.SpanID())
	}
	delete(c, "x-datadog-tags")
	sc = trace.SpanContextFromContext(prop.Extract(context.Background(), c))
	if sc.SpanID().String() != "0000000000000001" || sc.TraceID().String() != "0000000000000000475f43d67920d18f" {
		t.Errorf("another trace in traceparent: %s/%s; want the Datadog one", sc.TraceID(), sc.SpanID())
	}
}

func TestPropagatorFields(t *testing.T) {
	want := "x-datadog-trace-id x-datadog-parent-id x-datadog-sampling-priority x-datadog-origin x-datadog-tags"
	if got := strings.Join(datadog.Propagator{}.Fields(), " "); got != want {
		t.Errorf("Fields() = %s; want %s", got, want)
	}
}

// TestRepeatedTagKeySentOnce: a key repeated in x-datadog-tags is sent
// once, with its last value, as dd-trace-go keeps it.
func TestRepeatedTagKeySentOnce(t *testing.T) {
	var p datadog.Propagator
	ctx := p.Extract(context.Background(), propagation.MapCarrier{
		datadog.HeaderTraceID: "1", datadog.HeaderParentID: "2", datadog.HeaderPriority: "1",
		datadog.HeaderTags: "_dd.p.dm=-4,_dd.p.x=1,_dd.p.dm=-3",
	})
	out := propagation.MapCarrier{}
	p.Inject(ctx, out)
	if got := out[datadog.HeaderTags]; got != "_dd.p.dm=-3,_dd.p.x=1" {
		t.Errorf("x-datadog-tags = %q, want _dd.p.dm=-3,_dd.p.x=1", got)
	}
}
