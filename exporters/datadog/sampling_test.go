package datadog_test

import (
	"context"
	"encoding/binary"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/exporters/datadog"
)

// In native mode with DD_TRACE_SAMPLING_RULES the backend brings the
// sampler: spans are kept or dropped by the rules, and what reaches the
// Agent carries the priority and decision maker dd-trace-go would set.
func TestNativeRulesDecideAndReachTheAgent(t *testing.T) {
	agent := newTestAgent(t, false)
	s := settings(t, map[string]string{
		"DD_TRACE_AGENT_URL":      agent.URL,
		"DD_TRACE_SAMPLING_RULES": `[{"resource":"GET /health","sample_rate":0},{"service":"books","sample_rate":1}]`,
	})
	b, err := datadog.Factory{}.New(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if b.Sampler == nil {
		t.Fatal("no sampler with DD_TRACE_SAMPLING_RULES set")
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(b.Sampler), sdktrace.WithSpanProcessor(b.SpanProcessor), sdktrace.WithResource(s.Resource))
	waitStarted(t, b)
	tr := tp.Tracer("t")
	ctx, kept := tr.Start(context.Background(), "GET /books", trace.WithSpanKind(trace.SpanKindServer))
	_, child := tr.Start(ctx, "child")
	child.End()
	kept.End()
	_, health := tr.Start(context.Background(), "GET /health", trace.WithSpanKind(trace.SpanKindServer))
	health.End()
	if !kept.SpanContext().IsSampled() || health.SpanContext().IsSampled() {
		t.Fatalf("sampled: books %v, health %v; want true, false", kept.SpanContext().IsSampled(), health.SpanContext().IsSampled())
	}
	if got := kept.SpanContext().TraceState().Get("dd"); got != "s:2;t.dm:-3" {
		t.Errorf("tracestate dd=%q; want s:2;t.dm:-3", got)
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tp.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
	spans := agent.Spans()
	if len(spans) != 2 {
		t.Fatalf("agent got %d spans; want the kept trace's 2", len(spans))
	}
	for _, sp := range spans {
		if sp.ParentID == 0 && (sp.Metrics["_sampling_priority_v1"] != 2 || sp.Meta["_dd.p.dm"] != "-3") {
			t.Errorf("root sent with priority %v, _dd.p.dm %q; want 2, -3", sp.Metrics["_sampling_priority_v1"], sp.Meta["_dd.p.dm"])
		}
	}
}

func TestSamplingVariablesAreValidated(t *testing.T) {
	for _, tt := range []struct {
		c    datadog.SamplingConfig
		want string
	}{
		{datadog.SamplingConfig{SampleRate: "2"}, `DD_TRACE_SAMPLE_RATE="2": want a number from 0 to 1`},
		{datadog.SamplingConfig{Rules: `[{"service":"a"},{"sample_rate":1.5}]`}, `DD_TRACE_SAMPLING_RULES: rule 1: sample_rate 1.5: want a number from 0 to 1`},
		{datadog.SamplingConfig{Rules: `{`}, `DD_TRACE_SAMPLING_RULES: not a JSON list of rules`},
		{datadog.SamplingConfig{SampleRate: "1", RateLimit: "-1"}, `DD_TRACE_RATE_LIMIT="-1": want a number of traces per second, 0 or more`},
	} {
		if _, err := datadog.NewSampler(tt.c); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v; want %s", tt.c, err, tt.want)
		}
	}
	if s, err := datadog.NewSampler(datadog.SamplingConfig{RateLimit: "5"}); s != nil || err != nil {
		t.Errorf("only a rate limit: %v, %v; want no sampler (OpenTelemetry's decides)", s, err)
	}
}

// The second look at finish, through the native backend: a server root
// whose route arrives after it started (otelhttp on a ServeMux sets it
// late) is decided again by the rules when it ends, as dd-trace-go decides
// it in Span.Finish, and its whole trace reaches the Agent with the final
// priority: kept late, dropped late, or, dropped twice, not sent.
func TestNativeRulesLookAgainWhenTheRootEnds(t *testing.T) {
	agent := newTestAgent(t, false)
	s := settings(t, map[string]string{
		"DD_TRACE_AGENT_URL":      agent.URL,
		"DD_TRACE_SAMPLE_RATE":    "0",
		"DD_TRACE_SAMPLING_RULES": `[{"resource":"GET /health","sample_rate":0},{"resource":"GET /books/*","sample_rate":1},{"resource":"GET /shelves","sample_rate":1}]`,
	})
	b, err := datadog.Factory{}.New(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	var other sdktrace.SpanExporter = &countExporter{}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(b.Sampler), sdktrace.WithSpanProcessor(b.SpanProcessor),
		sdktrace.WithSyncer(other), sdktrace.WithResource(s.Resource))
	waitStarted(t, b)
	tr := tp.Tracer("t")
	serve := func(startName, route string) trace.SpanContext {
		ctx, root := tr.Start(context.Background(), startName, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", "GET")))
		_, child := tr.Start(ctx, "query")
		child.End()
		root.SetName("GET " + route) // the route, learnt late
		root.End()
		return root.SpanContext()
	}
	keptLate := serve("GET", "/books/{id}")         // dropped at start (rate 0), kept at finish
	droppedLate := serve("GET /shelves", "/health") // kept at start, dropped at finish
	dropped := serve("GET", "/orders")              // dropped at start and at finish
	if keptLate.IsSampled() || !droppedLate.IsSampled() || dropped.IsSampled() {
		t.Fatalf("sampled at start: %v %v %v; want false true false", keptLate.IsSampled(), droppedLate.IsSampled(), dropped.IsSampled())
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tp.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
	byTrace := map[uint64][]ddSpan{}
	for _, sp := range agent.Spans() {
		byTrace[sp.TraceID] = append(byTrace[sp.TraceID], sp)
	}
	lower := func(sc trace.SpanContext) uint64 { id := sc.TraceID(); return binary.BigEndian.Uint64(id[8:]) }
	for _, tt := range []struct {
		name     string
		sc       trace.SpanContext
		spans    int
		priority float64
		dm       string
	}{
		{"kept at finish", keptLate, 2, 2, "-3"},
		{"dropped at finish", droppedLate, 2, -1, ""},
		{"dropped throughout", dropped, 0, 0, ""},
	} {
		got := byTrace[lower(tt.sc)]
		if len(got) != tt.spans {
			t.Errorf("%s: the agent got %d spans; want %d", tt.name, len(got), tt.spans)
			continue
		}
		for _, sp := range got {
			if sp.ParentID == 0 && (sp.Metrics["_sampling_priority_v1"] != tt.priority || sp.Meta["_dd.p.dm"] != tt.dm) {
				t.Errorf("%s: root sent with priority %v, _dd.p.dm %q; want %v, %q", tt.name, sp.Metrics["_sampling_priority_v1"], sp.Meta["_dd.p.dm"], tt.priority, tt.dm)
			}
		}
	}
	// Another backend sees only what was sampled at start: the spans held
	// for the second look are recorded, not sampled.
	if n := other.(*countExporter).n.Load(); n != 2 {
		t.Errorf("a second exporter got %d spans; want droppedLate's 2", n)
	}
}

// The Agent's rates: once it has answered a payload with rate_by_service,
// roots no rule decides are kept at their service's rate (priority 1,
// decision maker -1) or dropped (priority 0), as dd-trace-go's priority
// sampler does.
func TestNativeAppliesTheAgentRates(t *testing.T) {
	agent := newTestAgent(t, false)
	agent.SetRates(`{"service:books,env:test":0,"service:,env:":1}`)
	s := settings(t, map[string]string{
		"DD_TRACE_AGENT_URL":      agent.URL,
		"DD_TRACE_SAMPLING_RULES": `[{"resource":"GET /health","sample_rate":0}]`,
	})
	b, err := datadog.Factory{}.New(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(b.Sampler), sdktrace.WithSpanProcessor(b.SpanProcessor), sdktrace.WithResource(s.Resource))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	waitStarted(t, b)
	tr := tp.Tracer("t")
	_, first := tr.Start(context.Background(), "GET /books")
	first.End()
	if got := first.SpanContext().TraceState().Get("dd"); got != "s:1;t.dm:-1" {
		t.Fatalf("before the agent answered: tracestate dd=%q; want s:1;t.dm:-1 (rate 1)", got)
	}
	if err := tp.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		_, sp := tr.Start(context.Background(), "GET /books")
		sp.End()
		if got := sp.SpanContext().TraceState().Get("dd"); got == "s:0" {
			break // books is at rate 0 now
		}
		if time.Now().After(deadline) {
			t.Fatalf("the agent's rate 0 for books never applied")
		}
	}
	_, other := tr.Start(context.Background(), "GET /books", trace.WithAttributes(attribute.String("service.name", "shelf")))
	other.End()
	if got := other.SpanContext().TraceState().Get("dd"); got != "s:1;t.dm:-1" {
		t.Errorf("another service: tracestate dd=%q; want s:1;t.dm:-1 (the default rate, 1)", got)
	}
}

// countExporter counts the spans exported to it.
type countExporter struct{ n atomic.Int64 }

func (c *countExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	c.n.Add(int64(len(spans)))
	return nil
}
func (c *countExporter) Shutdown(context.Context) error { return nil }

// A trace held for the second look whose root never ends is never sent, as
// dd-trace-go never sends an unfinished chunk; its ended sampled spans are
// counted as dropped at shutdown, and the finished traces are exported.
func TestNativeHeldTraceCountedAtShutdown(t *testing.T) {
	agent := newTestAgent(t, false)
	s := settings(t, map[string]string{
		"DD_TRACE_AGENT_URL":      agent.URL,
		"DD_TRACE_SAMPLING_RULES": `[{"service":"books","sample_rate":1}]`,
	})
	b, err := datadog.Factory{}.New(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(b.Sampler), sdktrace.WithSpanProcessor(b.SpanProcessor), sdktrace.WithResource(s.Resource))
	waitStarted(t, b)
	tr := tp.Tracer("t")
	ctx, open := tr.Start(context.Background(), "GET /books")
	for range 3 {
		_, c := tr.Start(ctx, "child")
		c.End()
	}
	_, done := tr.Start(context.Background(), "GET /shelves")
	done.End()
	_ = open // never ends
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tp.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
	st := b.Stats.Snapshot()
	if st.SpansExported != 1 || st.SpansDropped != 3 || st.SpansQueued != 0 {
		t.Errorf("exported %d, dropped %d, queued %d; want 1, 3 (the open trace's ended children), 0", st.SpansExported, st.SpansDropped, st.SpansQueued)
	}
	if n := len(agent.Spans()); n != 1 {
		t.Errorf("the agent got %d spans; want the finished trace's 1", n)
	}
}

// The rules see a span as Datadog will show it: tags renamed as the Agent
// renames them (the OTel key still matches too) and the route otelhttp put
// in the span name.
func TestRulesSeeTheSpanAsDatadogNamesIt(t *testing.T) {
	agent := newTestAgent(t, false)
	s := settings(t, map[string]string{
		"DD_TRACE_AGENT_URL": agent.URL,
		"DD_TRACE_SAMPLING_RULES": `[{"tags":{"http.method":"POST"},"sample_rate":0},{"tags":{"http.request.method":"PUT"},"sample_rate":0},` +
			`{"resource":"GET /books/{id}","sample_rate":0},{"sample_rate":1}]`,
	})
	b, err := datadog.Factory{}.New(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.SpanProcessor.Shutdown(context.Background()) }()
	if b.Sampler == nil {
		t.Fatal("no sampler with DD_TRACE_SAMPLING_RULES set")
	}
	for _, tt := range []struct {
		name, method string
		keep         bool
	}{
		{"POST /books", "POST", false},
		{"PUT /books/{id}", "PUT", false},
		{"GET /books/{id}", "GET", false},
		{"GET /shelves", "GET", true},
	} {
		r := b.Sampler.ShouldSample(sdktrace.SamplingParameters{
			ParentContext: context.Background(), TraceID: trace.TraceID{1}, Name: tt.name, Kind: trace.SpanKindServer,
			Attributes: []attribute.KeyValue{attribute.String("http.request.method", tt.method)},
		})
		if kept := r.Decision == sdktrace.RecordAndSample; kept != tt.keep {
			t.Errorf("%s: kept %v; want %v", tt.name, kept, tt.keep)
		}
	}
}
