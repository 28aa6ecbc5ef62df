package server_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"

	"github.com/otelswitch/otelswitch/sample-app/internal/server"
)

// TestChainOneTrace runs app-a -> app-b -> app-c in one process, each with
// its own tracer provider, and checks one trace covers all three.
func TestChainOneTrace(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	c := newApp(t, appOptions{service: "app-c", recorder: rec})
	b := newApp(t, appOptions{service: "app-b", recorder: rec, chain: []string{c.ts.URL}})
	a := newApp(t, appOptions{service: "app-a", recorder: rec, chain: []string{b.ts.URL, c.ts.URL + "/io_task?ms=1"}})

	resp, body := a.do(t, "GET", "/chain", "", "X-Request-ID", "chain-1")
	if resp.StatusCode != 200 {
		t.Fatalf("GET /chain = %d %s", resp.StatusCode, body)
	}
	var res server.ChainResult
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Calls) != 2 || res.Calls[0].Status != 200 || res.Calls[1].Status != 200 {
		t.Fatalf("calls = %s", body)
	}
	var fromB server.ChainResult
	if err := json.Unmarshal(res.Calls[0].Response, &fromB); err != nil {
		t.Fatal(err)
	}
	if fromB.Service != "app-b" || fromB.TraceID != res.TraceID || fromB.RequestID != "chain-1" || fromB.Depth != 1 || len(fromB.Calls) != 1 {
		t.Errorf("app-b answered %+v; want the same trace and request ID one level down", fromB)
	}

	services := map[string]int{}
	for _, s := range rec.Ended() {
		if s.SpanContext().TraceID().String() != res.TraceID {
			continue
		}
		for _, kv := range s.Resource().Attributes() {
			if kv.Key == semconv.ServiceNameKey {
				services[kv.Value.AsString()]++
			}
		}
	}
	for _, svc := range []string{"app-a", "app-b", "app-c"} {
		if services[svc] == 0 {
			t.Errorf("trace %s has no span from %s; spans by service: %v", res.TraceID, svc, services)
		}
	}
	// app-c serves two requests in the trace: /chain from app-b and /io_task from app-a.
	cServer := map[string]int{}
	for _, s := range rec.Ended() {
		if s.SpanContext().TraceID().String() == res.TraceID && s.Parent().IsRemote() && serviceOf(s) == "app-c" {
			cServer[s.Name()]++
		}
	}
	if cServer["GET /chain"] != 1 || cServer["GET /io_task"] != 1 || len(cServer) != 2 {
		t.Errorf("app-c server spans in the trace: %v; want one GET /chain and one GET /io_task", cServer)
	}
}

func serviceOf(s sdktrace.ReadOnlySpan) string {
	for _, kv := range s.Resource().Attributes() {
		if kv.Key == semconv.ServiceNameKey {
			return kv.Value.AsString()
		}
	}
	return ""
}

func TestChainLoopStops(t *testing.T) {
	// An instance whose CHAIN_TARGETS names itself.
	a := newApp(t, appOptions{service: "self"})
	var self http.Handler
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { self.ServeHTTP(w, r) }))
	t.Cleanup(ts.Close)
	srv, err := server.New(server.Config{Store: a.store, ServiceName: "self", ChainTargets: []string{ts.URL}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	self = srv

	resp, err := http.Get(ts.URL + "/chain")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var res server.ChainResult
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusBadGateway {
		t.Errorf("a looping chain = %d, want 502", resp.StatusCode)
	}
	depth := 0
	for len(res.Calls) == 1 && res.Calls[0].Status == http.StatusBadGateway {
		depth++
		next := server.ChainResult{}
		if err := json.Unmarshal(res.Calls[0].Response, &next); err != nil {
			t.Fatal(err)
		}
		res = next
	}
	if depth != 7 || res.Calls[0].Status != http.StatusLoopDetected {
		t.Errorf("the loop stopped after %d nested 502s with %+v; want 7 and then 508", depth, res.Calls)
	}
}

func TestChainTargetErrors(t *testing.T) {
	for _, tt := range []struct {
		targets []string
		want    string
	}{
		{[]string{"localhost:8080"}, `CHAIN_TARGETS entry "localhost:8080": want an absolute http:// or https:// URL`},
		{[]string{"ftp://x"}, `CHAIN_TARGETS entry "ftp://x"`},
		{[]string{"http://"}, `CHAIN_TARGETS entry "http://"`},
	} {
		if _, err := server.ParseChainTargets(tt.targets); err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("ParseChainTargets(%q) = %v, want %q", tt.targets, err, tt.want)
		}
	}
	u, err := server.ParseChainTargets([]string{" http://b:8080 ", "", "http://c:8080/io_task?ms=5"})
	if err != nil || len(u) != 2 || u[0].String() != "http://b:8080/chain" || u[1].String() != "http://c:8080/io_task?ms=5" {
		t.Errorf("ParseChainTargets = %v, %v", u, err)
	}
}

func TestChainPeerDown(t *testing.T) {
	dead := newApp(t, appOptions{service: "dead"})
	url := dead.ts.URL
	dead.ts.Close()
	a := newApp(t, appOptions{service: "app-a", chain: []string{url}})
	resp, body := a.do(t, "GET", "/chain", "")
	var res server.ChainResult
	if err := json.Unmarshal(body, &res); err != nil || resp.StatusCode != http.StatusBadGateway || len(res.Calls) != 1 || res.Calls[0].Error == "" {
		t.Errorf("GET /chain with the peer down = %d %s, want 502 naming the failed call", resp.StatusCode, body)
	}
}
