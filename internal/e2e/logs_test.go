package e2e_test

import (
	"context"
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/bootstrap"
	"github.com/otelswitch/otelswitch/internal/lab"
)

// writeLogInSpan calls Init with e alone, writes one warning inside a span
// and shuts down, which must deliver it; it returns the handle, the span's
// context and what Shutdown returned.
func writeLogInSpan(t *testing.T, e env) (*bootstrap.Telemetry, trace.SpanContext, error) {
	t.Helper()
	tel, err := bootstrap.Init(context.Background(), bootstrap.WithLookupEnv(e.Lookup), bootstrap.WithoutGlobals(), bootstrap.WithLogOutput(io.Discard))
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	ctx, span := tel.TracerProvider().Tracer("otelswitch/e2e").Start(context.Background(), "load book")
	tel.Logger().WarnContext(ctx, "book not found", "book.id", 42)
	span.End()
	return tel, span.SpanContext(), tel.Shutdown(context.Background())
}

// logInSpan is writeLogInSpan where every signal must get through: it
// returns the span's trace and span IDs.
func logInSpan(t *testing.T, e env) (traceID, spanID string) {
	t.Helper()
	tel, sc, err := writeLogInSpan(t, e)
	if err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	for _, s := range tel.Stats() {
		if s.Logs.Exported != 1 || s.Logs.Dropped != 0 {
			t.Errorf("%s: Stats().Logs = %+v, want 1 exported and none dropped", s.Backend, s.Logs)
		}
	}
	return sc.TraceID().String(), sc.SpanID().String()
}

// A record written inside a span reaches each backend that takes OTLP logs
// with that span's IDs, its severity, body and attributes, under the
// service's resource, and with the backend's credentials.
func TestLogsReachEveryOTLPBackend(t *testing.T) {
	tests := []struct {
		name    string
		src     lab.Source
		env     func(*lab.Lab) env
		header  string // attribute the collector copies the auth header into
		want    func(*lab.Lab) string
		service string // as the vendor's resource rewrite leaves it
	}{
		{"newrelic", lab.SourceOTLP, func(l *lab.Lab) env {
			return env{"TELEMETRY_BACKEND": "newrelic", "NEW_RELIC_LICENSE_KEY": "logs-licence-key-00000000000000000000NRAL",
				"NEW_RELIC_OTLP_ENDPOINT": "http://" + l.CollectorOTLPHTTP}
		}, lab.AttrAPIKey, func(*lab.Lab) string { return "logs-licence-key-00000000000000000000NRAL" }, ""},
		{"elastic-grpc", lab.SourceElasticBearer, func(l *lab.Lab) env {
			return env{"TELEMETRY_BACKEND": "elastic", "ELASTIC_APM_SERVER_URL": "http://" + l.ElasticBearerGRPC, "ELASTIC_APM_SECRET_TOKEN": l.SecretToken}
		}, lab.AttrAuthorization, func(l *lab.Lab) string { return "Bearer " + l.SecretToken }, ""},
		{"elastic-http", lab.SourceElasticAPIKey, func(l *lab.Lab) env {
			return env{"TELEMETRY_BACKEND": "elastic", "ELASTIC_APM_SERVER_URL": "http://" + l.ElasticAPIKeyHTTP, "ELASTIC_APM_API_KEY": l.APIKey,
				"ELASTIC_OTLP_PROTOCOL": "http/protobuf"}
		}, lab.AttrAuthorization, func(l *lab.Lab) string { return "ApiKey " + l.APIKey }, ""},
		{"otlp-grpc", lab.SourceOTLP, func(l *lab.Lab) env {
			return env{"TELEMETRY_BACKEND": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://" + l.CollectorOTLPGRPC,
				"OTEL_EXPORTER_OTLP_LOGS_HEADERS": "api-key=otlp-logs-key-0000"}
		}, lab.AttrAPIKey, func(*lab.Lab) string { return "otlp-logs-key-0000" }, ""},
		{"otlp-http", lab.SourceOTLP, func(l *lab.Lab) env {
			return env{"TELEMETRY_BACKEND": "otlp", "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": "http://" + l.CollectorOTLPHTTP + "/v1/logs",
				"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1", "OTEL_EXPORTER_OTLP_HEADERS": "api-key=otlp-logs-key-0001",
				"OTEL_EXPORTER_OTLP_LOGS_COMPRESSION": "gzip"}
		}, lab.AttrAPIKey, func(*lab.Lab) string { return "otlp-logs-key-0001" }, ""},
		// The Agent's OTLP ingest takes no credentials: the Agent holds the key.
		{"datadog-otlp", lab.SourceOTLP, func(l *lab.Lab) env {
			return env{"TELEMETRY_BACKEND": "datadog", "DATADOG_MODE": "otlp", "DATADOG_OTLP_ENDPOINT": "http://" + l.CollectorOTLPGRPC}
		}, "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := lab.ForTest(t)
			service := "e2e-logs-" + tt.name
			e := resourceEnv(service).With(env{"TELEMETRY_LOGS": "both"}).With(tt.env(l))
			if tt.name == "otlp-http" {
				// Traces go nowhere here; the logs endpoint alone is right.
				e = e.With(env{"TELEMETRY_SHUTDOWN_TIMEOUT": "3s", "TELEMETRY_EXPORT_TIMEOUT": "1s"})
			}
			var traceID, spanID string
			if tt.name == "otlp-http" {
				traceID, spanID = logInSpanTolerant(t, e)
			} else {
				traceID, spanID = logInSpan(t, e)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			recs, err := l.WaitForLogs(ctx, tt.src, 1, func(r lab.LogRecord) bool { return r.TraceID == traceID })
			if err != nil {
				t.Fatalf("%s receiver: %v\n%s", tt.src, err, l.Logs(20))
			}
			r := recs[0]
			if r.SpanID != spanID || r.Severity != 13 || r.Body != "book not found" || r.Attributes["book.id"] != int64(42) {
				t.Errorf("record = %+v; want span %s, severity 13 (WARN), the body and book.id=42", r, spanID)
			}
			if r.Resource["service.name"] != service || r.Resource["service.version"] != "1.4.2" {
				t.Errorf("resource = %v, want service %s version 1.4.2", r.Resource, service)
			}
			if tt.header != "" && r.Attributes[tt.header] != tt.want(l) {
				t.Errorf("%s = %v, want %q", tt.header, r.Attributes[tt.header], tt.want(l))
			}
		})
	}
}

// logInSpanTolerant is logInSpan for a pipeline whose traces go nowhere:
// only the log record's delivery counts.
func logInSpanTolerant(t *testing.T, e env) (traceID, spanID string) {
	t.Helper()
	tel, sc, _ := writeLogInSpan(t, e)
	if s := tel.Stats()[0]; s.Logs.Exported != 1 || s.Logs.BytesSent == 0 {
		t.Errorf("Stats().Logs = %+v, want 1 exported with its bytes", s.Logs)
	}
	return sc.TraceID().String(), sc.SpanID().String()
}

// Fan-out: the same 10,000 records reach both backends that take logs,
// none dropped; Jaeger takes the spans only.
func TestFanOutLogs(t *testing.T) {
	const n = 10_000
	l := lab.ForTest(t)
	e := resourceEnv("e2e-fanout-logs").With(env{
		"TELEMETRY_BACKEND":        "jaeger,newrelic,elastic",
		"TELEMETRY_LOGS":           "both",
		"JAEGER_ENDPOINT":          l.JaegerOTLPGRPC,
		"NEW_RELIC_LICENSE_KEY":    "fanout-licence-key-000000000000000000NRAL",
		"NEW_RELIC_OTLP_ENDPOINT":  "http://" + l.CollectorOTLPHTTP,
		"ELASTIC_APM_SERVER_URL":   "http://" + l.ElasticBearerGRPC,
		"ELASTIC_APM_SECRET_TOKEN": l.SecretToken,
		// The burst is written in a few milliseconds; the queue holds it
		// all (the default, 2048, would drop and count the excess).
		"OTEL_BLRP_MAX_QUEUE_SIZE": fmt.Sprint(n),
	})
	tel, err := bootstrap.Init(context.Background(), bootstrap.WithLookupEnv(e.Lookup), bootstrap.WithoutGlobals(), bootstrap.WithLogOutput(io.Discard))
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	ctx, span := tel.TracerProvider().Tracer("otelswitch/e2e").Start(context.Background(), "bulk")
	for i := range n {
		tel.Logger().InfoContext(ctx, "record", "seq", i)
	}
	span.End()
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	for _, s := range tel.Stats() {
		want := int64(n)
		if s.Backend == "jaeger" {
			want = 0
		}
		if s.Logs.Exported != want || s.Logs.Dropped != 0 || s.Logs.FailedExports != 0 {
			t.Errorf("%s: Stats().Logs = %+v, want %d exported, none dropped", s.Backend, s.Logs, want)
		}
	}
	if got := tel.Config().Signals["jaeger"].Logs; got == "exported" {
		t.Errorf("Config says jaeger takes logs")
	}
	traceID := span.SpanContext().TraceID().String()
	for _, src := range []lab.Source{lab.SourceOTLP, lab.SourceElasticBearer} {
		rctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		recs, err := l.WaitForLogs(rctx, src, n, func(r lab.LogRecord) bool { return r.TraceID == traceID })
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		seen := make([]bool, n)
		for _, r := range recs {
			if i, ok := r.Attributes["seq"].(int64); ok && i >= 0 && i < n {
				seen[i] = true
			}
		}
		if i := slices.Index(seen, false); i >= 0 {
			t.Errorf("%s: record %d of %d missing (%d records)", src, i, n, len(recs))
		}
	}
}

// Runtime and process metrics arrive under the service's resource, beside
// the application's.
func TestRuntimeMetricsReachTheCollector(t *testing.T) {
	l := lab.ForTest(t)
	const service = "e2e-runtime-metrics"
	e := resourceEnv(service).With(env{"TELEMETRY_BACKEND": "otlp", "TELEMETRY_METRICS": "true",
		"OTEL_EXPORTER_OTLP_ENDPOINT": "http://" + l.CollectorOTLPHTTP})
	tel, err := bootstrap.Init(context.Background(), bootstrap.WithLookupEnv(e.Lookup), bootstrap.WithoutGlobals(), bootstrap.WithLogOutput(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := tel.Stats()[0].Metrics; s.Exported == 0 || s.FailedExports != 0 {
		t.Errorf("Stats().Metrics = %+v", s)
	}
	want := []string{"go.memory.used", "go.goroutine.count", "go.memory.gc.goal", "go.schedule.duration",
		"process.cpu.time", "process.memory.usage", "process.unix.file_descriptor.count"}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var missing []string
	err = lab.WaitFor(ctx, func(ctx context.Context) (bool, error) {
		ms, err := l.CollectorMetrics(ctx, lab.SourceOTLP)
		if err != nil {
			return false, err
		}
		missing = missing[:0]
		for _, name := range want {
			if !slices.ContainsFunc(ms, func(m lab.MetricPoints) bool {
				return m.Name == name && m.Points > 0 && m.Resource["service.name"] == service
			}) {
				missing = append(missing, name)
			}
		}
		return len(missing) == 0, nil
	})
	if err != nil {
		t.Fatalf("metrics missing under service.name=%s: %v (%v)", service, missing, err)
	}
}

// Datadog native mode: dd-trace-go's runtime metrics reach the Agent's
// DogStatsD (the collector's statsd receiver), tagged with the service, and
// the application's metrics its OTLP ingest.
func TestDatadogNativeRuntimeMetricsReachDogStatsD(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: dd-trace-go reports runtime metrics every 10 s")
	}
	l := lab.ForTest(t)
	const service = "e2e-dd-runtime"
	e := resourceEnv(service).With(env{
		"TELEMETRY_BACKEND":               "datadog",
		"DD_TRACE_AGENT_URL":              "http://" + l.DatadogAgent,
		"DD_RUNTIME_METRICS_ENABLED":      "true",
		"DD_DOGSTATSD_URL":                "udp://" + l.DogStatsD,
		"DATADOG_OTLP_ENDPOINT":           "http://" + l.CollectorOTLPHTTP,
		"DATADOG_OTLP_PROTOCOL":           "http/protobuf",
		"TELEMETRY_METRICS":               "true",
		"DD_REMOTE_CONFIGURATION_ENABLED": "false",
	})
	tel, err := bootstrap.Init(context.Background(), bootstrap.WithLookupEnv(e.Lookup), bootstrap.WithoutGlobals(), bootstrap.WithLogOutput(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	_, span := tel.TracerProvider().Tracer("otelswitch/e2e").Start(context.Background(), "op")
	span.End()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = lab.WaitFor(ctx, func(ctx context.Context) (bool, error) {
		ms, err := l.CollectorMetrics(ctx, lab.SourceStatsd)
		if err != nil {
			return false, err
		}
		return slices.ContainsFunc(ms, func(m lab.MetricPoints) bool {
			return m.Name == "runtime.go.num_goroutine" && slices.ContainsFunc(m.PointAttributes, func(a map[string]any) bool { return a["service"] == service })
		}), nil
	})
	if err != nil {
		t.Fatalf("no runtime.go.num_goroutine for service %s at the statsd receiver: %v\n%s", service, err, l.Logs(20))
	}
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The application's (and the OTel runtime) metrics went to the OTLP ingest.
	ms, err := l.CollectorMetrics(context.Background(), lab.SourceOTLP)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(ms, func(m lab.MetricPoints) bool {
		return m.Name == "go.goroutine.count" && m.Resource["service.name"] == service
	}) {
		t.Errorf("no go.goroutine.count from %s at the OTLP ingest", service)
	}
	if s := tel.Stats()[0].Metrics; s.Exported == 0 || s.FailedExports != 0 {
		t.Errorf("Stats().Metrics = %+v", s)
	}
}
