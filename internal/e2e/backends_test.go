package e2e_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/internal/lab"
)

// assertJaeger checks the tree as Jaeger's query API returns it.
func assertJaeger(t *testing.T, l *lab.Lab, want tree, service string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got, err := l.WaitForDirectJaegerTrace(ctx, want.TraceID, 4)
	if err != nil {
		t.Fatalf("Jaeger does not have trace %s: %v\n%s", want.TraceID, err, l.Logs(20))
	}
	spans := map[string]lab.JaegerSpan{}
	for _, s := range got.Spans {
		spans[s.SpanID] = s
	}
	check := func(id, name, parent, kind string) lab.JaegerSpan {
		s, ok := spans[id]
		if !ok {
			t.Fatalf("Jaeger has no span %s (%s)", id, name)
		}
		if s.Operation != name || s.ParentSpanID != parent || s.Service != service {
			t.Errorf("span %s = %q parent %q service %q; want %q parent %q service %q", id, s.Operation, s.ParentSpanID, s.Service, name, parent, service)
		}
		if kind != "" && s.Tags["span.kind"] != kind {
			t.Errorf("%s: span.kind = %v, want %s", name, s.Tags["span.kind"], kind)
		}
		if s.ProcessTags["service.version"] != "1.4.2" || s.ProcessTags["deployment.environment.name"] != "development" || s.ProcessTags["team"] != "books" {
			t.Errorf("%s: process tags = %v, want version 1.4.2, environment development, team books", name, s.ProcessTags)
		}
		return s
	}
	root := check(want.Root, rootName, "", "server")
	check(want.Internal, internalName, want.Root, "internal")
	client := check(want.Client, clientName, want.Internal, "client")
	fail := check(want.Fail, failName, want.Root, "internal")

	if root.Tags["http.route"] != "/books/{id}" || fmt.Sprint(root.Tags["http.response.status_code"]) != "500" {
		t.Errorf("root tags = %v", root.Tags)
	}
	if client.Tags["db.system.name"] != "sqlite" || !strings.Contains(fmt.Sprint(client.Tags["book.tags"]), "otel") {
		t.Errorf("client tags = %v", client.Tags)
	}
	if fail.Tags["otel.status_code"] != "ERROR" || fail.Tags["error"] != true || fail.Tags["otel.status_description"] != failMessage {
		t.Errorf("error span tags = %v", fail.Tags)
	}
	var exc map[string]any
	for _, lg := range fail.Logs {
		if lg.Fields["event"] == "exception" {
			exc = lg.Fields
		}
	}
	if exc == nil || exc["exception.message"] != failMessage || !strings.Contains(fmt.Sprint(exc["exception.stacktrace"]), "goroutine") {
		t.Errorf("error span has no exception event with message and stack: %v", fail.Logs)
	}
}

// assertCollector checks the tree as one collector receiver wrote it, and
// returns the spans for header checks.
func assertCollector(t *testing.T, l *lab.Lab, src lab.Source, want tree, service string) []lab.Span {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	spans, err := l.WaitForSpans(ctx, src, 4, func(s lab.Span) bool { return s.TraceID == want.TraceID })
	if err != nil {
		t.Fatalf("%s receiver: %v\n%s", src, err, l.Logs(20))
	}
	byID := map[string]lab.Span{}
	for _, s := range spans {
		byID[s.SpanID] = s
		if s.Resource["service.name"] != service || s.Resource["service.version"] != "1.4.2" || s.Resource["deployment.environment.name"] != "development" {
			t.Errorf("%s: resource = %v", s.Name, s.Resource)
		}
	}
	check := func(id, name, parent string, kind trace.SpanKind) lab.Span {
		s, ok := byID[id]
		if !ok {
			t.Fatalf("%s receiver has no span %s (%s)", src, id, name)
		}
		if s.Name != name || s.ParentSpanID != parent || s.Kind != kind {
			t.Errorf("span %s = %q parent %q kind %v; want %q parent %q kind %v", id, s.Name, s.ParentSpanID, s.Kind, name, parent, kind)
		}
		return s
	}
	root := check(want.Root, rootName, "", trace.SpanKindServer)
	check(want.Internal, internalName, want.Root, trace.SpanKindInternal)
	client := check(want.Client, clientName, want.Internal, trace.SpanKindClient)
	fail := check(want.Fail, failName, want.Root, trace.SpanKindInternal)
	if root.Attributes["http.route"] != "/books/{id}" || root.Status != codes.Error {
		t.Errorf("root = %+v", root)
	}
	if client.Attributes["db.system.name"] != "sqlite" {
		t.Errorf("client attributes = %v", client.Attributes)
	}
	if fail.Status != codes.Error || fail.StatusMsg != failMessage || len(fail.Events) != 1 ||
		fail.Events[0].Name != "exception" || fail.Events[0].Attributes["exception.message"] != failMessage {
		t.Errorf("error span = status %v %q events %+v", fail.Status, fail.StatusMsg, fail.Events)
	}
	return spans
}

func TestJaeger(t *testing.T) {
	l := lab.ForTest(t)
	want := emit(t, resourceEnv("e2e-jaeger").With(env{"TELEMETRY_BACKEND": "jaeger", "JAEGER_ENDPOINT": l.JaegerOTLPGRPC}))
	assertJaeger(t, l, want, "e2e-jaeger")
}

func TestJaegerOverHTTP(t *testing.T) {
	l := lab.ForTest(t)
	want := emit(t, resourceEnv("e2e-jaeger-http").With(env{
		"TELEMETRY_BACKEND": "jaeger", "JAEGER_PROTOCOL": "http/protobuf", "JAEGER_ENDPOINT": "http://" + l.JaegerOTLPHTTP}))
	assertJaeger(t, l, want, "e2e-jaeger-http")
}

func TestOTLPToTheCollector(t *testing.T) {
	for _, proto := range []string{"grpc", "http/protobuf"} {
		t.Run(strings.ReplaceAll(proto, "/", "-"), func(t *testing.T) {
			l := lab.ForTest(t)
			endpoint := "http://" + l.CollectorOTLPHTTP
			if proto == "grpc" {
				endpoint = "http://" + l.CollectorOTLPGRPC
			}
			want := emit(t, resourceEnv("e2e-otlp").With(env{
				"TELEMETRY_BACKEND":              "otlp",
				"OTEL_EXPORTER_OTLP_PROTOCOL":    proto,
				"OTEL_EXPORTER_OTLP_ENDPOINT":    endpoint,
				"OTEL_EXPORTER_OTLP_HEADERS":     "x-team=books%2Ccore",
				"OTEL_EXPORTER_OTLP_COMPRESSION": "gzip",
			}))
			assertCollector(t, l, lab.SourceOTLP, want, "e2e-otlp")
		})
	}
}

func TestNewRelic(t *testing.T) {
	l := lab.ForTest(t)
	const key = "eu01xxlab-licence-key-0000000000000NRAL"
	want := emit(t, resourceEnv("e2e-newrelic").With(env{
		"TELEMETRY_BACKEND":       "newrelic",
		"NEW_RELIC_LICENSE_KEY":   key,
		"NEW_RELIC_OTLP_ENDPOINT": "http://" + l.CollectorOTLPHTTP,
	}))
	spans := assertCollector(t, l, lab.SourceOTLP, want, "e2e-newrelic")
	for _, s := range spans {
		if s.Attributes[lab.AttrAPIKey] != key {
			t.Fatalf("%s: api-key header = %v, want the licence key", s.Name, s.Attributes[lab.AttrAPIKey])
		}
	}
}

func TestElastic(t *testing.T) {
	for _, auth := range []struct {
		name   string
		src    lab.Source
		env    func(*lab.Lab) env
		header func(*lab.Lab) string
	}{
		{"bearer", lab.SourceElasticBearer,
			func(l *lab.Lab) env {
				return env{"ELASTIC_APM_SERVER_URL": "http://" + l.ElasticBearerGRPC, "ELASTIC_APM_SECRET_TOKEN": l.SecretToken}
			},
			func(l *lab.Lab) string { return "Bearer " + l.SecretToken }},
		{"apikey", lab.SourceElasticAPIKey,
			func(l *lab.Lab) env {
				return env{"ELASTIC_APM_SERVER_URL": "http://" + l.ElasticAPIKeyGRPC, "ELASTIC_APM_API_KEY": l.APIKey}
			},
			func(l *lab.Lab) string { return "ApiKey " + l.APIKey }},
	} {
		t.Run(auth.name, func(t *testing.T) {
			l := lab.ForTest(t)
			want := emit(t, resourceEnv("e2e-elastic").With(env{"TELEMETRY_BACKEND": "elastic"}).With(auth.env(l)))
			spans := assertCollector(t, l, auth.src, want, "e2e-elastic")
			if got := spans[0].Attributes[lab.AttrAuthorization]; got != auth.header(l) {
				t.Errorf("Authorization = %v, want %q", got, auth.header(l))
			}
		})
	}
}

// One trace, three backends, the same IDs everywhere.
func TestFanOut(t *testing.T) {
	l := lab.ForTest(t)
	want := emit(t, resourceEnv("e2e-fanout").With(env{
		"TELEMETRY_BACKEND":        "jaeger,newrelic,elastic",
		"JAEGER_ENDPOINT":          l.JaegerOTLPGRPC,
		"NEW_RELIC_LICENSE_KEY":    "fanout-licence-key-000000000000000000NRAL",
		"NEW_RELIC_OTLP_ENDPOINT":  "http://" + l.CollectorOTLPHTTP,
		"ELASTIC_APM_SERVER_URL":   "http://" + l.ElasticBearerGRPC,
		"ELASTIC_APM_SECRET_TOKEN": l.SecretToken,
	}))
	assertJaeger(t, l, want, "e2e-fanout")
	assertCollector(t, l, lab.SourceOTLP, want, "e2e-fanout")
	assertCollector(t, l, lab.SourceElasticBearer, want, "e2e-fanout")
}
