package app_test

import (
	"context"
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/otelswitch/otelswitch/bootstrap"
	"github.com/otelswitch/otelswitch/internal/lab"
	"github.com/otelswitch/otelswitch/sample-app/internal/app"
	"github.com/otelswitch/otelswitch/sample-app/internal/promscrape"
	"github.com/otelswitch/otelswitch/sample-app/internal/server"
)

// jaegerEnv points an instance at the lab's Jaeger, as a user would.
func jaegerEnv(t *testing.T, l *lab.Lab, service string, vars ...string) app.LookupFunc {
	return env(t, append([]string{
		"ENVIRONMENT", "development",
		"TELEMETRY_BACKEND", "jaeger",
		"JAEGER_ENDPOINT", l.JaegerOTLPGRPC,
		"OTEL_SERVICE_NAME", service,
	}, vars...)...)
}

// TestChainOneTraceInJaeger starts app-a, app-b and app-c against the lab's
// Jaeger, calls app-a's /chain, and checks the one trace Jaeger stored covers
// all three services.
func TestChainOneTraceInJaeger(t *testing.T) {
	l := lab.ForTest(t)
	c := start(t, jaegerEnv(t, l, "app-c"), bootstrap.WithLogOutput(io.Discard))
	b := start(t, jaegerEnv(t, l, "app-b", app.EnvChainTargets, c.URL), bootstrap.WithLogOutput(io.Discard))
	a := start(t, jaegerEnv(t, l, "app-a", app.EnvChainTargets, b.URL+","+c.URL+"/io_task?ms=5"), bootstrap.WithLogOutput(io.Discard))

	code, body := get(t, a.URL+"/chain")
	if code != 200 {
		t.Fatalf("GET /chain = %d %s", code, body)
	}
	var res server.ChainResult
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, i := range []*app.Instance{a, b, c} {
		if err := i.Telemetry.ForceFlush(ctx); err != nil {
			t.Fatalf("ForceFlush: %v", err)
		}
	}
	// Server spans: a /chain, b /chain, c /chain, c /io_task; client spans
	// for each of the three calls; and the SQL-free io_task.sleep.
	tr, err := l.WaitForJaegerTrace(ctx, res.TraceID, 8)
	if err != nil {
		t.Fatalf("Jaeger has no complete trace %s: %v", res.TraceID, err)
	}
	byService := map[string]map[string]int{}
	for _, s := range tr.Spans {
		if byService[s.Service] == nil {
			byService[s.Service] = map[string]int{}
		}
		byService[s.Service][s.Operation]++
	}
	want := map[string][]string{
		"app-a": {"GET /chain"},
		"app-b": {"GET /chain"},
		"app-c": {"GET /chain", "GET /io_task"},
	}
	for svc, ops := range want {
		for _, op := range ops {
			if byService[svc][op] == 0 {
				t.Errorf("trace %s has no %q span from %s; it has %v", res.TraceID, op, svc, byService)
			}
		}
	}
	// One root: app-a's server span; every other span has its parent in the trace.
	ids := map[string]bool{}
	for _, s := range tr.Spans {
		ids[s.SpanID] = true
	}
	roots := 0
	for _, s := range tr.Spans {
		if s.ParentSpanID == "" {
			roots++
			if s.Service != "app-a" {
				t.Errorf("root span is %s %q, want app-a's", s.Service, s.Operation)
			}
		} else if !ids[s.ParentSpanID] {
			t.Errorf("span %s %q has a parent outside the trace", s.Service, s.Operation)
		}
	}
	if roots != 1 {
		t.Errorf("%d root spans, want 1", roots)
	}
}

// TestExemplarTraceIsInJaeger scrapes /metrics as Prometheus does and checks
// that the trace an exemplar names is one Jaeger stored, with the request it
// measured.
func TestExemplarTraceIsInJaeger(t *testing.T) {
	l := lab.ForTest(t)
	i := start(t, jaegerEnv(t, l, "books-exemplars"), bootstrap.WithLogOutput(io.Discard))
	for range 5 {
		get(t, i.URL+"/books?page=1")
		get(t, i.URL+"/cpu_task?n=1000")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := promscrape.Get(ctx, i.URL+"/metrics", promscrape.AcceptOpenMetrics)
	if err != nil {
		t.Fatal(err)
	}
	if err := i.Telemetry.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	routes := map[string]string{"/books": "GET /books", "/cpu_task": "GET /cpu_task"}
	checked := 0
	for _, s := range res.Find(server.MetricRequestDuration+"_bucket", nil) {
		op, ok := routes[s.Labels["route"]]
		if s.Exemplar == nil || !ok {
			continue
		}
		id := s.Exemplar.Labels[server.ExemplarTraceID]
		tr, err := l.WaitForJaegerTrace(ctx, id, 1)
		if err != nil {
			t.Fatalf("exemplar on %v names trace %s, which Jaeger does not have: %v", s.Labels, id, err)
		}
		var found bool
		for _, sp := range tr.Spans {
			found = found || (sp.Service == "books-exemplars" && sp.Operation == op && sp.SpanID == s.Exemplar.Labels[server.ExemplarSpanID])
		}
		if !found {
			t.Errorf("trace %s has no %q span %s from books-exemplars", id, op, s.Exemplar.Labels[server.ExemplarSpanID])
		}
		checked++
	}
	if checked < 2 {
		t.Errorf("checked %d exemplars, want one per route at least", checked)
	}
}
