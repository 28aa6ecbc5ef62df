package datadog_test

import (
	"context"
	"strings"
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
