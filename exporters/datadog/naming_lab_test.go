package datadog_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/exporters/datadog"
	"github.com/otelswitch/otelswitch/internal/lab"
)

// namingCase is one span of the naming table.
type namingCase struct {
	name  string
	span  string
	kind  trace.SpanKind
	attrs []attribute.KeyValue
	err   bool // status Error: with an exception event, unless the span has an HTTP status code only
}

func namingCases() []namingCase {
	str, num := attribute.String, attribute.Int
	return []namingCase{
		{"HTTP server, old conventions", "GET /books/{id}", trace.SpanKindServer,
			[]attribute.KeyValue{str("http.method", "GET"), str("http.route", "/books/{id}"), num("http.status_code", 200)}, false},
		{"HTTP server, new conventions with route", "GET /books/{id}", trace.SpanKindServer,
			[]attribute.KeyValue{str("http.request.method", "GET"), str("http.route", "/books/{id}"), num("http.response.status_code", 200), str("url.path", "/books/7")}, false},
		{"HTTP server, new conventions, no route", "GET /books/{id}", trace.SpanKindServer,
			[]attribute.KeyValue{str("http.request.method", "GET"), num("http.response.status_code", 404), str("url.path", "/books/7")}, false},
		{"HTTP server, no route, a name that is not METHOD /route", "GET", trace.SpanKindServer,
			[]attribute.KeyValue{str("http.request.method", "GET"), num("http.response.status_code", 200)}, false},
		{"HTTP server, old conventions, no route", "POST /books", trace.SpanKindServer,
			[]attribute.KeyValue{str("http.method", "POST"), num("http.status_code", 201)}, false},
		{"HTTP server, unknown method", "HTTP", trace.SpanKindServer,
			[]attribute.KeyValue{str("http.request.method", "_OTHER")}, false},
		{"HTTP client, old conventions", "HTTP GET", trace.SpanKindClient,
			[]attribute.KeyValue{str("http.method", "GET"), str("http.url", "http://shelf/books"), num("http.status_code", 200)}, false},
		{"HTTP client, new conventions", "GET", trace.SpanKindClient,
			[]attribute.KeyValue{str("http.request.method", "GET"), str("server.address", "shelf"), str("url.full", "http://shelf/books"), num("http.response.status_code", 503)}, false},
		{"database, old conventions", "SELECT books", trace.SpanKindClient,
			[]attribute.KeyValue{str("db.system", "postgresql"), str("db.statement", "SELECT * FROM books")}, false},
		{"database, only db.system.name", "SELECT books", trace.SpanKindClient,
			[]attribute.KeyValue{str("db.system.name", "postgresql"), str("db.query.text", "SELECT * FROM books"), str("db.namespace", "shelf")}, false},
		{"redis, only db.system.name", "GET", trace.SpanKindClient,
			[]attribute.KeyValue{str("db.system.name", "redis")}, false},
		{"messaging producer", "publish books", trace.SpanKindProducer,
			[]attribute.KeyValue{str("messaging.system", "kafka"), str("messaging.operation", "publish"), str("messaging.destination.name", "books")}, false},
		{"messaging consumer, new conventions", "process books", trace.SpanKindConsumer,
			[]attribute.KeyValue{str("messaging.system", "kafka"), str("messaging.operation.type", "process"), str("messaging.destination.name", "books")}, false},
		{"gRPC client", "books.Shelf/Get", trace.SpanKindClient,
			[]attribute.KeyValue{str("rpc.system", "grpc"), str("rpc.service", "books.Shelf"), str("rpc.method", "Get")}, false},
		{"gRPC server", "books.Shelf/Get", trace.SpanKindServer,
			[]attribute.KeyValue{str("rpc.system", "grpc"), str("rpc.service", "books.Shelf"), str("rpc.method", "Get")}, false},
		{"internal", "load book", trace.SpanKindInternal, []attribute.KeyValue{num("book.id", 7)}, false},
		{"unspecified kind", "load book", trace.SpanKindUnspecified, nil, false},
		{"error, internal", "render book", trace.SpanKindInternal, nil, true},
		{"error, HTTP server, status code only", "GET /books/{id}", trace.SpanKindServer,
			[]attribute.KeyValue{str("http.request.method", "GET"), str("http.route", "/books/{id}"), num("http.response.status_code", 503)}, true},
		{"error, HTTP server", "GET /books/{id}", trace.SpanKindServer,
			[]attribute.KeyValue{str("http.request.method", "GET"), str("http.route", "/books/{id}"), num("http.response.status_code", 500)}, true},
	}
}

// record runs each case as its own trace through tp and returns the trace
// IDs in case order.
func (c namingCase) record(tp trace.TracerProvider) string {
	_, span := tp.Tracer("naming").Start(context.Background(), c.span, trace.WithSpanKind(c.kind), trace.WithAttributes(c.attrs...))
	switch {
	case c.err && strings.HasSuffix(c.name, "status code only"):
		span.SetStatus(codes.Error, "")
	case c.err:
		span.RecordError(errRender, trace.WithStackTrace(true))
		span.SetStatus(codes.Error, "render failed")
	}
	span.End()
	return span.SpanContext().TraceID().String()
}

// teeAgent is an Agent trace intake in front of the lab's: it decodes what
// dd-trace-go sends (native mode's own mapping, before anything converts
// it) and forwards every request, one at a time, to the lab.
type teeAgent struct {
	mu    sync.Mutex
	spans []ddSpan
}

func newTeeAgent(t *testing.T, target string) (*teeAgent, string) {
	a := &teeAgent{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if r.URL.Path == "/v0.4/traces" {
			spans, err := decodeV04(body)
			if err != nil {
				t.Errorf("tee agent: %v", err)
			}
			a.mu.Lock()
			a.spans = append(a.spans, spans...)
			a.mu.Unlock()
		}
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, "http://"+target+r.URL.RequestURI(), bytes.NewReader(body))
		req.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		maps.Copy(w.Header(), resp.Header)
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	t.Cleanup(srv.Close)
	return a, srv.URL
}

func (a *teeAgent) span(traceLow uint64) (ddSpan, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, s := range a.spans {
		if s.TraceID == traceLow {
			return s, true
		}
	}
	return ddSpan{}, false
}

// named is what the naming test compares.
type named struct {
	operation, resource, typ string
	tags                     map[string]string
	error                    int64
}

func (n named) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "operation=%q resource=%q type=%q error=%d", n.operation, n.resource, n.typ, n.error)
	for _, k := range slices.Sorted(maps.Keys(n.tags)) {
		fmt.Fprintf(&b, "\n    %s=%q", k, n.tags[k])
	}
	return b.String()
}

// infraTag reports tags that describe the pipeline rather than the span:
// the tracer, runtime, sampling, lab and identity bookkeeping each side
// adds on its own. Env and version are checked by
// TestLabThroughDatadogExporter. sql.query is added by the Agent's
// obfuscator to every SQL span, dd-trace-go's too, after the mapping.
func infraTag(k string) bool {
	for _, p := range []string{"_dd.", "_sampling_priority", "otel.", "lab.", "process.", "telemetry.", "deployment.environment"} {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	switch k {
	case "language", "runtime-id", "process_id", "env", "version", "service.version", "events", "_top_level",
		"sampling.priority", "error.stack", "sql.query":
		return true
	}
	return false
}

// tagsOf flattens a span's meta and metrics for comparison. dd-trace-go v2
// names the error message error.message, the Agent's OTLP mapping
// error.msg; Datadog reads either as the error's message, and they compare
// as one.
func tagsOf(meta map[string]string, metrics map[string]float64) map[string]string {
	out := map[string]string{}
	for k, v := range meta {
		if k == "error.message" {
			k = "error.msg"
		}
		if !infraTag(k) {
			out[k] = v
		}
	}
	for k, v := range metrics {
		if !infraTag(k) {
			out[k] = fmt.Sprint(v)
		}
	}
	return out
}

// TestNamingAgreesAcrossPaths runs each naming case through native mode
// (what dd-trace-go sends, decoded before the lab) and through otlp mode
// into the lab collector's datadog exporter, whose datadog-agent code maps
// OTLP as the Datadog Agent does; native mode's spans also go on through
// the lab's Datadog receiver into the same exporter. Operation name,
// resource, span type and tags must be the same on every path.
func TestNamingAgreesAcrossPaths(t *testing.T) {
	l, in := intakeLab(t)
	cases := namingCases()

	s := settings(t, map[string]string{"DATADOG_MODE": "otlp", "DATADOG_OTLP_ENDPOINT": "http://" + l.CollectorOTLPGRPC, "DD_ENV": "lab"})
	b, err := datadog.Factory{}.New(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(b.SpanProcessor), sdktrace.WithResource(s.Resource))
	otlpIDs := make([]string, len(cases))
	for i, c := range cases {
		otlpIDs[i] = c.record(tp)
	}
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	tee, url := newTeeAgent(t, l.DatadogAgent)
	nb, ntp := nativeBackend(t, map[string]string{"DD_TRACE_AGENT_URL": url, "DD_ENV": "lab"})
	waitStarted(t, nb)
	nativeIDs := make([]string, len(cases))
	for i, c := range cases {
		nativeIDs[i] = c.record(ntp)
	}
	if err := ntp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			agent := intakeSpan(t, in, otlpIDs[i])
			received := intakeSpan(t, in, nativeIDs[i])
			native, ok := tee.span(received.TraceID)
			if !ok {
				t.Fatal("dd-trace-go's span not seen by the tee agent")
			}
			want := named{agent.Name, agent.Resource, agent.Type, tagsOf(agent.Meta, agent.Metrics), int64(agent.Error)}
			got := named{native.Name, native.Resource, native.Type, tagsOf(native.Meta, native.Metrics), native.Error}
			if got.String() != want.String() {
				t.Errorf("native mode sends\n  %v\nthe Agent's OTLP mapping gives\n  %v", got, want)
			}
			// The receiver converts dd-trace-go's span to OTLP, renaming
			// tags, and the exporter maps it again: the names must survive.
			rec := named{operation: received.Name, resource: received.Resource, typ: received.Type, error: int64(received.Error)}
			if rec.String() != (named{operation: want.operation, resource: want.resource, typ: want.typ, error: want.error}).String() {
				t.Errorf("through the lab's Datadog receiver: %v; want %v", rec, want)
			}
		})
	}
}

// intakeSpan waits for the one span of traceID at the intake.
func intakeSpan(t *testing.T, in *lab.DatadogIntake, traceID string) lab.DatadogSpan {
	t.Helper()
	for _, s := range intakeSpans(t, in, traceID, 1) {
		return s
	}
	panic("unreachable: intakeSpans returned no span")
}
