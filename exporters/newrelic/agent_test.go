package newrelic_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/bootstrap"
	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/exporters/newrelic"
	"github.com/otelswitch/otelswitch/internal/otlptest"
)

// agentEnv is agent mode for the books service.
func agentEnv(extra env) env {
	e := env{
		"ENVIRONMENT":           "test",
		"TELEMETRY_BACKEND":     "newrelic",
		"NEW_RELIC_MODE":        "agent",
		"NEW_RELIC_LICENSE_KEY": key,
		"OTEL_SERVICE_NAME":     "books",
		"SERVICE_VERSION":       "1.2.3",
		"TELEMETRY_LOG_FORMAT":  "json",
	}
	for k, v := range extra {
		e[k] = v
	}
	return e
}

// initAgent runs bootstrap.Init with e and f as the newrelic backend, no
// globals, logging into the returned buffer.
func initAgent(t *testing.T, e env, f newrelic.Factory) (*bootstrap.Telemetry, *syncBuffer) {
	t.Helper()
	r := exporters.NewRegistry()
	if err := r.Register(newrelic.Name, f); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	tel, err := bootstrap.Init(context.Background(), bootstrap.WithLookupEnv(e.Lookup), bootstrap.WithoutGlobals(),
		bootstrap.WithRegistry(r), bootstrap.WithLogOutput(logs))
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	t.Cleanup(func() {
		_ = tel.Shutdown(context.Background())
		if t.Failed() {
			t.Logf("library log:\n%s", logs)
		}
	})
	return tel, logs
}

// agentBackend builds the agent-mode backend from f for e directly, with a
// provider over it; both are shut down at the end of the test.
func agentBackend(t *testing.T, f newrelic.Factory, e env) (*exporters.Backend, *sdktrace.TracerProvider) {
	t.Helper()
	s := settings(agentEnv(e))
	b, err := f.New(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithResource(s.Resource), sdktrace.WithSpanProcessor(b.SpanProcessor))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return b, tp
}

// bySpanID indexes span events by the OTel span ID each carries.
func bySpanID(t *testing.T, evs []nrEvent) map[string]nrEvent {
	t.Helper()
	m := map[string]nrEvent{}
	for _, e := range evs {
		id, _ := e.User["otel.span_id"].(string)
		if id == "" {
			t.Errorf("span event without otel.span_id: %v", e)
		}
		m[id] = e
	}
	return m
}

func spanID(s trace.Span) string { return s.SpanContext().SpanID().String() }

// checkTiming compares a span event's timestamp (ms) and duration (s) with
// the OTel span's: the agent reads the clock in OnStart and OnEnd, so they
// agree to within a millisecond or two (5 ms allowed for a busy machine).
func checkTiming(t *testing.T, name string, ev nrEvent, s trace.Span) {
	t.Helper()
	ro := s.(sdktrace.ReadOnlySpan)
	ts, _ := ev.Intrinsics["timestamp"].(float64)
	dur, _ := ev.Intrinsics["duration"].(float64)
	if d := math.Abs(ts - float64(ro.StartTime().UnixMilli())); d > 5 {
		t.Errorf("%s: timestamp %v, OTel start %d ms", name, ts, ro.StartTime().UnixMilli())
	}
	want := ro.EndTime().Sub(ro.StartTime()).Seconds()
	if math.Abs(dur-want) > 0.005 {
		t.Errorf("%s: duration %.6fs, OTel %.6fs", name, dur, want)
	}
}

// TestAgentServerlessHarvest sends the span tree through bootstrap.Init in
// agent mode and reads the whole harvest that the Go agent's serverless
// mode writes: transaction, segments and their span events, errors,
// metrics, and the trace ID and log correlation shared with OTel.
func TestAgentServerlessHarvest(t *testing.T) {
	out := &syncBuffer{}
	tel, logs := initAgent(t, agentEnv(nil), newrelic.AgentServerlessFactory(out))
	tree := makeTree(tel.TracerProvider())
	tel.Logger().InfoContext(tree.InternalCtx, "loading book")
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := decodeServerless(t, out.String())
	traceID := tree.Root.SpanContext().TraceID().String()

	// One web transaction, named from the route, carrying the OTel trace ID.
	txns := events(t, h["analytic_event_data"])
	if len(txns) != 1 {
		t.Fatalf("%d transaction events; want 1: %s", len(txns), h["analytic_event_data"])
	}
	txn := txns[0]
	if txn.str("name") != "WebTransaction/Go/GET /books/{id}" || txn.str("type") != "Transaction" || txn.Intrinsics["error"] != true {
		t.Errorf("transaction %v", txn.Intrinsics)
	}
	if txn.str("traceId") != traceID || txn.str("parentSpanId") != spanID(tree.Root) {
		t.Errorf("transaction traceId %q parentSpanId %q; want %s %s", txn.str("traceId"), txn.str("parentSpanId"), traceID, spanID(tree.Root))
	}
	if txn.str("request.method") != "GET" || txn.str("request.uri") != "/books/42" ||
		txn.Agent["http.statusCode"] != float64(500) || txn.str("request.headers.host") != "books.example" {
		t.Errorf("transaction request attributes %v", txn.Agent)
	}

	// A span event per OTel span, each with the OTel trace ID, nested as in
	// OTel, with New Relic's names and categories.
	spans := bySpanID(t, events(t, h["span_event_data"]))
	if len(spans) != 4 {
		t.Fatalf("%d span events; want 4: %s", len(spans), h["span_event_data"])
	}
	root, internal := spans[spanID(tree.Root)], spans[spanID(tree.Internal)]
	client, failed := spans[spanID(tree.Client)], spans[spanID(tree.Failed)]
	for _, c := range []struct {
		name     string
		ev       nrEvent
		otel     trace.Span
		parent   string
		nrName   string
		category string
	}{
		{"root", root, tree.Root, spanID(tree.Root), "WebTransaction/Go/GET /books/{id}", "generic"},
		{"internal", internal, tree.Internal, root.str("guid"), "Custom/load book", "generic"},
		{"client", client, tree.Client, internal.str("guid"), "Datastore/statement/SQLite/books/select", "datastore"},
		{"failed", failed, tree.Failed, internal.str("guid"), "Custom/render book", "generic"},
	} {
		if c.ev.str("traceId") != traceID || c.ev.str("parentId") != c.parent || c.ev.str("transactionId") != txn.str("guid") {
			t.Errorf("%s: traceId %q parentId %q transactionId %q; want %s %s %s", c.name, c.ev.str("traceId"), c.ev.str("parentId"), c.ev.str("transactionId"), traceID, c.parent, txn.str("guid"))
		}
		if c.ev.str("name") != c.nrName || c.ev.str("category") != c.category || c.ev.Intrinsics["sampled"] != true {
			t.Errorf("%s: name %q category %q sampled %v; want %q %q true", c.name, c.ev.str("name"), c.ev.str("category"), c.ev.Intrinsics["sampled"], c.nrName, c.category)
		}
		checkTiming(t, c.name, c.ev, c.otel)
	}
	if root.Intrinsics["nr.entryPoint"] != true || root.str("transaction.name") != "WebTransaction/Go/GET /books/{id}" {
		t.Errorf("root span %v", root.Intrinsics)
	}
	if root.str("error.class") != "500" || root.str("http.route") != "/books/{id}" {
		t.Errorf("root span error.class %q http.route %q", root.str("error.class"), root.str("http.route"))
	}
	if internal.User["book.id"] != float64(42) {
		t.Errorf("internal span attributes %v", internal.User)
	}
	if client.str("component") != "SQLite" || client.str("span.kind") != "client" || client.str("db.statement") != "SELECT * FROM books WHERE id = ?" ||
		client.str("db.collection") != "books" || client.str("db.instance") != "main" {
		t.Errorf("datastore span %v %v", client.Intrinsics, client.Agent)
	}
	if failed.str("error.class") != "*errors.errorString" || failed.str("error.message") != errRender.Error() {
		t.Errorf("failed span error attributes %v", failed.Agent)
	}

	// Two noticed errors: the exception of render book, and the 500 the
	// agent notices from the response code, as its own instrumentation does.
	errs := map[string]nrEvent{}
	for _, e := range events(t, h["error_event_data"]) {
		errs[e.str("error.class")] = e
	}
	if e := errs["*errors.errorString"]; e.str("error.message") != errRender.Error() || e.str("spanId") != failed.str("guid") ||
		e.str("transactionName") != "WebTransaction/Go/GET /books/{id}" || e.str("traceId") != traceID {
		t.Errorf("exception error event %v", e.Intrinsics)
	}
	if e := errs["500"]; e.str("error.message") != "Internal Server Error" || e.str("spanId") != root.str("guid") ||
		e.str("request.headers.userAgent") != "books-test/1.0" {
		t.Errorf("response code error event %v", e.Intrinsics)
	}
	if len(errs) != 2 {
		t.Errorf("error classes %v; want *errors.errorString and 500", errs)
	}

	// The metrics behind New Relic's APM pages.
	metrics := metricNames(t, h["metric_data"])
	for _, m := range []string{
		"WebTransaction/Go/GET /books/{id}", "HttpDispatcher", "Apdex/Go/GET /books/{id}",
		"Datastore/statement/SQLite/books/select", "Datastore/operation/SQLite/select", "Datastore/SQLite/allWeb",
		"WebTransaction/Go/GET /books/{id}|Custom/load book", "Errors/all", "Errors/WebTransaction/Go/GET /books/{id}",
	} {
		if !metrics[m] {
			t.Errorf("no metric %s in %v", m, metrics)
		}
	}

	// The app name, and every span counted as exported.
	cfg, _ := json.Marshal(tel.Config().Exporters[newrelic.Name])
	if !strings.Contains(string(cfg), `"application":"books"`) || !strings.Contains(string(cfg), `"mode":"agent"`) || strings.Contains(string(cfg), key) {
		t.Errorf("resolved configuration %s", cfg)
	}
	if st := tel.Stats()[0]; st.SpansExported != 4 || st.SpansDropped != 0 || st.SpansQueued != 0 {
		t.Errorf("stats %+v; want 4 exported", st)
	}

	// Logs in context: the log line's trace.id is New Relic's trace ID.
	var rec map[string]any
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "loading book") {
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatal(err)
			}
		}
	}
	if rec["trace.id"] != traceID || rec["span.id"] != spanID(tree.Internal) {
		t.Errorf("log record %v; want trace.id %s span.id %s", rec, traceID, spanID(tree.Internal))
	}
}

// TestAgentRemoteParent: a server span under an extracted W3C context keeps
// the upstream trace and parent in New Relic, and an upstream New Relic
// agent's tracestate entry (its account, app, sampling and priority) is
// honoured, so New Relic links the two services.
func TestAgentRemoteParent(t *testing.T) {
	out := &syncBuffer{}
	_, tp := agentBackend(t, newrelic.AgentServerlessFactory(out), nil)
	const (
		upstreamTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
		upstreamSpan  = "00f067aa0ba902b7"
	)
	ctx := propagation.TraceContext{}.Extract(context.Background(), propagation.MapCarrier{
		"traceparent": "00-" + upstreamTrace + "-" + upstreamSpan + "-01",
		"tracestate":  newrelic.TestTrustedKey + "@nr=0-0-" + newrelic.TestAccountID + "-999-" + upstreamSpan + "-e8b91a159289ff74-1-1.234567-1600000000000,other=x",
	})
	_, srv := tp.Tracer("t").Start(ctx, "GET /books", trace.WithSpanKind(trace.SpanKindServer))
	srv.End()
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := decodeServerless(t, out.String())
	spans := events(t, h["span_event_data"])
	if len(spans) != 1 {
		t.Fatalf("%d span events; want 1", len(spans))
	}
	s := spans[0]
	if s.str("traceId") != upstreamTrace || s.str("parentId") != upstreamSpan || s.str("trustedParentId") != upstreamSpan || s.str("tracingVendors") != "other" {
		t.Errorf("span %v", s.Intrinsics)
	}
	if s.Agent["parent.app"] != "999" || s.Agent["parent.account"] != newrelic.TestAccountID || s.Agent["parent.type"] != "App" || s.Intrinsics["priority"] != 1.234567 {
		t.Errorf("span parent attributes %v, priority %v", s.Agent, s.Intrinsics["priority"])
	}
	txn := events(t, h["analytic_event_data"])[0]
	if txn.str("parentId") != "e8b91a159289ff74" || txn.str("parentSpanId") != upstreamSpan || txn.str("name") != "WebTransaction/Go/GET /books" {
		t.Errorf("transaction %v", txn.Intrinsics)
	}
}

// TestAgentTreeShapes: spans that do not nest as go-agent's segments do.
// A span running beside its sibling shows under the transaction; a child
// still open when its parent ends is ended with it; a span starting after
// its transaction ended is a transaction of its own. Each span is counted
// once.
func TestAgentTreeShapes(t *testing.T) {
	out := &syncBuffer{}
	b, tp := agentBackend(t, newrelic.AgentServerlessFactory(out), nil)
	tr := tp.Tracer("t")
	ctx, root := tr.Start(context.Background(), "job", trace.WithSpanKind(trace.SpanKindConsumer))
	pctx, parent := tr.Start(ctx, "parent")
	_, a := tr.Start(pctx, "a")
	_, beside := tr.Start(pctx, "beside a")
	a.End()
	beside.End()
	_, outlives := tr.Start(pctx, "outlives parent")
	time.Sleep(time.Millisecond)
	parent.End()
	root.End()
	time.Sleep(time.Millisecond)
	outlives.End()
	_, late := tr.Start(pctx, "late")
	late.End()
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := decodeServerless(t, out.String())
	spans := bySpanID(t, events(t, h["span_event_data"]))
	if len(spans) != 6 {
		t.Fatalf("%d span events; want 6: %s", len(spans), h["span_event_data"])
	}
	rootEv, parentEv := spans[spanID(root)], spans[spanID(parent)]
	if rootEv.str("name") != "OtherTransaction/Go/job" || rootEv.str("parent.transportType") != "Queue" {
		t.Errorf("root %v %v", rootEv.Intrinsics, rootEv.Agent)
	}
	if got := spans[spanID(a)].str("parentId"); got != parentEv.str("guid") {
		t.Errorf("a's parent %s; want parent %s", got, parentEv.str("guid"))
	}
	if got := spans[spanID(beside)].str("parentId"); got != rootEv.str("guid") {
		t.Errorf("beside a's parent %s; want the transaction %s", got, rootEv.str("guid"))
	}
	out2 := spans[spanID(outlives)]
	if out2.str("parentId") != parentEv.str("guid") || out2.Intrinsics["duration"].(float64) > parentEv.Intrinsics["duration"].(float64) {
		t.Errorf("outliving child %v; want it under parent, ended with it", out2.Intrinsics)
	}
	lateEv := spans[spanID(late)]
	if lateEv.str("name") != "OtherTransaction/Go/late" || lateEv.str("traceId") != root.SpanContext().TraceID().String() || lateEv.str("parentId") != spanID(parent) {
		t.Errorf("late span %v", lateEv.Intrinsics)
	}
	if st := b.Stats.Snapshot(); st.SpansExported != 6 || st.SpansDropped != 0 || st.SpansQueued != 0 {
		t.Errorf("stats %+v; want 6 exported", st)
	}
}

// TestAgentBlackholeInitAndShutdown: with the collector a listener that
// never answers, Init does not wait for the agent to connect, the spans
// recorded while the agent has not connected are counted as dropped, and
// Shutdown keeps TELEMETRY_SHUTDOWN_TIMEOUT.
//
// "Did not wait" is shown without a clock: the agent's transport gives up
// on the silent collector after TELEMETRY_EXPORT_TIMEOUT and closes its
// connection, so a blackhole that has seen no connection closed when Init
// returns proves Init returned before that attempt ended.
func TestAgentBlackholeInitAndShutdown(t *testing.T) {
	const shutdownTimeout = 300 * time.Millisecond
	host, gaveUp := otlptest.BlackholeGiveUps(t)
	e := agentEnv(env{"NEW_RELIC_HOST": host, "TELEMETRY_SHUTDOWN_TIMEOUT": shutdownTimeout.String(),
		"TELEMETRY_EXPORT_TIMEOUT": "500ms"})
	start := time.Now()
	tel, _ := initAgent(t, e, newrelic.Factory{})
	initTook := time.Since(start)
	if n := gaveUp(); n != 0 {
		t.Errorf("Init returned after the agent gave up on the collector (%d connections closed): it waited", n)
	}
	for range 3 {
		makeTree(tel.TracerProvider())
	}
	// The counter works: the agent's first attempt ends within the export
	// timeout (the test's own timeout bounds the wait).
	for gaveUp() == 0 {
		time.Sleep(20 * time.Millisecond)
	}
	start = time.Now()
	err := tel.Shutdown(context.Background())
	took := time.Since(start)
	t.Logf("Init %v, Shutdown %v (%v)", initTook, took, err)
	if took > shutdownTimeout+300*time.Millisecond {
		t.Errorf("Shutdown took %v; want about %v at most", took, shutdownTimeout)
	}
	if st := tel.Stats()[0]; st.SpansDropped != 12 || st.SpansExported != 0 || st.SpansQueued != 0 {
		t.Errorf("stats %+v; want the 12 spans dropped", st)
	}
}

// TestAgentCollector: against a TLS collector at NEW_RELIC_HOST, the agent
// connects with the licence key and app name, and Shutdown's final harvest
// delivers the spans, counted as exported.
func TestAgentCollector(t *testing.T) {
	c := newCollector(t)
	logs := &syncBuffer{}
	s := settings(agentEnv(env{"NEW_RELIC_HOST": c.Host}))
	s.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	b, err := newrelic.AgentFactory(c.Roots).New(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(b.SpanProcessor))
	waitConnected(t, b)
	tree := makeTree(tp)
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	connects := c.Posts("connect")
	if len(connects) != 1 || connects[0].License != key {
		t.Fatalf("connect posts %d; want 1 with the licence key", len(connects))
	}
	var connect []struct {
		AppName  []string `json:"app_name"`
		Language string   `json:"language"`
	}
	if err := json.Unmarshal(connects[0].Body, &connect); err != nil || len(connect) != 1 ||
		strings.Join(connect[0].AppName, ";") != "books" || connect[0].Language != "go" {
		t.Errorf("connect payload %s (%v)", connects[0].Body, err)
	}
	posts := c.Posts("span_event_data")
	if len(posts) != 1 || posts[0].RunID != "run-1" {
		t.Fatalf("span_event_data posts %+v; want 1 in run-1", posts)
	}
	spans := bySpanID(t, events(t, posts[0].Body))
	if len(spans) != 4 || spans[spanID(tree.Client)].str("traceId") != tree.Root.SpanContext().TraceID().String() {
		t.Errorf("span events %s", posts[0].Body)
	}
	for _, m := range []string{"analytic_event_data", "error_event_data", "metric_data"} {
		if len(c.Posts(m)) == 0 {
			t.Errorf("no %s post", m)
		}
	}
	st := b.Stats.Snapshot()
	if st.SpansExported != 4 || st.SpansDropped != 0 || st.SpansQueued != 0 || st.Exports != 1 || st.FailedExports != 0 || st.BytesSent == 0 {
		t.Errorf("stats %+v; want 4 exported in 1 export, bytes counted", st)
	}
	// The agent's debug log names collector URLs; never with the key.
	if l := logs.String(); !strings.Contains(l, "license_key=[REDACTED]") || strings.Contains(l, key[:2]+".."+key[38:]) || strings.Contains(l, key) {
		t.Errorf("the licence key, or part of it, is in the log:\n%s", l)
	}
}

// TestAgentCollectorFailures: spans in a span_event_data post the
// collector refuses are counted as dropped: at once when the agent gives
// them up, at Shutdown when it would have sent them again.
func TestAgentCollectorFailures(t *testing.T) {
	for _, tt := range []struct {
		name string
		code int
	}{
		{"refused for good", http.StatusRequestEntityTooLarge},
		{"kept for the next harvest", http.StatusServiceUnavailable},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newCollector(t)
			c.set("span_event_data", tt.code, false)
			b, tp := agentBackend(t, newrelic.AgentFactory(c.Roots), env{"NEW_RELIC_HOST": c.Host})
			waitConnected(t, b)
			makeTree(tp)
			if err := tp.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			st := b.Stats.Snapshot()
			if st.SpansExported != 0 || st.SpansDropped != 4 || st.SpansQueued != 0 || st.FailedExports != 1 || !strings.Contains(st.LastError, "response code") {
				t.Errorf("stats %+v; want 4 dropped after 1 failed export", st)
			}
		})
	}
}

// TestAgentShutdownDeadline: when the collector takes the final harvest and
// never answers, Shutdown returns at its deadline with an error, and the
// spans count as dropped.
func TestAgentShutdownDeadline(t *testing.T) {
	c := newCollector(t)
	c.set("span_event_data", 0, true)
	b, tp := agentBackend(t, newrelic.AgentFactory(c.Roots), env{"NEW_RELIC_HOST": c.Host})
	waitConnected(t, b)
	makeTree(tp)
	const deadline = 300 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	start := time.Now()
	err := tp.Shutdown(ctx)
	took := time.Since(start)
	t.Logf("Shutdown %v: %v", took, err)
	if err == nil || took > deadline+100*time.Millisecond || took < deadline-50*time.Millisecond {
		t.Errorf("Shutdown took %v and returned %v; want the deadline error after about %v", took, err, deadline)
	}
	if st := b.Stats.Snapshot(); st.SpansDropped != 4 || st.SpansExported != 0 || st.SpansQueued != 0 {
		t.Errorf("stats %+v; want 4 dropped", st)
	}
}

// TestAgentNoMetrics: the agent reports its own metrics; agent mode gives
// the SDK no metric reader.
func TestAgentNoMetrics(t *testing.T) {
	s := settings(agentEnv(env{"NEW_RELIC_HOST": otlptest.Blackhole(t)}))
	s.Metrics = true
	b, err := newrelic.Factory{}.New(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.SpanProcessor.Shutdown(context.Background()) }()
	if b.MetricReader != nil {
		t.Error("agent mode has a metric reader")
	}
	if b.Correlate == nil || b.Correlate(trace.SpanContext{})[0].Key != "trace.id" {
		t.Error("agent mode does not correlate logs on trace.id")
	}
}

func waitConnected(t *testing.T, b *exporters.Backend) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := newrelic.WaitAgentConnected(ctx, b); err != nil {
		t.Fatalf("the agent did not connect: %v", err)
	}
}

// TestAgentAdaptiveSampling: the agent keeps span events only for the
// transactions its adaptive sampler picks (10 a minute from this
// collector's reply, with a burst at first). The spans of the others count
// as dropped; every span is exported or dropped, and the exported ones are
// exactly the span events the collector received.
func TestAgentAdaptiveSampling(t *testing.T) {
	c := newCollector(t)
	b, tp := agentBackend(t, newrelic.AgentFactory(c.Roots), env{"NEW_RELIC_HOST": c.Host})
	waitConnected(t, b)
	const n = 100
	for range n {
		_, s := tp.Tracer("t").Start(context.Background(), "GET /health", trace.WithSpanKind(trace.SpanKindServer))
		s.End()
	}
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	received := 0
	for _, p := range c.Posts("span_event_data") {
		received += len(events(t, p.Body))
	}
	var txns int
	for _, p := range c.Posts("analytic_event_data") {
		txns += len(events(t, p.Body))
	}
	st := b.Stats.Snapshot()
	t.Logf("stats %+v; %d span events received, %d transaction events", st, received, txns)
	if st.SpansExported+st.SpansDropped != n || st.SpansQueued != 0 || st.SpansExported != int64(received) {
		t.Errorf("stats %+v with %d span events received; want %d spans accounted for", st, received, n)
	}
	if st.SpansDropped == 0 || txns != n {
		t.Errorf("%d dropped, %d transaction events; want some spans sampled out and every transaction reported", st.SpansDropped, txns)
	}
}

// TestAgentSegmentKinds: client, database and producer spans become the
// segments New Relic's own instrumentation makes for them. The external
// segment's URL loses its credentials and query, as the agent records URLs;
// the url.full attribute itself is copied as the instrumentation set it.
func TestAgentSegmentKinds(t *testing.T) {
	out := &syncBuffer{}
	_, tp := agentBackend(t, newrelic.AgentServerlessFactory(out), nil)
	tr := tp.Tracer("t")
	ctx, root := tr.Start(context.Background(), "sync books")
	_, httpSpan := tr.Start(ctx, "GET", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String("http.request.method", "GET"),
		attribute.String("url.full", "https://user:secret@api.example:8443/v1/books?page=2"),
		attribute.Int("http.response.status_code", 503),
	))
	httpSpan.SetStatus(codes.Error, "")
	httpSpan.End()
	_, redis := tr.Start(ctx, "GET", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String("db.system.name", "redis"),
		attribute.String("db.operation.name", "GET"),
		attribute.String("server.address", "cache"),
		attribute.Int("server.port", 6379),
	))
	redis.End()
	_, grpc := tr.Start(ctx, "books.Books/Get", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String("rpc.system", "grpc"),
		attribute.String("rpc.service", "books.Books"),
		attribute.String("rpc.method", "Get"),
		attribute.String("server.address", "books-grpc"),
		attribute.Int("server.port", 50051),
	))
	grpc.End()
	_, produce := tr.Start(ctx, "orders publish", trace.WithSpanKind(trace.SpanKindProducer), trace.WithAttributes(
		attribute.String("messaging.system", "kafka"),
		attribute.String("messaging.destination.name", "orders"),
	))
	produce.End()
	root.End()
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := decodeServerless(t, out.String())
	spans := bySpanID(t, events(t, h["span_event_data"]))
	for _, c := range []struct {
		name     string
		span     trace.Span
		nrName   string
		category string
		agent    map[string]any
	}{
		{"http", httpSpan, "External/api.example:8443/http/GET", "http",
			map[string]any{"http.url": "https://api.example:8443/v1/books", "http.method": "GET", "http.statusCode": float64(503), "error.class": "Error"}},
		{"redis", redis, "Datastore/operation/Redis/GET", "datastore",
			map[string]any{"peer.hostname": "cache", "peer.address": "cache:6379"}},
		{"grpc", grpc, "External/books-grpc:50051/grpc/books.Books/Get", "http", nil},
		{"producer", produce, "MessageBroker/kafka/Queue/Produce/Named/orders", "generic", nil},
	} {
		ev := spans[spanID(c.span)]
		if ev.str("name") != c.nrName || ev.str("category") != c.category {
			t.Errorf("%s: name %q category %q; want %q %q", c.name, ev.str("name"), ev.str("category"), c.nrName, c.category)
		}
		for k, v := range c.agent {
			if ev.Agent[k] != v {
				t.Errorf("%s: %s = %v; want %v (agent attributes %v)", c.name, k, ev.Agent[k], v, ev.Agent)
			}
		}
	}
	metrics := metricNames(t, h["metric_data"])
	for _, m := range []string{"External/api.example:8443/all", "External/allOther", "Datastore/Redis/allOther", "OtherTransaction/Go/sync books"} {
		if !metrics[m] {
			t.Errorf("no metric %s in %v", m, metrics)
		}
	}
}
