package datadog_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/exporters/datadog"
	"github.com/otelswitch/otelswitch/internal/lab"
)

// check is one expectation on a received span.
type check struct {
	what      string
	got, want any
}

func verify(t *testing.T, span string, checks []check) {
	t.Helper()
	for _, c := range checks {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("%s: %s = %#v; want %#v", span, c.what, c.got, c.want)
		}
	}
}

// sameTree checks that received spans carry the OTel span tree: trace ID,
// span IDs, parents and timings.
func sameTree(t *testing.T, got map[string]lab.Span, tree spanTree) {
	t.Helper()
	for name, c := range map[string]struct {
		span   trace.Span
		parent string
	}{
		"root": {tree.RootSpan, ""}, "internal": {tree.InternalSpan, tree.Root},
		"client": {tree.ClientSpan, tree.Internal}, "failed": {tree.FailedSpan, tree.Internal},
	} {
		ro := c.span.(sdktrace.ReadOnlySpan)
		s, ok := got[ro.SpanContext().SpanID().String()]
		if !ok {
			t.Errorf("%s: span %s not received", name, ro.SpanContext().SpanID())
			continue
		}
		verify(t, name, []check{
			{"trace ID", s.TraceID, tree.TraceID},
			{"parent", s.ParentSpanID, c.parent},
			{"start", s.Start.UnixNano(), ro.StartTime().UnixNano()},
			{"end", s.End.UnixNano(), ro.EndTime().UnixNano()},
		})
	}
}

// TestLabNative sends the span tree in native mode to the lab collector's
// Datadog receiver, a Datadog Agent trace intake, and checks the fields
// Datadog shows. The receiver maps Datadog's span onto OTel: the operation
// name becomes the span name, the resource dd.span.Resource, the
// service resource attribute service.name.
func TestLabNative(t *testing.T) {
	l := lab.ForTest(t)
	b, tp := nativeBackend(t, map[string]string{
		"DD_TRACE_AGENT_URL": "http://" + l.DatadogAgent,
		"DD_ENV":             "lab",
		"DD_TAGS":            "team:shelf",
	})
	waitStarted(t, b)
	tree := makeTree(tp)
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans, err := l.WaitForSpans(context.Background(), lab.SourceDatadog, 4, func(s lab.Span) bool { return s.TraceID == tree.TraceID })
	if err != nil {
		t.Fatal(err)
	}
	got := byID(spans, tree.TraceID)
	defer func() {
		if t.Failed() {
			for _, s := range spans {
				t.Log(s)
			}
		}
	}()
	sameTree(t, got, tree)

	root, internal, client, failed := got[tree.Root], got[tree.Internal], got[tree.Client], got[tree.Failed]
	for _, s := range []struct {
		name string
		span lab.Span
	}{{"root", root}, {"internal", internal}, {"client", client}, {"failed", failed}} {
		verify(t, s.name, []check{
			{"service", s.span.Resource["service.name"], "books"},
			{"version", s.span.Resource["service.version"], "1.2.3"},
			{"env", s.span.Attributes["deployment.environment.name"], "lab"},
			{"DD_TAGS", s.span.Attributes["team"], "shelf"},
			{"sampling priority", s.span.Attributes["_sampling_priority_v1"], 1},
		})
	}
	verify(t, "root", []check{
		{"operation name", root.Name, "http.server.request"},
		{"resource", root.Attributes["dd.span.Resource"], "GET /books/{id}"},
		{"span.kind", root.Kind, trace.SpanKindServer},
		{"HTTP status", root.Attributes["http.response.status_code"], "500"},
		{"status", root.Status, codes.Error},
		{"error.message (none: an integer status code, as the Agent)", root.Attributes["error.message"], nil},
		{"top level", root.Attributes["_dd.top_level"], 1},
		{"upper 64 bits", root.Attributes["_dd.p.tid"], tree.TraceID[:16]},
	})
	verify(t, "internal", []check{
		{"operation name", internal.Name, "Internal"},
		{"resource", internal.Attributes["dd.span.Resource"], "load book"},
		{"span.kind", internal.Kind, trace.SpanKindInternal},
		{"status", internal.Status, codes.Ok},
		{"top level", internal.Attributes["_dd.top_level"], nil},
	})
	verify(t, "client", []check{
		{"operation name", client.Name, "sqlite.query"},
		{"resource", client.Attributes["dd.span.Resource"], "SELECT * FROM books WHERE id = ?"},
		{"span.kind", client.Kind, trace.SpanKindClient},
		{"top level", client.Attributes["_dd.top_level"], nil},
	})
	verify(t, "failed", []check{
		{"operation name", failed.Name, "Internal"},
		{"resource", failed.Attributes["dd.span.Resource"], "render book"},
		{"status", failed.Status, codes.Error},
		{"error.message", failed.Attributes["error.message"], errRender.Error()},
		{"error.type", failed.Attributes["error.type"], "*errors.errorString"},
		{"top level", failed.Attributes["_dd.top_level"], nil},
	})
	if stack, _ := failed.Attributes["error.stack"].(string); !strings.Contains(stack, "makeTree") {
		t.Errorf("failed: error.stack = %.80q; want the stack recorded with the exception", stack)
	}
	if st := b.Stats.Snapshot(); st.SpansExported != 4 || st.SpansDropped != 0 || st.SpansQueued != 0 {
		t.Errorf("stats %+v; want 4 exported", st)
	}
}

// TestLabOTLP sends the span tree in otlp mode to the lab collector's OTLP
// receiver, standing in for the Agent's OTLP ingest: the spans keep the OTel
// tree, carry what the Agent maps Datadog's fields from, and the resource
// follows DD_SERVICE, DD_ENV and DD_VERSION.
func TestLabOTLP(t *testing.T) {
	l := lab.ForTest(t)
	s := settings(t, map[string]string{
		"DATADOG_MODE":          "otlp",
		"DATADOG_OTLP_ENDPOINT": "http://" + l.CollectorOTLPGRPC,
		"DD_SERVICE":            "books-dd",
		"DD_ENV":                "lab",
		"DD_VERSION":            "9.9.9",
		"DD_TAGS":               "team:shelf",
	})
	b, err := datadog.Factory{}.New(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(b.SpanProcessor), sdktrace.WithResource(s.Resource))
	tree := makeTree(tp)
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans, err := l.WaitForSpans(context.Background(), lab.SourceOTLP, 4, func(s lab.Span) bool { return s.TraceID == tree.TraceID })
	if err != nil {
		t.Fatal(err)
	}
	got := byID(spans, tree.TraceID)
	sameTree(t, got, tree)
	for id, s := range got {
		verify(t, id, []check{
			{"service.name", s.Resource["service.name"], "books-dd"},
			{"deployment.environment.name", s.Resource["deployment.environment.name"], "lab"},
			{"deployment.environment", s.Resource["deployment.environment"], "lab"},
			{"service.version", s.Resource["service.version"], "9.9.9"},
			{"DD_TAGS", s.Resource["team"], "shelf"},
		})
	}
	root, failed := got[tree.Root], got[tree.Failed]
	verify(t, "root", []check{
		{"name", root.Name, "GET /books/{id}"},
		{"kind", root.Kind, trace.SpanKindServer},
		{"http.route", root.Attributes["http.route"], "/books/{id}"},
		{"http.request.method", root.Attributes["http.request.method"], "GET"},
		{"http.response.status_code", root.Attributes["http.response.status_code"], 500},
		{"status", root.Status, codes.Error},
	})
	if len(failed.Events) != 1 || failed.Events[0].Name != "exception" || failed.Events[0].Attributes["exception.message"] != errRender.Error() {
		t.Errorf("failed span events %+v; want its exception event", failed.Events)
	}
	if st := b.Stats.Snapshot(); st.SpansExported != 4 || st.SpansDropped != 0 {
		t.Errorf("stats %+v; want 4 exported", st)
	}
}
