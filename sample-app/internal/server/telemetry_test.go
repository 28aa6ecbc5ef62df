package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"

	"github.com/otelswitch/otelswitch/sample-app/internal/promscrape"
	"github.com/otelswitch/otelswitch/sample-app/internal/server"
)

func TestPanicBecomes500AndSpanError(t *testing.T) {
	a := newApp(t, appOptions{})
	for range 2 { // the process keeps serving, panic after panic
		resp, body := a.do(t, "GET", "/error", "")
		var e server.ErrorBody
		if err := json.Unmarshal(body, &e); err != nil || resp.StatusCode != 500 || !strings.Contains(e.Error, "internal server error") {
			t.Fatalf("GET /error = %d %s", resp.StatusCode, body)
		}
		if strings.Contains(string(body), "deliberate") || strings.Contains(string(body), "goroutine") {
			t.Errorf("500 body leaks the panic: %s", body)
		}
		if resp, _ := a.do(t, "GET", "/health", ""); resp.StatusCode != 200 {
			t.Fatalf("after a panic, GET /health = %d", resp.StatusCode)
		}
	}

	spans := a.ended("GET /error")
	if len(spans) != 2 {
		t.Fatalf("%d spans named GET /error, want 2", len(spans))
	}
	s := spans[0]
	if s.Status().Code != codes.Error {
		t.Errorf("span status = %v, want Error", s.Status())
	}
	if v, _ := attr(s, semconv.HTTPResponseStatusCodeKey); v.AsInt64() != 500 {
		t.Errorf("http.response.status_code = %v", v.String())
	}
	if v, _ := attr(s, semconv.ErrorTypeKey); v.AsString() != "*errors.errorString" {
		t.Errorf("error.type = %q", v.String())
	}
	var ev map[string]string
	for _, e := range s.Events() {
		if e.Name == semconv.ExceptionEventName {
			ev = map[string]string{}
			for _, kv := range e.Attributes {
				ev[string(kv.Key)] = kv.Value.String()
			}
		}
	}
	if ev == nil {
		t.Fatalf("no exception event on the span; events %v", s.Events())
	}
	if ev["exception.message"] != "panic: "+server.ErrDeliberate.Error() {
		t.Errorf("exception.message = %q", ev["exception.message"])
	}
	if st := ev["exception.stacktrace"]; !strings.Contains(st, "server.(*Server).fail") {
		t.Errorf("exception.stacktrace does not reach the panicking handler:\n%s", st)
	}

	lines := a.logLines(t, "request")
	var errLines int
	for _, l := range lines {
		if l["path"] == "/error" {
			errLines++
			if l["level"] != "ERROR" || l["status"] != 500.0 || !strings.Contains(fmt.Sprint(l["error"]), "deliberate failure") {
				t.Errorf("log line for the panic = %v", l)
			}
		}
	}
	if errLines != 2 {
		t.Errorf("%d log lines for /error, want 2", errLines)
	}
}

func TestRequestIDAndProcessTime(t *testing.T) {
	a := newApp(t, appOptions{})
	generated := regexp.MustCompile(`^[A-Z2-7]{26}$`)
	tests := []struct {
		name, sent string
		kept       bool
	}{
		{"none", "", false},
		{"sane", "req-42_abc.DEF:1", true},
		{"uuid", "6f1c1a4e-8f0b-4a55-9a3d-0c1b2a3d4e5f", true},
		{"128 chars", strings.Repeat("a", 128), true},
		{"too long", strings.Repeat("a", 129), false},
		{"space", "a b", false},
		{"non-ASCII", "réq", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h []string
			if tt.sent != "" {
				h = []string{"X-Request-ID", tt.sent}
			}
			resp, _ := a.do(t, "GET", "/books/1?x="+url.QueryEscape(tt.name), "", h...)
			id := resp.Header.Get("X-Request-ID")
			if tt.kept && id != tt.sent {
				t.Errorf("X-Request-ID = %q, want the client's %q", id, tt.sent)
			}
			if !tt.kept && !generated.MatchString(id) {
				t.Errorf("X-Request-ID = %q, want a generated one", id)
			}
			pt, err := strconv.ParseFloat(resp.Header.Get("X-Process-Time"), 64)
			if err != nil || pt < 0 || pt > 5 {
				t.Errorf("X-Process-Time = %q", resp.Header.Get("X-Process-Time"))
			}
			var spanHas bool
			for _, s := range a.ended("GET /books/{id}") {
				v, _ := attr(s, server.AttrRequestID)
				spanHas = spanHas || v.AsString() == id
			}
			if !spanHas {
				t.Errorf("no span carries %s=%q", server.AttrRequestID, id)
			}
			var logHas bool
			for _, l := range a.logLines(t, "request") {
				logHas = logHas || l["request_id"] == id
			}
			if !logHas {
				t.Errorf("no log line carries request_id %q", id)
			}
		})
	}
}

func TestSpanNamesAndLogLines(t *testing.T) {
	a := newApp(t, appOptions{})
	a.do(t, "POST", "/books", `{"title":"Emma","author":"Jane Austen","year":1815}`)
	tests := []struct {
		method, path        string
		wantSpan, wantRoute string
		status              int
	}{
		{"GET", "/books/1", "GET /books/{id}", "/books/{id}", 200},
		{"GET", "/books?page=1", "GET /books", "/books", 200},
		{"DELETE", "/books/1", "DELETE /books/{id}", "/books/{id}", 204},
		{"GET", "/", "GET /", "/", 200},
		{"GET", "/io_task?ms=1", "GET /io_task", "/io_task", 200},
		{"GET", "/cpu_task?n=10", "GET /cpu_task", "/cpu_task", 200},
		{"GET", "/no/such/thing", "GET", "", 404},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			resp, body := a.do(t, tt.method, tt.path, "", "X-Request-ID", "names-"+tt.path)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d %s", resp.StatusCode, body)
			}
			var found bool
			for _, s := range a.ended(tt.wantSpan) {
				if v, _ := attr(s, server.AttrRequestID); v.AsString() != "names-"+tt.path {
					continue
				}
				found = true
				route, ok := attr(s, semconv.HTTPRouteKey)
				if tt.wantRoute != "" && route.AsString() != tt.wantRoute {
					t.Errorf("http.route = %q, want %q", route.String(), tt.wantRoute)
				}
				if tt.wantRoute == "" && ok {
					t.Errorf("unmatched request has http.route %q", route.String())
				}
			}
			if !found {
				t.Errorf("no span named %q", tt.wantSpan)
			}
			var line map[string]any
			for _, l := range a.logLines(t, "request") {
				if l["request_id"] == "names-"+tt.path {
					line = l
				}
			}
			if line == nil {
				t.Fatal("no log line")
			}
			for _, k := range []string{"method", "path", "route", "status", "duration_ms", "client", "request_id"} {
				if _, ok := line[k]; !ok {
					t.Errorf("log line lacks %q: %v", k, line)
				}
			}
			if line["method"] != tt.method || line["route"] != tt.wantRoute || line["status"] != float64(tt.status) || !strings.HasPrefix(tt.path, line["path"].(string)) {
				t.Errorf("log line = %v", line)
			}
			if !strings.HasPrefix(line["client"].(string), "127.0.0.1:") {
				t.Errorf("client = %v", line["client"])
			}
		})
	}
}

func TestMetrics(t *testing.T) {
	a := newApp(t, appOptions{})
	a.do(t, "POST", "/books", `{"title":"Emma","author":"Jane Austen","year":1815}`)
	for range 3 {
		a.do(t, "GET", "/books/1", "")
	}
	a.do(t, "GET", "/books/77", "")
	a.do(t, "GET", "/error", "")
	a.do(t, "GET", "/a/b/c/d", "")

	traceIDs := map[string]bool{}
	for _, s := range a.spans.Ended() {
		traceIDs[s.SpanContext().TraceID().String()] = true
	}

	for _, tt := range []struct {
		accept, wantType string
		exemplars        bool
	}{
		{promscrape.AcceptText, "text/plain", false},
		{promscrape.AcceptOpenMetrics, "application/openmetrics-text", true},
	} {
		t.Run(tt.wantType, func(t *testing.T) {
			res, err := promscrape.Get(context.Background(), a.ts.URL+"/metrics", tt.accept)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(res.ContentType, tt.wantType) {
				t.Fatalf("Content-Type = %q, want %s", res.ContentType, tt.wantType)
			}
			count := func(name string, l map[string]string) float64 {
				var sum float64
				for _, s := range res.Find(name, l) {
					sum += s.Value
				}
				return sum
			}
			checks := []struct {
				name   string
				labels map[string]string
				want   float64
			}{
				{server.MetricRequests, map[string]string{"method": "GET", "route": "/books/{id}", "status": "200"}, 3},
				{server.MetricRequests, map[string]string{"method": "GET", "route": "/books/{id}", "status": "404"}, 1},
				{server.MetricRequests, map[string]string{"method": "POST", "route": "/books", "status": "201"}, 1},
				{server.MetricRequests, map[string]string{"route": "unmatched", "status": "404"}, 1},
				{server.MetricErrors, map[string]string{"route": "/error", "status": "500"}, 1},
				{server.MetricErrors, map[string]string{"route": "/books/{id}"}, 0},
				{server.MetricRequestDuration + "_count", map[string]string{"route": "/books/{id}", "status": "200"}, 3},
				{server.MetricInFlight, nil, 1}, // the scrape itself
			}
			for _, c := range checks {
				if got := count(c.name, c.labels); got != c.want {
					t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
				}
			}
			if res.Types[server.MetricRequestDuration] != "histogram" {
				t.Errorf("%s has type %q", server.MetricRequestDuration, res.Types[server.MetricRequestDuration])
			}

			var exemplars int
			for _, s := range res.Find(server.MetricRequestDuration+"_bucket", nil) {
				if s.Exemplar == nil {
					continue
				}
				exemplars++
				if s.Labels["route"] == "/metrics" {
					continue // a scrape's span may end after the scrape is read
				}
				id := s.Exemplar.Labels[server.ExemplarTraceID]
				if !traceIDs[id] {
					t.Errorf("exemplar trace_id %q on %v is not a recorded trace", id, s.Labels)
				}
				if len(s.Exemplar.Labels[server.ExemplarSpanID]) != 16 {
					t.Errorf("exemplar span_id = %q", s.Exemplar.Labels[server.ExemplarSpanID])
				}
			}
			if tt.exemplars && exemplars == 0 {
				t.Error("no exemplars in OpenMetrics")
			}
			if !tt.exemplars && exemplars != 0 {
				t.Errorf("%d exemplars in the classic text format", exemplars)
			}
		})
	}
}

func TestHealth(t *testing.T) {
	a := newApp(t, appOptions{})
	resp, body := a.do(t, "GET", "/health", "")
	var h server.Health
	if err := json.Unmarshal(body, &h); err != nil || resp.StatusCode != 200 || h.Status != "ok" || h.Database != "sqlite" {
		t.Fatalf("GET /health = %d %s", resp.StatusCode, body)
	}
	a.store.Close() // the database goes away
	resp, body = a.do(t, "GET", "/health", "")
	h = server.Health{}
	if err := json.Unmarshal(body, &h); err != nil || resp.StatusCode != http.StatusServiceUnavailable || h.Status != "unavailable" {
		t.Fatalf("GET /health with the database closed = %d %s", resp.StatusCode, body)
	}
	if !strings.HasPrefix(h.Reason, "database: sqlite: ") {
		t.Errorf("reason = %q, want it to say the database is down", h.Reason)
	}
	if resp, _ := a.do(t, "GET", "/books", ""); resp.StatusCode != 500 {
		t.Errorf("GET /books with the database closed = %d, want 500", resp.StatusCode)
	}
}

func TestSQLSpansAreChildrenOfTheRequest(t *testing.T) {
	a := newApp(t, appOptions{})
	a.do(t, "POST", "/books", `{"title":"Emma","author":"Jane Austen","year":1815}`)
	a.do(t, "GET", "/books/1", "")
	a.do(t, "GET", "/metrics", "")
	var req sdktrace.ReadOnlySpan
	for _, s := range a.ended("GET /books/{id}") {
		req = s
	}
	if req == nil {
		t.Fatal("no GET /books/{id} span")
	}
	var sqlSpans []string
	for _, s := range a.spans.Ended() {
		if s.Parent().SpanID() != req.SpanContext().SpanID() {
			continue
		}
		if q, ok := attr(s, semconv.DBQueryTextKey); ok {
			sqlSpans = append(sqlSpans, s.Name()+": "+q.AsString())
			if sys, _ := attr(s, semconv.DBSystemNameKey); sys.AsString() != "sqlite" {
				t.Errorf("%s has db.system.name %q", s.Name(), sys.String())
			}
		}
	}
	if len(sqlSpans) != 1 || !strings.HasPrefix(sqlSpans[0], "SELECT books: SELECT id, title") {
		t.Errorf("SQL spans under the request: %q", sqlSpans)
	}
	for _, s := range a.spans.Ended() {
		if strings.Contains(s.Name(), "metrics") {
			t.Errorf("a /metrics scrape was traced: %q", s.Name())
		}
	}
}
