package datadog_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tinylib/msgp/msgp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/exporters/datadog"
	"github.com/otelswitch/otelswitch/internal/testutil"
)

// capture is an Agent stand-in that keeps every trace payload as decoded
// chunks, and the headers each came with.
type capture struct {
	*httptest.Server
	mu       sync.Mutex
	chunks   [][]map[string]any
	headers  []http.Header
	payloads int
}

func newCapture(t *testing.T, info string) *capture {
	c := &capture{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/info":
			_, _ = io.WriteString(w, info)
		case "/v0.4/traces":
			body, _ := io.ReadAll(r.Body)
			v, _, err := msgp.ReadIntfBytes(body)
			if err != nil {
				t.Errorf("payload: %v", err)
			}
			traces, _ := v.([]any)
			c.mu.Lock()
			c.payloads++
			c.headers = append(c.headers, r.Header.Clone())
			if got := r.Header.Get("X-Datadog-Trace-Count"); got != fmt.Sprint(len(traces)) {
				t.Errorf("X-Datadog-Trace-Count %s for %d traces", got, len(traces))
			}
			for _, tr := range traces {
				var spans []map[string]any
				for _, s := range tr.([]any) {
					spans = append(spans, s.(map[string]any))
				}
				c.chunks = append(c.chunks, spans)
			}
			c.mu.Unlock()
			_, _ = io.WriteString(w, `{"rate_by_service":{"service:,env:":1}}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(c.Close)
	return c
}

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func at(ms int) trace.SpanStartEventOption {
	return trace.WithTimestamp(t0.Add(time.Duration(ms) * time.Millisecond))
}

// diffWorkload records the same spans on every run: every kind, errors
// with exception events, links, events with attributes of every type,
// 128-bit IDs, remote parents (Datadog and W3C), a late child, a child of
// another service, and 20 roots for the sampling decisions.
func diffWorkload(tp trace.TracerProvider) {
	tr := tp.Tracer("diff")
	ctx, root := tr.Start(context.Background(), "GET /books/{id}", trace.WithSpanKind(trace.SpanKindServer), at(0),
		trace.WithAttributes(attribute.String("http.request.method", "GET"), attribute.String("http.route", "/books/{id}"),
			attribute.Int("http.response.status_code", 500), attribute.String("url.full", "http://x/books/1?a=<b>&c"),
			attribute.Bool("cache.hit", false), attribute.Int64("big", 1<<60), attribute.Float64("ratio", 0.25),
			attribute.StringSlice("tags", []string{"a", "b"}), attribute.IntSlice("ns", []int{1, 2}),
			attribute.BoolSlice("bs", []bool{true}), attribute.Float64Slice("fs", []float64{1.5}),
			attribute.Bool("analytics.event", true)))
	ictx, internal := tr.Start(ctx, "load", at(1), trace.WithAttributes(attribute.String("service.name", "loader")))
	_, db := tr.Start(ictx, "SELECT", trace.WithSpanKind(trace.SpanKindClient), at(2),
		trace.WithAttributes(attribute.String("db.system", "postgresql"), attribute.String("db.query.text", "SELECT 1"),
			attribute.String("peer.service", "pg"), attribute.String("db.namespace", "books")))
	db.End(trace.WithTimestamp(t0.Add(3 * time.Millisecond)))
	link := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9}, SpanID: trace.SpanID{7}, TraceFlags: 1})
	_, prod := tr.Start(ictx, "publish", trace.WithSpanKind(trace.SpanKindProducer), at(4),
		trace.WithLinks(trace.Link{SpanContext: link, Attributes: []attribute.KeyValue{attribute.String("why", "batch")}}, trace.Link{SpanContext: link}),
		trace.WithAttributes(attribute.String("messaging.system", "kafka"), attribute.String("messaging.operation", "publish"),
			attribute.String("messaging.destination.name", "orders")))
	prod.AddEvent("sent", trace.WithTimestamp(t0.Add(5*time.Millisecond)), trace.WithAttributes(attribute.Int("n", 3),
		attribute.Bool("ok", true), attribute.Float64("f", 0), attribute.String("s", "x<y"), attribute.StringSlice("ss", []string{"p"}),
		attribute.Int64Slice("is", []int64{0, 4})))
	prod.End(trace.WithTimestamp(t0.Add(6 * time.Millisecond)))
	_, failed := tr.Start(ictx, "render", at(6), trace.WithAttributes(attribute.String("span.type", "template"),
		attribute.String("resource.name", "books.html"), attribute.String("operation.name", "Render.Page")))
	failed.AddEvent("exception", trace.WithTimestamp(t0.Add(7*time.Millisecond)), trace.WithAttributes(
		attribute.String("exception.message", "no such file"), attribute.String("exception.type", "*fs.PathError"),
		attribute.String("exception.stacktrace", "main.render()")))
	failed.SetStatus(codes.Error, "render failed")
	failed.End(trace.WithTimestamp(t0.Add(8 * time.Millisecond)))
	internal.End(trace.WithTimestamp(t0.Add(9 * time.Millisecond)))
	root.SetStatus(codes.Error, "")
	root.End(trace.WithTimestamp(t0.Add(10 * time.Millisecond)))
	_, late := tr.Start(ctx, "late", trace.WithSpanKind(trace.SpanKindConsumer), at(11))
	late.End(trace.WithTimestamp(t0.Add(12 * time.Millisecond)))

	remoteParents(tr)
	for i := range 20 {
		c, r := tr.Start(context.Background(), fmt.Sprintf("job %d", i%3), trace.WithSpanKind(trace.SpanKindServer), at(100+i))
		_, ch := tr.Start(c, "step", trace.WithSpanKind(trace.SpanKindClient), at(100+i), trace.WithAttributes(attribute.String("rpc.system", "grpc"), attribute.String("rpc.method", "Get")))
		ch.End(trace.WithTimestamp(t0.Add(time.Duration(101+i) * time.Millisecond)))
		r.SetAttributes(attribute.String("tier", "gold"))
		r.End(trace.WithTimestamp(t0.Add(time.Duration(102+i) * time.Millisecond)))
	}
}

// remoteParents records server spans under a Datadog and a W3C parent.
func remoteParents(tr trace.Tracer) {
	ctx := datadog.Propagator{}.Extract(context.Background(), propagation.MapCarrier{
		"x-datadog-trace-id": "5142903887914652047", "x-datadog-parent-id": "77",
		"x-datadog-sampling-priority": "2", "x-datadog-origin": "synthetics",
		"x-datadog-tags": "_dd.p.tid=6b0445ae00000000,_dd.p.dm=-4",
	})
	_, s := tr.Start(ctx, "GET /a", trace.WithSpanKind(trace.SpanKindServer), at(50))
	s.End(trace.WithTimestamp(t0.Add(51 * time.Millisecond)))
	ctx = propagation.TraceContext{}.Extract(context.Background(), propagation.MapCarrier{
		"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
	})
	_, s = tr.Start(ctx, "GET /b", trace.WithSpanKind(trace.SpanKindServer), at(52))
	s.End(trace.WithTimestamp(t0.Add(53 * time.Millisecond)))
}

// record runs diffWorkload through a native backend (the mirroring path
// when mirror is set) and returns what the Agent stand-in received.
func record(t *testing.T, mirror bool, env map[string]string, info string) *capture {
	t.Helper()
	datadog.UseMirror(mirror)
	defer datadog.UseMirror(false)
	c := newCapture(t, info)
	env = merge(env, map[string]string{"DD_TRACE_AGENT_URL": c.URL, "DD_ENV": "lab", "DD_TAGS": "team:shelf"})
	s := settings(t, env)
	b, err := datadog.Factory{}.New(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	// A resource attribute that names spans (network.protocol.name names
	// servers and clients without a method) and one that does not.
	res, err := resource.Merge(s.Resource, resource.NewSchemaless(attribute.String("network.protocol.name", "amqp"), attribute.String("host.name", "h1")))
	if err != nil {
		t.Fatal(err)
	}
	opts := []sdktrace.TracerProviderOption{sdktrace.WithSpanProcessor(b.SpanProcessor), sdktrace.WithResource(res), sdktrace.WithIDGenerator(&testutil.SeqIDs{})}
	if b.Sampler != nil {
		opts = append(opts, sdktrace.WithSampler(b.Sampler))
	}
	tp := sdktrace.NewTracerProvider(opts...)
	waitStarted(t, b)
	diffWorkload(tp)
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := b.Stats.Snapshot(); st.SpansDropped != 0 || st.SpansQueued != 0 || st.FailedExports != 0 {
		t.Errorf("mirror=%v: stats %+v", mirror, st)
	}
	return c
}

// TestWireMatchesMirror: the payload native mode encodes itself equals,
// chunk by chunk, span by span and field by field, what it sent when it
// mirrored every span into dd-trace-go, which encoded it; with span events
// as a tag and as a field, with and without the Datadog sampling rules.
func TestWireMatchesMirror(t *testing.T) {
	for name, c := range map[string]struct {
		env  map[string]string
		info string
	}{
		"otel sampling":        {nil, `{"version":"7.70.0","endpoints":["/v0.4/traces"]}`},
		"native events":        {nil, `{"version":"7.70.0","endpoints":["/v0.4/traces"],"span_events":true}`},
		"rules, native events": {map[string]string{"DD_TRACE_SAMPLE_RATE": "0.5"}, `{"version":"7.70.0","endpoints":["/v0.4/traces"],"span_events":true}`},
	} {
		t.Run(name, func(t *testing.T) {
			want, got := record(t, true, c.env, c.info), record(t, false, c.env, c.info)
			w, g := chunksByRoot(t, want), chunksByRoot(t, got)
			spans := 0
			for _, ch := range w {
				spans += len(ch)
			}
			t.Logf("%d chunks, %d spans in %d payloads (mirror), %d (wire)", len(w), spans, want.payloads, got.payloads)
			compareChunks(t, w, g)
			if c.env == nil {
				checkCovered(t, g, strings.Contains(c.info, "span_events"))
			}
			compareHeaders(t, want.headers[0], got.headers[0])
		})
	}
}

// chunksByRoot indexes chunks by their first span's ID, each chunk's spans
// normalised (numbers as text, runtime-id checked and blanked).
func chunksByRoot(t *testing.T, c *capture) map[string][]map[string]any {
	out := map[string][]map[string]any{}
	for _, ch := range c.chunks {
		norm := make([]map[string]any, len(ch))
		for i, s := range ch {
			norm[i] = normalizeWire(t, s).(map[string]any)
		}
		out[fmt.Sprint(norm[0]["span_id"])] = norm
	}
	return out
}

func normalizeWire(t *testing.T, v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = normalizeWire(t, e)
			if k == "runtime-id" {
				if s, _ := e.(string); len(s) != 36 || strings.Count(s, "-") != 4 {
					t.Errorf("runtime-id %q is not a UUID", s)
				}
				m[k] = "<uuid>"
			}
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalizeWire(t, e)
		}
		return out
	case int64, uint64, int32, uint32, int, int8, int16, uint8, uint16, float32, float64:
		return fmt.Sprint(x)
	}
	return v
}

func compareChunks(t *testing.T, want, got map[string][]map[string]any) {
	t.Helper()
	if len(want) == 0 {
		t.Fatal("the mirroring path sent nothing")
	}
	for id, w := range want {
		g, ok := got[id]
		if !ok {
			t.Errorf("chunk %s (%s): not sent by the wire path", id, w[0]["resource"])
			continue
		}
		if len(g) != len(w) {
			t.Errorf("chunk %s: %d spans; want %d", id, len(g), len(w))
			continue
		}
		for i := range w {
			if !reflect.DeepEqual(w[i], g[i]) {
				t.Errorf("chunk %s span %d (%s):\n%s", id, i, w[i]["resource"], diffFields(w[i], g[i]))
			}
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("chunk %s: sent by the wire path only", id)
		}
	}
}

// diffFields lists the fields, and meta and metrics keys, that differ.
func diffFields(want, got map[string]any) string {
	var lines []string
	keys := map[string]bool{}
	for k := range want {
		keys[k] = true
	}
	for k := range got {
		keys[k] = true
	}
	for k := range keys {
		w, g := want[k], got[k]
		wm, ok1 := w.(map[string]any)
		gm, ok2 := g.(map[string]any)
		if ok1 && ok2 {
			for kk := range merge(toStrings(wm), toStrings(gm)) {
				if !reflect.DeepEqual(wm[kk], gm[kk]) {
					lines = append(lines, fmt.Sprintf("  %s[%s]: want %v, got %v", k, kk, wm[kk], gm[kk]))
				}
			}
			continue
		}
		if !reflect.DeepEqual(w, g) {
			lines = append(lines, fmt.Sprintf("  %s: want %v, got %v", k, w, g))
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func toStrings(m map[string]any) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = fmt.Sprint(v)
	}
	return out
}

func compareHeaders(t *testing.T, want, got http.Header) {
	t.Helper()
	for _, h := range []string{"Content-Type", "Datadog-Meta-Lang", "Datadog-Meta-Lang-Version", "Datadog-Meta-Lang-Interpreter",
		"Datadog-Meta-Tracer-Version", "Datadog-Client-Computed-Top-Level", "Datadog-Client-Computed-Stats", "Datadog-Container-Id"} {
		if want.Get(h) != got.Get(h) {
			t.Errorf("header %s: %q; want %q", h, got.Get(h), want.Get(h))
		}
	}
}

// checkCovered fails when the workload no longer reaches what the
// comparison is for: links, events (as a tag or a field), 128-bit IDs,
// remote parents' origin and decision maker, and a second service.
func checkCovered(t *testing.T, chunks map[string][]map[string]any, nativeEvents bool) {
	t.Helper()
	seen := map[string]bool{}
	for _, ch := range chunks {
		for _, s := range ch {
			meta, _ := s["meta"].(map[string]any)
			for _, k := range []string{"_dd.span_links", "events", "_dd.p.tid", "_dd.origin", "_dd.p.dm", "_dd.base_service", "_dd.svc_src", "_dd.peer.service.source"} {
				if _, ok := meta[k]; ok {
					seen[k] = true
				}
			}
			for _, k := range []string{"span_links", "span_events"} {
				if _, ok := s[k]; ok {
					seen[k] = true
				}
			}
		}
	}
	events := "events"
	if nativeEvents {
		events = "span_events"
	}
	for _, k := range []string{"_dd.span_links", "span_links", events, "_dd.p.tid", "_dd.origin", "_dd.p.dm", "_dd.base_service", "_dd.svc_src", "_dd.peer.service.source"} {
		if !seen[k] {
			t.Errorf("no span carries %s: the workload does not cover it", k)
		}
	}
}

// TestWireQueueIsBounded: with the Agent slow to answer, the sender holds
// at most OTEL_BSP_MAX_QUEUE_SIZE spans; the chunks beyond are dropped and
// counted at once (OnEnd never waits), and every span ends up exported or
// dropped.
func TestWireQueueIsBounded(t *testing.T) {
	release := make(chan struct{})
	var posts sync.WaitGroup
	agent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v0.4/traces" {
			posts.Add(1)
			defer posts.Done()
			_, _ = io.Copy(io.Discard, r.Body)
			<-release
		}
		_, _ = io.WriteString(w, `{}`)
	}))
	defer agent.Close()
	s := settings(t, map[string]string{"DD_TRACE_AGENT_URL": agent.URL})
	s.Batch.MaxQueue, s.Batch.MaxExport = 8, 4
	b, err := datadog.Factory{}.New(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(b.SpanProcessor))
	waitStarted(t, b)
	start := time.Now()
	for range 100 {
		_, sp := tp.Tracer("t").Start(context.Background(), "op")
		sp.End()
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("ending 100 spans took %v against a stuck Agent", took)
	}
	st := b.Stats.Snapshot()
	if st.SpansDropped == 0 || st.SpansQueued > 8 {
		t.Errorf("stats %+v; want drops and at most 8 spans held", st)
	}
	close(release)
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	posts.Wait()
	if st := b.Stats.Snapshot(); st.SpansExported+st.SpansDropped != 100 || st.SpansQueued != 0 || st.SpansExported == 0 {
		t.Errorf("after shutdown: %+v; want all 100 exported or dropped, some exported", st)
	}
}
