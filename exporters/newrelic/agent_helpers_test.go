package newrelic_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/internal/testutil"
)

type syncBuffer = testutil.SyncBuffer

// spanTree is the agent tests' workload: a server root, an internal child,
// a database client child under it and a failing span beside that.
type spanTree struct {
	Root, Internal, Client, Failed trace.Span
	// InternalCtx holds the internal span, for logging inside it.
	InternalCtx context.Context
}

var errRender = errors.New("template books.html: no such file")

// makeTree records the workload through tp and ends every span.
func makeTree(tp trace.TracerProvider) spanTree {
	return makeTreeFrom(context.Background(), tp)
}

func makeTreeFrom(ctx context.Context, tp trace.TracerProvider) spanTree {
	tr := tp.Tracer("github.com/otelswitch/otelswitch/exporters/newrelic_test")
	ctx, root := tr.Start(ctx, "GET /books/{id}",
		trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(
			semconv.HTTPRequestMethodGet,
			semconv.URLPath("/books/42"),
			semconv.URLScheme("http"),
			semconv.ServerAddress("books.example"),
			semconv.ServerPort(8080),
			semconv.UserAgentOriginal("books-test/1.0"),
		))
	// otelhttp sets the route once the mux has matched.
	root.SetAttributes(semconv.HTTPRoute("/books/{id}"))
	ictx, internal := tr.Start(ctx, "load book", trace.WithAttributes(attribute.Int("book.id", 42)))
	_, client := tr.Start(ictx, "SELECT books", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("db.system.name", "sqlite"),
			semconv.DBQueryText("SELECT * FROM books WHERE id = ?"),
			semconv.DBNamespace("main"),
		))
	time.Sleep(2 * time.Millisecond)
	client.End()
	_, failed := tr.Start(ictx, "render book")
	failed.RecordError(errRender, trace.WithStackTrace(true))
	failed.SetStatus(codes.Error, "render failed")
	failed.End()
	internal.End()
	root.SetAttributes(semconv.HTTPResponseStatusCode(500))
	root.SetStatus(codes.Error, "")
	root.End()
	return spanTree{Root: root, Internal: internal, Client: client, Failed: failed, InternalCtx: ictx}
}

// nrEvent is one event of a harvest: intrinsics, custom (user) and agent
// attributes.
type nrEvent struct {
	Intrinsics, User, Agent map[string]any
}

func (e nrEvent) str(key string) string {
	for _, m := range []map[string]any{e.Intrinsics, e.Agent, e.User} {
		if v, ok := m[key]; ok {
			s, _ := v.(string)
			return s
		}
	}
	return ""
}

// harvest is the agent's data by collector method, as its serverless mode
// writes it: [2, "NR_LAMBDA_MONITORING", {metadata}, base64(gzip(JSON))].
type harvest map[string]json.RawMessage

func decodeServerless(t *testing.T, out string) harvest {
	t.Helper()
	h := harvest{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var outer []json.RawMessage
		if err := json.Unmarshal([]byte(line), &outer); err != nil || len(outer) != 4 {
			t.Fatalf("serverless line %q: %v", line, err)
		}
		var meta struct {
			AgentLanguage string `json:"agent_language"`
		}
		var b64 string
		if err := json.Unmarshal(outer[2], &meta); err != nil || meta.AgentLanguage != "go" {
			t.Fatalf("serverless metadata %s: %v", outer[2], err)
		}
		if err := json.Unmarshal(outer[3], &b64); err != nil {
			t.Fatal(err)
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		var payloads map[string]json.RawMessage
		if err := json.Unmarshal(data, &payloads); err != nil {
			t.Fatal(err)
		}
		for k, v := range payloads {
			h[k] = v
		}
	}
	return h
}

// events decodes an event payload: [run_id, {reservoir_size, events_seen},
// [[intrinsics, user, agent], ...]].
func events(t *testing.T, payload json.RawMessage) []nrEvent {
	t.Helper()
	if payload == nil {
		return nil
	}
	var outer []json.RawMessage
	if err := json.Unmarshal(payload, &outer); err != nil || len(outer) != 3 {
		t.Fatalf("event payload %s: %v", payload, err)
	}
	var raw [][]map[string]any
	if err := json.Unmarshal(outer[2], &raw); err != nil {
		t.Fatalf("events %s: %v", outer[2], err)
	}
	out := make([]nrEvent, 0, len(raw))
	for _, r := range raw {
		if len(r) != 3 {
			t.Fatalf("event %v", r)
		}
		out = append(out, nrEvent{Intrinsics: r[0], User: r[1], Agent: r[2]})
	}
	return out
}

// metricNames lists the metrics of a metric_data payload: [run_id, start,
// end, [[{"name", "scope"}, [values]], ...]], as name or scope|name.
func metricNames(t *testing.T, payload json.RawMessage) map[string]bool {
	t.Helper()
	var outer []json.RawMessage
	if err := json.Unmarshal(payload, &outer); err != nil || len(outer) != 4 {
		t.Fatalf("metric payload %s: %v", payload, err)
	}
	var metrics [][]json.RawMessage
	if err := json.Unmarshal(outer[3], &metrics); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, m := range metrics {
		var id struct{ Name, Scope string }
		if err := json.Unmarshal(m[0], &id); err != nil {
			t.Fatal(err)
		}
		if id.Scope != "" {
			names[id.Scope+"|"+id.Name] = true
		} else {
			names[id.Name] = true
		}
	}
	return names
}

// collectorPost is one post of the agent to the collector.
type collectorPost struct {
	Method  string
	License string
	RunID   string
	Body    []byte // decompressed
}

// collector stands in for New Relic's collector over TLS: it answers
// preconnect with its own address, connect with a run, and records every
// post. Methods in status are answered with that code; methods in hang are
// not answered until the client gives up.
type collector struct {
	srv    *httptest.Server
	Host   string
	Roots  *x509.CertPool
	mu     sync.Mutex
	posts  []collectorPost
	status map[string]int
	hang   map[string]bool
}

func newCollector(t *testing.T) *collector {
	t.Helper()
	c := &collector{status: map[string]int{}, hang: map[string]bool{}}
	c.srv = httptest.NewUnstartedServer(http.HandlerFunc(c.serve))
	c.srv.StartTLS()
	t.Cleanup(c.srv.Close)
	c.Host = c.srv.Listener.Addr().String()
	c.Roots = x509.NewCertPool()
	c.Roots.AddCert(c.srv.Certificate())
	return c
}

// connectReply is what the collector's connect returns: the account
// identities distributed tracing needs, and harvest periods long enough
// that only Shutdown's final harvest sends data.
const connectReply = `{"return_value":{
	"agent_run_id":"run-1","entity_guid":"ENTITY-GUID",
	"account_id":"1234567","trusted_account_key":"1234567","primary_application_id":"7654321",
	"sampling_target":10,"sampling_target_period_in_seconds":60,
	"event_harvest_config":{"report_period_ms":60000,"harvest_limits":{"analytic_event_data":10000,"custom_event_data":10000,"error_event_data":100,"log_event_data":10000}},
	"span_event_harvest_config":{"report_period_ms":60000,"harvest_limit":2000}}}`

func (c *collector) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := collectorPost{Method: q.Get("method"), License: q.Get("license_key"), RunID: q.Get("run_id")}
	if zr, err := gzip.NewReader(r.Body); err == nil {
		p.Body, _ = io.ReadAll(zr)
	}
	c.mu.Lock()
	c.posts = append(c.posts, p)
	code, hang := c.status[p.Method], c.hang[p.Method]
	c.mu.Unlock()
	switch {
	case hang:
		<-r.Context().Done()
		return
	case code != 0:
		w.WriteHeader(code)
		return
	}
	switch p.Method {
	case "preconnect":
		_, _ = io.WriteString(w, `{"return_value":{"redirect_host":"`+c.Host+`"}}`)
	case "connect":
		_, _ = io.WriteString(w, connectReply)
	default:
		_, _ = io.WriteString(w, `{"return_value":null}`)
	}
}

func (c *collector) set(method string, code int, hang bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.status[method], c.hang[method] = code, hang
}

// Posts returns the posts of one method, or every post for "".
func (c *collector) Posts(method string) []collectorPost {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []collectorPost
	for _, p := range c.posts {
		if method == "" || p.Method == method {
			out = append(out, p)
		}
	}
	return out
}
