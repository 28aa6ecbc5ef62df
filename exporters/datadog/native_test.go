package datadog_test

import (
	"context"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/exporters/datadog"
	"github.com/otelswitch/otelswitch/internal/otlptest"
)

// Native-mode tests share dd-trace-go's process-wide tracer: none of them
// runs in parallel.

// nativeBackend builds the datadog backend for env and a provider over it,
// and shuts both down at the end of the test.
func nativeBackend(t *testing.T, env map[string]string, opts ...sdktrace.TracerProviderOption) (*exporters.Backend, *sdktrace.TracerProvider) {
	t.Helper()
	s := settings(t, env)
	b, err := datadog.Factory{}.New(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(append([]sdktrace.TracerProviderOption{
		sdktrace.WithSpanProcessor(b.SpanProcessor), sdktrace.WithResource(s.Resource),
	}, opts...)...)
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return b, tp
}

func waitStarted(t *testing.T, b *exporters.Backend) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := datadog.WaitStarted(ctx, b); err != nil {
		t.Fatal(err)
	}
}

func u64(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

func spanIDOf(s trace.Span) uint64 { sid := s.SpanContext().SpanID(); return u64(sid[:]) }

func ddByID(spans []ddSpan) map[uint64]ddSpan {
	m := map[uint64]ddSpan{}
	for _, s := range spans {
		m[s.SpanID] = s
	}
	return m
}

// TestNativeMapping checks, on the payload dd-trace-go sends, that the
// mirrored spans carry the OTel IDs and timings and Datadog's names.
func TestNativeMapping(t *testing.T) {
	agent := newTestAgent(t, false)
	b, tp := nativeBackend(t, map[string]string{
		"DD_TRACE_AGENT_URL": agent.URL, "DD_ENV": "lab", "DD_TAGS": "team:shelf",
	})
	waitStarted(t, b)
	tree := makeTree(tp)
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := ddByID(agent.Spans())
	if len(got) != 4 {
		t.Fatalf("the agent got %d spans; want 4: %+v", len(got), agent.Spans())
	}
	tid := tree.RootSpan.SpanContext().TraceID()
	root, internal := got[spanIDOf(tree.RootSpan)], got[spanIDOf(tree.InternalSpan)]
	client, failed := got[spanIDOf(tree.ClientSpan)], got[spanIDOf(tree.FailedSpan)]

	for _, c := range []struct {
		name   string
		dd     ddSpan
		otel   trace.Span
		parent trace.Span
		op     string
		res    string
		typ    string
		kind   string
		top    bool
		err    bool
	}{
		{"root", root, tree.RootSpan, nil, "http.server.request", "GET /books/{id}", "web", "server", true, true},
		{"internal", internal, tree.InternalSpan, tree.RootSpan, "Internal", "load book", "custom", "internal", false, false},
		{"client", client, tree.ClientSpan, tree.InternalSpan, "sqlite.query", "SELECT * FROM books WHERE id = ?", "sql", "client", false, false},
		{"failed", failed, tree.FailedSpan, tree.InternalSpan, "Internal", "render book", "custom", "internal", false, true},
	} {
		ro := c.otel.(sdktrace.ReadOnlySpan)
		var parent uint64
		if c.parent != nil {
			parent = spanIDOf(c.parent)
		}
		if c.dd.TraceID != u64(tid[8:]) || c.dd.ParentID != parent {
			t.Errorf("%s: trace %d parent %d; want %d %d", c.name, c.dd.TraceID, c.dd.ParentID, u64(tid[8:]), parent)
		}
		if c.dd.Start != ro.StartTime().UnixNano() || c.dd.Duration != ro.EndTime().Sub(ro.StartTime()).Nanoseconds() {
			t.Errorf("%s: start %d duration %d; want %d %d", c.name, c.dd.Start, c.dd.Duration, ro.StartTime().UnixNano(), ro.EndTime().Sub(ro.StartTime()).Nanoseconds())
		}
		if c.dd.Name != c.op || c.dd.Resource != c.res || c.dd.Type != c.typ || c.dd.Meta["span.kind"] != c.kind {
			t.Errorf("%s: name %q resource %q type %q kind %q; want %q %q %q %q", c.name, c.dd.Name, c.dd.Resource, c.dd.Type, c.dd.Meta["span.kind"], c.op, c.res, c.typ, c.kind)
		}
		if c.dd.Service != "books" || c.dd.Meta["env"] != "lab" || c.dd.Meta["version"] != "1.2.3" || c.dd.Meta["team"] != "shelf" {
			t.Errorf("%s: service %q env %q version %q team %q; want books lab 1.2.3 shelf", c.name, c.dd.Service, c.dd.Meta["env"], c.dd.Meta["version"], c.dd.Meta["team"])
		}
		if top := c.dd.Metrics["_dd.top_level"] == 1; top != c.top {
			t.Errorf("%s: top level %v; want %v", c.name, top, c.top)
		}
		if c.dd.Metrics["_sampling_priority_v1"] != 1 {
			t.Errorf("%s: sampling priority %v; want 1", c.name, c.dd.Metrics["_sampling_priority_v1"])
		}
		if (c.dd.Error == 1) != c.err {
			t.Errorf("%s: error %d; want %v", c.name, c.dd.Error, c.err)
		}
	}
	// The trace's first span carries the upper 64 bits of the trace ID.
	if hi := root.Meta["_dd.p.tid"]; hi != tid.String()[:16] {
		t.Errorf("_dd.p.tid = %q; want %s", hi, tid.String()[:16])
	}
	if root.Meta["http.status_code"] != "500" || root.Meta["http.route"] != "/books/{id}" || root.Meta["error.message"] != "" {
		t.Errorf("root meta %v", root.Meta)
	}
	if failed.Meta["error.message"] != errRender.Error() || failed.Meta["error.type"] != "*errors.errorString" ||
		!contains(failed.Meta["error.stack"], "makeTree") {
		t.Errorf("failed span error fields: message %q type %q stack %.80q", failed.Meta["error.message"], failed.Meta["error.type"], failed.Meta["error.stack"])
	}
	if client.Meta["db.system"] != "sqlite" || internal.Metrics["book.id"] != 42 {
		t.Errorf("attributes: db.system %q book.id %v", client.Meta["db.system"], internal.Metrics["book.id"])
	}

	st := b.Stats.Snapshot()
	if st.SpansExported != 4 || st.SpansDropped != 0 || st.SpansQueued != 0 || st.Exports < 1 || st.FailedExports != 0 || st.BytesSent == 0 {
		t.Errorf("stats %+v; want 4 exported, none dropped or queued, bytes counted", st)
	}
}

func contains(s, sub string) bool {
	return len(sub) == 0 || (len(s) >= len(sub) && indexOf(s, sub) >= 0)
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// TestNativeRemoteParent: a server span under an extracted Datadog context
// keeps the upstream trace, parent, priority and origin, and starts a local
// trace, so dd-trace-go marks it top-level.
func TestNativeRemoteParent(t *testing.T) {
	agent := newTestAgent(t, false)
	b, tp := nativeBackend(t, map[string]string{"DD_TRACE_AGENT_URL": agent.URL})
	waitStarted(t, b)
	ctx := datadog.Propagator{}.Extract(context.Background(), propagation.MapCarrier{
		"x-datadog-trace-id": "5142903887914652047", "x-datadog-parent-id": "77",
		"x-datadog-sampling-priority": "2", "x-datadog-origin": "synthetics",
		"x-datadog-tags": "_dd.p.tid=6b0445ae00000000,_dd.p.dm=-4",
	})
	_, srv := tp.Tracer("t").Start(ctx, "GET /books", trace.WithSpanKind(trace.SpanKindServer))
	srv.End()
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := ddByID(agent.Spans())[spanIDOf(srv)]
	if got.TraceID != 5142903887914652047 || got.ParentID != 77 || got.Meta["_dd.p.tid"] != "6b0445ae00000000" {
		t.Errorf("trace %d parent %d tid %q; want the upstream's", got.TraceID, got.ParentID, got.Meta["_dd.p.tid"])
	}
	if got.Metrics["_sampling_priority_v1"] != 2 || got.Meta["_dd.origin"] != "synthetics" || got.Meta["_dd.p.dm"] != "-4" || got.Metrics["_dd.top_level"] != 1 {
		t.Errorf("priority %v origin %q dm %q top %v; want 2 synthetics -4 1", got.Metrics["_sampling_priority_v1"], got.Meta["_dd.origin"], got.Meta["_dd.p.dm"], got.Metrics["_dd.top_level"])
	}
}

// TestNativeLateChild: a child that starts after its parent ended, while
// the local trace is still open, joins it as in dd-trace-go.
func TestNativeLateChild(t *testing.T) {
	agent := newTestAgent(t, false)
	b, tp := nativeBackend(t, map[string]string{"DD_TRACE_AGENT_URL": agent.URL})
	waitStarted(t, b)
	tr := tp.Tracer("t")
	ctx, root := tr.Start(context.Background(), "job", trace.WithSpanKind(trace.SpanKindServer))
	_, a := tr.Start(ctx, "a")
	root.End()
	_, late := tr.Start(ctx, "late")
	late.End()
	a.End()
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := ddByID(agent.Spans())
	if len(got) != 3 {
		t.Fatalf("got %d spans; want 3", len(got))
	}
	if l := got[spanIDOf(late)]; l.ParentID != spanIDOf(root) || l.Metrics["_dd.top_level"] == 1 {
		t.Errorf("late child: parent %d top %v; want %d and not top-level", l.ParentID, l.Metrics["_dd.top_level"], spanIDOf(root))
	}
}

// TestNativeReplaysSpansEndedBeforeStart: spans that end while dd-trace-go
// is still starting (here the Agent's /info is held) are sent once it has.
func TestNativeReplaysSpansEndedBeforeStart(t *testing.T) {
	agent := newTestAgent(t, true)
	b, tp := nativeBackend(t, map[string]string{"DD_TRACE_AGENT_URL": agent.URL})
	tree := makeTree(tp)
	if st := b.Stats.Snapshot(); st.SpansQueued != 4 {
		t.Errorf("before the agent answers: %+v; want 4 queued", st)
	}
	close(agent.release)
	waitStarted(t, b)
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := ddByID(agent.Spans())
	for name, c := range map[string]struct{ span, parent trace.Span }{
		"root": {tree.RootSpan, nil}, "internal": {tree.InternalSpan, tree.RootSpan},
		"client": {tree.ClientSpan, tree.InternalSpan}, "failed": {tree.FailedSpan, tree.InternalSpan},
	} {
		s, ok := got[spanIDOf(c.span)]
		var parent uint64
		if c.parent != nil {
			parent = spanIDOf(c.parent)
		}
		if !ok || s.ParentID != parent {
			t.Errorf("%s: received %v, parent %d; want parent %d", name, ok, s.ParentID, parent)
		}
	}
	if root := got[spanIDOf(tree.RootSpan)]; root.Metrics["_dd.top_level"] != 1 || got[spanIDOf(tree.ClientSpan)].Metrics["_dd.top_level"] == 1 {
		t.Error("replayed spans: top-level marks differ from a live trace's")
	}
	if st := b.Stats.Snapshot(); st.SpansExported != 4 || st.SpansDropped != 0 || st.SpansQueued != 0 {
		t.Errorf("stats %+v; want 4 exported", st)
	}
}

func TestNativeForceFlush(t *testing.T) {
	agent := newTestAgent(t, false)
	b, tp := nativeBackend(t, map[string]string{"DD_TRACE_AGENT_URL": agent.URL})
	waitStarted(t, b)
	makeTree(tp)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := tp.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	// dd-trace-go flushes every 2 s on its own; ForceFlush must not wait for that.
	if n := len(agent.Spans()); n != 4 || time.Since(start) > time.Second {
		t.Errorf("after ForceFlush (%v) the agent has %d spans; want 4 at once", time.Since(start), n)
	}
}

func TestNativeSkipsUnsampledSpans(t *testing.T) {
	agent := newTestAgent(t, false)
	b, tp := nativeBackend(t, map[string]string{"DD_TRACE_AGENT_URL": agent.URL}, sdktrace.WithSampler(sdktrace.NeverSample()))
	waitStarted(t, b)
	makeTree(tp)
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n, st := len(agent.Spans()), b.Stats.Snapshot(); n != 0 || st.SpansExported+st.SpansDropped+st.SpansQueued != 0 {
		t.Errorf("unsampled: the agent got %d spans, stats %+v; want nothing", n, st)
	}
}

func TestNativeIsExclusive(t *testing.T) {
	agent := newTestAgent(t, false)
	s := settings(t, map[string]string{"DD_TRACE_AGENT_URL": agent.URL})
	first, err := datadog.Factory{}.New(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (datadog.Factory{}).New(context.Background(), s); !errors.Is(err, datadog.ErrTracerInUse) {
		t.Errorf("second native backend: %v; want ErrTracerInUse", err)
	}
	// OTLP mode does not use dd-trace-go.
	otlpMode := settings(t, map[string]string{"DATADOG_MODE": "otlp"})
	if b, err := (datadog.Factory{}).New(context.Background(), otlpMode); err != nil {
		t.Errorf("otlp mode beside native mode: %v", err)
	} else {
		_ = b.SpanProcessor.Shutdown(context.Background())
	}
	if err := first.SpanProcessor.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	again, err := datadog.Factory{}.New(context.Background(), s)
	if err != nil {
		t.Fatalf("after Shutdown: %v", err)
	}
	_ = again.SpanProcessor.Shutdown(context.Background())
}

// TestNativeAgainstAHungAgent: New returns at once and Shutdown at its
// deadline, though dd-trace-go's own Start and Stop each wait for seconds
// on an Agent that accepts connections and never answers; every span is
// counted as dropped.
func TestNativeAgainstAHungAgent(t *testing.T) {
	agent, gaveUp := otlptest.BlackholeGiveUps(t)
	s := settings(t, map[string]string{"DD_TRACE_AGENT_URL": "http://" + agent})
	s.ExportTimeout = 10 * time.Second
	b, err := datadog.Factory{}.New(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	// dd-trace-go's Start gives up on the Agent's /info after 500ms; had
	// New waited for it, that connection would be closed by now.
	if n := gaveUp(); n != 0 {
		t.Errorf("New returned after dd-trace-go gave up on the Agent (%d connections closed): it waited", n)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(b.SpanProcessor))
	makeTree(tp) // before dd-trace-go has started
	waitStarted(t, b)
	if gaveUp() == 0 {
		t.Error("dd-trace-go has started, yet no connection to the hung Agent was given up: the check above proves nothing")
	}
	makeTree(tp) // after: handed to dd-trace-go, whose send hangs

	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = tp.Shutdown(ctx)
	if took := time.Since(start); took > 700*time.Millisecond || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown: %v after %v; want the deadline's error after about 500ms", err, took)
	}
	if st := b.Stats.Snapshot(); st.SpansDropped != 8 || st.SpansExported != 0 || st.SpansQueued != 0 {
		t.Errorf("stats %+v; want all 8 spans dropped", st)
	}
}

// The names come from the resource too when the span lacks the attribute,
// as the Agent's OTLP mapping reads span then resource attributes: a
// database client whose db.system is set once on the resource is named
// as a database span, and a span's own attribute still wins.
func TestNativeNamesFromTheResource(t *testing.T) {
	agent := newTestAgent(t, false)
	b, tp := nativeBackend(t, map[string]string{"DD_TRACE_AGENT_URL": agent.URL},
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("db.system", "postgresql"))))
	waitStarted(t, b)
	tr := tp.Tracer("t")
	_, fromResource := tr.Start(context.Background(), "load books", trace.WithSpanKind(trace.SpanKindClient))
	fromResource.End()
	_, own := tr.Start(context.Background(), "load shelves", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("db.system", "mysql")))
	own.End()
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := ddByID(agent.Spans())
	for _, c := range []struct {
		span     trace.Span
		op, typ  string
		resource string
	}{
		{fromResource, "postgresql.query", "sql", "load books"},
		{own, "mysql.query", "sql", "load shelves"},
	} {
		dd, ok := got[spanIDOf(c.span)]
		if !ok {
			t.Fatalf("the agent has no span %x: %+v", spanIDOf(c.span), agent.Spans())
		}
		if dd.Name != c.op || dd.Type != c.typ || dd.Resource != c.resource {
			t.Errorf("got name %q type %q resource %q; want %q %q %q", dd.Name, dd.Type, dd.Resource, c.op, c.typ, c.resource)
		}
	}
}
