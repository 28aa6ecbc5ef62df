package bootstrap_test

import (
	"context"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"

	"github.com/otelswitch/otelswitch/internal/otlptest"
)

// A record written inside a span is exported with the span's trace and span
// IDs, its severity, body and attributes, and still written locally with
// the correlation fields.
func TestLogsExportedWithTraceContext(t *testing.T) {
	for _, mode := range []string{"both", "BOTH", "export"} {
		t.Run(mode, func(t *testing.T) {
			recv, srv := otlptest.NewHTTP(t)
			tel, local := initEnv(t, env{
				"TELEMETRY_BACKEND":           "otlp",
				"OTEL_EXPORTER_OTLP_ENDPOINT": srv.URL,
				"OTEL_EXPORTER_OTLP_HEADERS":  "x-team=books",
				"TELEMETRY_LOGS":              mode,
				"TELEMETRY_METRICS":           "false",
			})
			ctx, span := tel.TracerProvider().Tracer("t").Start(context.Background(), "op")
			tel.Logger().WarnContext(ctx, "book not found", "book.id", 42)
			tel.Logger().DebugContext(ctx, "below the level: neither output") // TELEMETRY_LOG_LEVEL=info
			span.End()
			if err := tel.ForceFlush(context.Background()); err != nil {
				t.Fatal(err)
			}
			recs := recv.WaitForLogs(1, 5*time.Second)
			if len(recs) != 1 {
				t.Fatalf("%d log records arrived, want 1", len(recs))
			}
			r := recs[0]
			sc := span.SpanContext()
			if hex.EncodeToString(r.Record.TraceId) != sc.TraceID().String() || hex.EncodeToString(r.Record.SpanId) != sc.SpanID().String() {
				t.Errorf("record IDs %x/%x, want the span's %s/%s", r.Record.TraceId, r.Record.SpanId, sc.TraceID(), sc.SpanID())
			}
			if r.Record.SeverityNumber != logspb.SeverityNumber_SEVERITY_NUMBER_WARN || r.Record.Body.GetStringValue() != "book not found" {
				t.Errorf("severity %v body %v, want WARN and the message", r.Record.SeverityNumber, r.Record.Body)
			}
			if got := attrInt(r.Record, "book.id"); got != 42 {
				t.Errorf("book.id = %d, want 42", got)
			}
			if h := r.Headers["x-team"]; len(h) != 1 || h[0] != "books" {
				t.Errorf("x-team header = %v", h)
			}
			if !hasAttr(r.Resource, "service.name") {
				t.Error("the record's resource has no service.name")
			}
			wantLocal := mode != "export"
			if got := strings.Contains(local.String(), "trace_id="+sc.TraceID().String()); got != wantLocal {
				t.Errorf("local output has the record: %v, want %v:\n%s", got, wantLocal, local)
			}
			if st := tel.Stats()[0].Logs; st.Exported != 1 || st.Dropped != 0 || st.BytesSent == 0 {
				t.Errorf("Stats().Logs = %+v, want 1 exported with its bytes", st)
			}
			if got := tel.Config().Signals["otlp"].Logs; got != "exported" {
				t.Errorf("Config().Signals[otlp].Logs = %q", got)
			}
		})
	}
}

func attrInt(r *logspb.LogRecord, key string) int64 {
	for _, kv := range r.Attributes {
		if kv.Key == key {
			return kv.Value.GetIntValue()
		}
	}
	return -1
}

// The profile decides where logs go when TELEMETRY_LOGS is unset:
// development keeps them local, production exports them as well.
func TestLogsProfileDefault(t *testing.T) {
	for _, tt := range []struct {
		environment string
		exported    bool
	}{{"development", false}, {"production", true}} {
		t.Run(tt.environment, func(t *testing.T) {
			recv, srv := otlptest.NewHTTP(t)
			tel, local := initEnv(t, env{
				"ENVIRONMENT":                 tt.environment,
				"TELEMETRY_BACKEND":           "otlp",
				"OTEL_EXPORTER_OTLP_ENDPOINT": srv.URL,
				"TELEMETRY_METRICS":           "false",
			})
			tel.Logger().Info("hello")
			_ = tel.ForceFlush(context.Background())
			if got := len(recv.LogRecords()) == 1; got != tt.exported {
				t.Errorf("exported = %v, want %v", got, tt.exported)
			}
			if !strings.Contains(local.String(), "hello") {
				t.Errorf("the local output lost the record: %q", local)
			}
			want := map[bool]string{false: "local", true: "both"}[tt.exported]
			if tel.Config().Logs != want {
				t.Errorf("Config().Logs = %q, want %q", tel.Config().Logs, want)
			}
		})
	}
}

func TestLogsVariablesRejected(t *testing.T) {
	tests := []struct {
		env  env
		want string
	}{
		{env{"TELEMETRY_LOGS": "stdout"}, `TELEMETRY_LOGS="stdout": unknown value; want local, export or both`},
		{env{"OTEL_LOGS_EXPORTER": "zipkin"}, `OTEL_LOGS_EXPORTER="zipkin": unknown exporter "zipkin"`},
		{env{"TELEMETRY_LOGS": "export", "OTEL_LOGS_EXPORTER": "none"}, "TELEMETRY_LOGS=export with OTEL_LOGS_EXPORTER=none"},
		{env{"OTEL_BLRP_MAX_QUEUE_SIZE": "0"}, "OTEL_BLRP_MAX_QUEUE_SIZE=0: want a positive whole number"},
		{env{"OTEL_BLRP_MAX_QUEUE_SIZE": "10", "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE": "20"}, "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE=20 is larger than OTEL_BLRP_MAX_QUEUE_SIZE=10"},
		{env{"OTEL_BLRP_SCHEDULE_DELAY": "-5"}, "OTEL_BLRP_SCHEDULE_DELAY=-5"},
		{env{"TELEMETRY_BACKEND": "jaeger", "TELEMETRY_LOGS": "export"}, "TELEMETRY_LOGS=export: none of the backends (jaeger) takes logs"},
	}
	for _, tt := range tests {
		err := initErr(tt.env)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Init(%v) = %v, want an error containing %q", tt.env, err, tt.want)
		}
	}
}

// OTEL_LOGS_EXPORTER=none keeps records off the backends; console prints
// them in the OpenTelemetry form, still with the span's IDs.
func TestLogsExporterVariable(t *testing.T) {
	recv, srv := otlptest.NewHTTP(t)
	base := env{"TELEMETRY_BACKEND": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": srv.URL, "TELEMETRY_LOGS": "both", "TELEMETRY_METRICS": "false"}
	tel, _ := initEnv(t, base.With(env{"OTEL_LOGS_EXPORTER": "NONE"}))
	tel.Logger().Info("kept local")
	_ = tel.ForceFlush(context.Background())
	if n := len(recv.LogRecords()); n != 0 {
		t.Errorf("OTEL_LOGS_EXPORTER=none: %d records exported", n)
	}
	if got := tel.Config().Signals["otlp"].Logs; !strings.Contains(got, "local output only") {
		t.Errorf("Config().Signals[otlp].Logs = %q", got)
	}

	tel, out := initEnv(t, base.With(env{"OTEL_LOGS_EXPORTER": "console"}))
	ctx, span := tel.TracerProvider().Tracer("t").Start(context.Background(), "op")
	tel.Logger().InfoContext(ctx, "to the console")
	span.End()
	_ = tel.ForceFlush(context.Background())
	if !strings.Contains(out.String(), `"TraceID":"`+span.SpanContext().TraceID().String()) {
		t.Errorf("console output lacks the record's trace ID:\n%s", out)
	}
	if n := len(recv.LogRecords()); n != 0 {
		t.Errorf("OTEL_LOGS_EXPORTER=console: %d records went to the backend", n)
	}
}

// Jaeger and none take no logs, and Config says so.
func TestConfigSaysWhichBackendTakesLogs(t *testing.T) {
	tel, _ := initEnv(t, env{"TELEMETRY_BACKEND": "jaeger", "JAEGER_ENDPOINT": otlptest.Blackhole(t), "TELEMETRY_LOGS": "both"})
	s := tel.Config().Signals["jaeger"]
	if s.Traces != "exported" || !strings.HasPrefix(s.Logs, "none: Jaeger") || !strings.HasPrefix(s.Metrics, "none") {
		t.Errorf("Config().Signals[jaeger] = %+v", s)
	}
	if tel.LoggerProvider() != nil {
		t.Error("a LoggerProvider with no backend taking logs")
	}
	tel, _ = initEnv(t, env{"TELEMETRY_BACKEND": "none", "TELEMETRY_LOGS": "both"})
	if s := tel.Config().Signals["none"]; !strings.HasPrefix(s.Logs, "none:") {
		t.Errorf("Config().Signals[none] = %+v", s)
	}
}

// A metrics endpoint that refuses the export shows in Stats, with the
// status and when it happened, and the data points count as dropped.
func TestMetricsRefusalShowsInStats(t *testing.T) {
	for _, code := range []int{http.StatusNotFound, http.StatusUnauthorized} {
		var hits atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/v1/metrics") {
				hits.Add(1)
				http.Error(w, "no metrics here", code)
				return
			}
			w.WriteHeader(http.StatusOK)
		}))
		t.Cleanup(srv.Close)
		tel, _ := initEnv(t, env{
			"TELEMETRY_BACKEND":           "otlp",
			"OTEL_EXPORTER_OTLP_ENDPOINT": srv.URL,
			"TELEMETRY_RUNTIME_METRICS":   "false",
		})
		c, _ := tel.MeterProvider().Meter("t").Int64Counter("books.created")
		c.Add(context.Background(), 1, metric.WithAttributes(attribute.String("genre", "go")))
		before := time.Now()
		_ = tel.ForceFlush(context.Background())
		st := tel.Stats()[0].Metrics
		if hits.Load() == 0 || st.FailedExports != 1 || st.Dropped != 1 || st.Exported != 0 ||
			!strings.Contains(st.LastError, http.StatusText(code)) || st.LastErrorAt.Before(before) {
			t.Errorf("%d: Stats().Metrics = %+v, want the failed export counted with its error and time", code, st)
		}
	}
}

// Runtime and process metrics go wherever metrics go, unless turned off.
func TestRuntimeMetrics(t *testing.T) {
	for _, on := range []bool{true, false} {
		_, srv := otlptest.NewHTTP(t)
		e := env{"TELEMETRY_BACKEND": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": srv.URL}
		if !on {
			e["TELEMETRY_RUNTIME_METRICS"] = "false"
		}
		tel, _ := initEnv(t, e)
		_ = tel.ForceFlush(context.Background())
		st := tel.Stats()[0].Metrics
		// go.memory.used (2 points), go.goroutine.count, process.cpu.time
		// (2), process.memory.usage... and the scheduler histogram.
		if got := st.Exported >= 10; got != on {
			t.Errorf("runtime metrics %v: %d data points exported", on, st.Exported)
		}
	}
}

func hasAttr(kvs []*commonpb.KeyValue, key string) bool {
	for _, kv := range kvs {
		if kv.Key == key {
			return true
		}
	}
	return false
}
