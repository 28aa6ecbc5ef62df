package datadog_test

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/otelswitch/otelswitch/exporters/datadog"
	"github.com/otelswitch/otelswitch/internal/lab"
)

// intakeLab starts the lab with the collector's datadog exporter sending
// to a Datadog intake in the test: what Datadog's backend would receive
// after datadog-agent's own trace-agent code has mapped the spans.
func intakeLab(t *testing.T) (*lab.Lab, *lab.DatadogIntake) {
	t.Helper()
	in, err := lab.NewDatadogIntake()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = in.Close() })
	return lab.ForTest(t, lab.WithDatadogExporter(in.URL)), in
}

// intakeSpans waits for the n spans of traceID (hex, 32 digits) at the
// intake and indexes them by span ID in hex.
func intakeSpans(t *testing.T, in *lab.DatadogIntake, traceID string, n int) map[string]lab.DatadogSpan {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	spans, err := in.WaitForSpans(ctx, n, func(s lab.DatadogSpan) bool { return s.TraceIDHex() == traceID || lowerHex(s) == traceID[16:] })
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]lab.DatadogSpan{}
	for _, s := range spans {
		m[fmt.Sprintf("%016x", s.SpanID)] = s
	}
	return m
}

// lowerHex is the lower 64 bits of the span's trace ID: the Agent's OTLP
// ingest sends the upper ones only in otel.trace_id.
func lowerHex(s lab.DatadogSpan) string { return fmt.Sprintf("%016x", s.TraceID) }

// TestLabThroughDatadogExporter proves both modes through Datadog's own
// code: datadog otlp mode (otelswitch -> the collector's OTLP receiver ->
// the contrib datadog exporter, i.e. datadog-agent's trace-agent OTLP
// mapping) and native mode's receiver path (dd-trace-go -> the collector's
// Datadog receiver -> the same exporter). The intake decodes what Datadog's
// backend would receive and the test checks service, env, version,
// resource, operation name, span type, top-level flag, error fields, and
// the APM stats the exporter computed.
func TestLabThroughDatadogExporter(t *testing.T) {
	l, in := intakeLab(t)
	common := map[string]string{"DD_ENV": "lab", "DD_VERSION": "9.9.9", "DD_TAGS": "team:shelf"}
	trees := map[string]spanTree{}

	otlpEnv := map[string]string{"DATADOG_MODE": "otlp", "DATADOG_OTLP_ENDPOINT": "http://" + l.CollectorOTLPGRPC, "DD_SERVICE": "books-otlp"}
	s := settings(t, merge(common, otlpEnv))
	b, err := datadog.Factory{}.New(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(b.SpanProcessor), sdktrace.WithResource(s.Resource))
	trees["books-otlp"] = makeTree(tp)
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	nb, ntp := nativeBackend(t, merge(common, map[string]string{"DD_TRACE_AGENT_URL": "http://" + l.DatadogAgent, "DD_SERVICE": "books-native"}))
	waitStarted(t, nb)
	trees["books-native"] = makeTree(ntp)
	if err := ntp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	for service, tree := range trees {
		t.Run(service, func(t *testing.T) {
			got := intakeSpans(t, in, tree.TraceID, 4)
			defer func() {
				if t.Failed() {
					for _, s := range got {
						t.Logf("%s env=%s version=%s %v", s.TraceIDHex(), s.Env, s.AppVersion, s.Span)
					}
				}
			}()
			checkIntakeTree(t, service, got, tree)
		})
	}
	t.Run("APM stats", func(t *testing.T) {
		for service := range trees {
			checkIntakeStats(t, in, service)
		}
	})
	if keys := in.APIKeys(); len(keys) != 1 || keys[0] != "0123456789abcdef0123456789abcdef" {
		t.Errorf("DD-API-KEY headers %q; want the configured placeholder", keys)
	}
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// checkIntakeTree checks the four spans of makeTree as Datadog received them.
func checkIntakeTree(t *testing.T, service string, got map[string]lab.DatadogSpan, tree spanTree) {
	t.Helper()
	for _, id := range []string{tree.Root, tree.Internal, tree.Client, tree.Failed} {
		s, ok := got[id]
		if !ok {
			t.Fatalf("span %s not received", id)
		}
		verify(t, id, []check{
			{"service", s.Service, service},
			{"payload env", s.Env, "lab"},
			{"env tag", s.Meta["env"], "lab"},
			{"payload version", s.AppVersion, "9.9.9"},
			{"version tag", s.Meta["version"], "9.9.9"},
			{"DD_TAGS", s.Meta["team"], "shelf"},
			{"span.kind", s.Meta["span.kind"] != "", true},
		})
	}
	root, internal, client, failed := got[tree.Root], got[tree.Internal], got[tree.Client], got[tree.Failed]
	verify(t, "root", []check{
		{"operation name", root.Name, "http.server.request"},
		{"resource", root.Resource, "GET /books/{id}"},
		{"type", root.Type, "web"},
		{"top level", root.Metrics["_top_level"], 1},
		{"error", root.Error, 1},
		{"http.status_code", statusCode(root), "500"},
		{"parent", root.ParentID, 0},
	})
	if service == "books-otlp" {
		// An integer status code and no description give no message. (The
		// receiver turns dd-trace-go's http.status_code into a string
		// attribute, which the exporter then falls back to: "500".)
		verify(t, "root", []check{{"error message", errorMessage(root), ""}})
	}
	verify(t, "internal", []check{
		{"operation name", internal.Name, "Internal"},
		{"resource", internal.Resource, "load book"},
		{"type", internal.Type, "custom"},
		{"top level", internal.Metrics["_top_level"], 0},
		{"error", internal.Error, 0},
	})
	verify(t, "client", []check{
		{"operation name", client.Name, "sqlite.query"},
		{"resource", client.Resource, "SELECT * FROM books WHERE id = ?"},
		{"type", client.Type, "sql"},
		{"top level", client.Metrics["_top_level"], 0},
	})
	verify(t, "failed", []check{
		{"operation name", failed.Name, "Internal"},
		{"resource", failed.Resource, "render book"},
		{"error", failed.Error, 1},
		{"error message", errorMessage(failed), errRender.Error()},
		{"error.type", failed.Meta["error.type"], "*errors.errorString"},
	})
	if !strings.Contains(failed.Meta["error.stack"], "makeTree") {
		t.Errorf("failed: error.stack = %.80q; want the recorded stack", failed.Meta["error.stack"])
	}
}

// statusCode is http.status_code, which the Agent's OTLP mapping sends as a
// metric and dd-trace-go as a tag.
func statusCode(s lab.DatadogSpan) string {
	if v, ok := s.Meta["http.status_code"]; ok {
		return v
	}
	if v, ok := s.Metrics["http.status_code"]; ok {
		return fmt.Sprint(v)
	}
	return ""
}

// errorMessage is the error's message under either key Datadog reads:
// error.msg (the Agent's OTLP mapping) or error.message (dd-trace-go).
func errorMessage(s lab.DatadogSpan) string {
	if m := s.Meta["error.msg"]; m != "" {
		return m
	}
	return s.Meta["error.message"]
}

// checkIntakeStats waits for the APM stats of service: hits and errors per
// operation and resource, as the trace-agent's concentrator computed them.
func checkIntakeStats(t *testing.T, in *lab.DatadogIntake, service string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	want := map[string]struct{ hits, errors, topLevel uint64 }{
		"http.server.request GET /books/{id}":           {1, 1, 1},
		"sqlite.query SELECT * FROM books WHERE id = ?": {1, 0, 0},
	}
	groups, err := in.WaitForStats(ctx, len(want), func(g lab.DatadogStats) bool {
		_, ok := want[g.Name+" "+g.Resource]
		return g.Service == service && ok
	})
	if err != nil {
		t.Fatalf("%s: %v", service, err)
	}
	for _, g := range groups {
		w := want[g.Name+" "+g.Resource]
		verify(t, service+" stats "+g.Name, []check{
			{"hits", g.Hits, w.hits},
			{"errors", g.Errors, w.errors},
			{"top-level hits", g.TopLevelHits, w.topLevel},
			{"env", g.Env, "lab"},
			{"version", g.Version, "9.9.9"},
		})
	}
}

// TestLabLegacyEnvironment: a legacy deployment.environment (from
// OTEL_RESOURCE_ATTRIBUTES) beside the deployment.environment.name that
// bootstrap sets from ENVIRONMENT becomes Datadog's env in both modes, as
// dd-trace-go maps it, checked on what the Agent's code sends on.
func TestLabLegacyEnvironment(t *testing.T) {
	l, in := intakeLab(t)
	res := resource.NewSchemaless(
		semconv.ServiceName("books"),
		attribute.String("deployment.environment", "prod-eu"),
		semconv.DeploymentEnvironmentNameKey.String("production"),
	)
	ids := map[string]string{}
	for _, mode := range []map[string]string{
		{"DATADOG_MODE": "otlp", "DATADOG_OTLP_ENDPOINT": "http://" + l.CollectorOTLPGRPC},
		{"DD_TRACE_AGENT_URL": "http://" + l.DatadogAgent},
	} {
		s := settings(t, mode)
		s.Resource = res
		b, err := datadog.Factory{}.New(context.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		if mode["DATADOG_MODE"] == "" {
			waitStarted(t, b)
		}
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(b.SpanProcessor), sdktrace.WithResource(res))
		_, span := tp.Tracer("env").Start(context.Background(), "load book")
		span.End()
		if err := tp.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		ids[cmp.Or(mode["DATADOG_MODE"], "native")] = span.SpanContext().TraceID().String()
	}
	for mode, id := range ids {
		s := intakeSpan(t, in, id)
		verify(t, mode, []check{{"payload env", s.Env, "prod-eu"}, {"env tag", s.Meta["env"], "prod-eu"}})
	}
}
