package bootstrap_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/bootstrap"
	"github.com/otelswitch/otelswitch/internal/otlptest"
)

// A dead backend must neither delay nor starve a live one: jaeger points at
// a listener that accepts and never answers, otlp at a working receiver.
func TestFanOutSurvivesADeadBackend(t *testing.T) {
	dead := otlptest.Blackhole(t)
	live, srv := otlptest.NewHTTP(t)
	tel, _ := initEnv(t, env{
		"TELEMETRY_BACKEND":           "jaeger,otlp",
		"JAEGER_ENDPOINT":             dead,
		"OTEL_EXPORTER_OTLP_ENDPOINT": srv.URL,
		"TELEMETRY_EXPORT_TIMEOUT":    "30s", // the dead export hangs for the whole test
		"TELEMETRY_SHUTDOWN_TIMEOUT":  "200ms",
		"TELEMETRY_METRICS":           "false",
	})
	tr := tel.TracerProvider().Tracer("fanout")
	for i := range 3 {
		_, s := tr.Start(context.Background(), fmt.Sprintf("op-%d", i))
		s.End()
	}
	// Development batches for 500 ms; allow for a slow machine.
	names := live.WaitForSpans(3, 10*time.Second)
	if len(names) != 3 {
		t.Fatalf("live backend got %v, want 3 spans while the other hangs", names)
	}
	// Later spans still flow: the live queue is not stuck behind the dead one.
	_, s := tr.Start(context.Background(), "later")
	s.End()
	if names := live.WaitForSpans(4, 10*time.Second); !slices.Contains(names, "later") {
		t.Fatalf("live backend got %v, want the later span too", names)
	}
}

func TestShutdownKeepsItsDeadlineAgainstADeadBackend(t *testing.T) {
	dead := otlptest.Blackhole(t)
	tel, _ := initEnv(t, env{
		"TELEMETRY_BACKEND":          "jaeger",
		"JAEGER_ENDPOINT":            dead,
		"TELEMETRY_EXPORT_TIMEOUT":   "1m",
		"TELEMETRY_SHUTDOWN_TIMEOUT": "300ms",
	})
	for range 10 {
		_, s := tel.TracerProvider().Tracer("t").Start(context.Background(), "op")
		s.End()
	}
	start := time.Now()
	err := tel.Shutdown(context.Background())
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v, want a deadline error", err)
	}
	// Generous: the point is that it does not wait for the 1 m export timeout.
	if took > 5*time.Second {
		t.Errorf("Shutdown took %v with TELEMETRY_SHUTDOWN_TIMEOUT=300ms", took)
	}
	var st = tel.Stats()[0]
	for range 100 { // the processor settles its accounts as the cancelled export returns
		if st = tel.Stats()[0]; st.SpansQueued == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if st.SpansDropped != 10 || st.SpansExported != 0 {
		t.Errorf("stats = %+v, want the 10 spans counted as dropped", st)
	}
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Errorf("second Shutdown = %v, want nil", err)
	}
}

func TestTestProfileRecordsSpansWithoutNetwork(t *testing.T) {
	tel, _ := initEnv(t, env{"ENVIRONMENT": "test"})
	ctx, parent := tel.TracerProvider().Tracer("t").Start(context.Background(), "parent")
	_, child := tel.TracerProvider().Tracer("t").Start(ctx, "child")
	child.End()
	parent.End()
	ended := tel.Recorder().Ended()
	if len(ended) != 2 || ended[0].Name() != "child" || ended[0].Parent().SpanID() != ended[1].SpanContext().SpanID() {
		t.Fatalf("recorded %d spans, want child then parent linked", len(ended))
	}
	if got := tel.Config().Backends; !slices.Equal(got, []string{"none"}) {
		t.Errorf("backends = %v, want [none]", got)
	}
}

func TestResource(t *testing.T) {
	tests := []struct {
		name        string
		env         env
		opts        []string // service name option, when set
		wantName    string
		wantVersion string
		wantExtra   map[string]string
	}{
		{"variables", env{"ENVIRONMENT": "test", "OTEL_SERVICE_NAME": "books", "SERVICE_VERSION": "1.2.3"}, nil, "books", "1.2.3", nil},
		{"from resource attributes", env{"ENVIRONMENT": "test", "OTEL_RESOURCE_ATTRIBUTES": "service.name=attr-books,service.version=9,team=core%2Cplatform,url=a=b"}, nil,
			"attr-books", "9", map[string]string{"team": "core,platform", "url": "a=b"}},
		{"variable beats attributes", env{"ENVIRONMENT": "test", "OTEL_SERVICE_NAME": "books", "OTEL_RESOURCE_ATTRIBUTES": "service.name=other"}, nil, "books", "", nil},
		{"option beats variable", env{"ENVIRONMENT": "test", "OTEL_SERVICE_NAME": "books"}, []string{"opt-books"}, "opt-books", "", nil},
		{"environment wins over attributes", env{"ENVIRONMENT": "test", "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=prod"}, nil, "", "", map[string]string{"deployment.environment.name": "test"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []bootstrap.Option
			for _, n := range tt.opts {
				opts = append(opts, bootstrap.WithServiceName(n))
			}
			tel, _ := initEnv(t, tt.env, opts...)
			_, s := tel.TracerProvider().Tracer("t").Start(context.Background(), "op")
			s.End()
			attrs := map[string]string{}
			for _, kv := range tel.Recorder().Ended()[0].Resource().Attributes() {
				attrs[string(kv.Key)] = kv.Value.String()
			}
			if tt.wantName != "" && attrs["service.name"] != tt.wantName {
				t.Errorf("service.name = %q, want %q", attrs["service.name"], tt.wantName)
			}
			if tt.wantVersion != "" && attrs["service.version"] != tt.wantVersion {
				t.Errorf("service.version = %q, want %q", attrs["service.version"], tt.wantVersion)
			}
			if attrs["deployment.environment.name"] != "test" {
				t.Errorf("deployment.environment.name = %q, want test", attrs["deployment.environment.name"])
			}
			for k, v := range tt.wantExtra {
				if attrs[k] != v {
					t.Errorf("%s = %q, want %q", k, attrs[k], v)
				}
			}
			for _, k := range []string{"telemetry.sdk.name", "telemetry.sdk.language", "host.name", "process.pid", "process.runtime.name"} {
				if attrs[k] == "" {
					t.Errorf("resource has no %s", k)
				}
			}
		})
	}
}

func TestLoggerCorrelatesWithTheActiveSpan(t *testing.T) {
	tel, logs := initEnv(t, env{"ENVIRONMENT": "test", "TELEMETRY_LOG_FORMAT": "json"})
	ctx, s := tel.TracerProvider().Tracer("t").Start(context.Background(), "op")
	tel.Logger().InfoContext(ctx, "inside", "k", "v")
	s.End()
	tel.Logger().InfoContext(context.Background(), "outside")

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	var inside, outside map[string]any
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
		switch m["msg"] {
		case "inside":
			inside = m
		case "outside":
			outside = m
		}
	}
	sc := s.SpanContext()
	if inside["trace_id"] != sc.TraceID().String() || inside["span_id"] != sc.SpanID().String() || inside["k"] != "v" {
		t.Errorf("inside = %v, want trace_id %s span_id %s", inside, sc.TraceID(), sc.SpanID())
	}
	if _, ok := outside["trace_id"]; ok || outside == nil {
		t.Errorf("outside = %v, want a record without trace_id", outside)
	}
}

func TestSDKDisabledReturnsAWorkingHandle(t *testing.T) {
	tel, _ := initEnv(t, env{"OTEL_SDK_DISABLED": "true", "TELEMETRY_BACKEND": "jaeger"})
	ctx, s := tel.TracerProvider().Tracer("t").Start(context.Background(), "op")
	if s.SpanContext().IsValid() || s.IsRecording() {
		t.Error("a disabled SDK made a real span")
	}
	// Context still propagates through the service.
	parent := trace.NewSpanContext(trace.SpanContextConfig{TraceID: [16]byte{1}, SpanID: [8]byte{2}, TraceFlags: trace.FlagsSampled})
	carrier := propagation.MapCarrier{}
	tel.Propagator().Inject(trace.ContextWithSpanContext(ctx, parent), carrier)
	if carrier["traceparent"] == "" {
		t.Error("no traceparent injected with the SDK disabled")
	}
	if !tel.Config().SDKDisabled || tel.ForceFlush(context.Background()) != nil || len(tel.Stats()) != 0 {
		t.Errorf("config %+v", tel.Config())
	}
}

func TestConfigIsPrintable(t *testing.T) {
	const canary = "canary-header-value-7f3a"
	tel, _ := initEnv(t, env{
		"TELEMETRY_BACKEND":          "otlp",
		"OTEL_EXPORTER_OTLP_HEADERS": "x-api-key=" + canary,
		"OTEL_SERVICE_NAME":          "books",
		"TELEMETRY_SHUTDOWN_TIMEOUT": "3s",
	})
	c := tel.Config()
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{c.String(), string(js), fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c)} {
		if strings.Contains(out, canary) {
			t.Fatalf("config output leaks the header value: %s", out)
		}
	}
	var back map[string]any
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if back["service_name"] != "books" || back["shutdown_timeout"] != "3s" || back["backends"].([]any)[0] != "otlp" {
		t.Errorf("config JSON = %s", js)
	}
	if !strings.Contains(string(js), `"otel_exporter_otlp_headers":"[REDACTED]"`) {
		t.Errorf("config JSON does not show the headers as redacted: %s", js)
	}
}

func TestForceFlushDeliversAtOnce(t *testing.T) {
	for _, compression := range []string{"none", "gzip"} {
		t.Run(compression, func(t *testing.T) {
			live, srv := otlptest.NewHTTP(t)
			tel, _ := initEnv(t, env{"ENVIRONMENT": "production", "TELEMETRY_BACKEND": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": srv.URL,
				"OTEL_EXPORTER_OTLP_COMPRESSION": compression, "TELEMETRY_METRICS": "false"})
			_, s := tel.TracerProvider().Tracer("t").Start(context.Background(), "op", trace.WithAttributes(attribute.Int("n", 1)))
			s.End()
			// Production batches for 5 s; ForceFlush must not wait for that.
			if err := tel.ForceFlush(context.Background()); err != nil {
				t.Fatal(err)
			}
			reqs := live.Requests()
			if len(reqs) != 1 || reqs[0].Gzip != (compression == "gzip") {
				t.Fatalf("after ForceFlush the receiver has %d requests (gzip %v)", len(reqs), len(reqs) > 0 && reqs[0].Gzip)
			}
			st := tel.Stats()[0]
			if st.SpansExported != 1 || st.Exports != 1 || st.BytesSent != int64(reqs[0].BodyBytes) {
				t.Errorf("stats = %+v, want 1 span exported and %d bytes sent", st, reqs[0].BodyBytes)
			}
		})
	}
}

// In a fan-out every vendor's correlation fields are logged, each once.
func TestLoggerCorrelatesForEveryBackend(t *testing.T) {
	key := env{"NEW_RELIC_LICENSE_KEY": "0123456789012345678901234567890123456789", "TELEMETRY_LOG_FORMAT": "json"}
	tests := []struct {
		backends string
		want     []string
		not      []string
	}{
		{"jaeger", []string{"trace_id", "span_id"}, []string{"trace.id"}},
		{"newrelic", []string{"trace.id", "span.id"}, []string{"trace_id"}},
		{"jaeger,newrelic,elastic", []string{"trace_id", "span_id", "trace.id", "span.id"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.backends, func(t *testing.T) {
			e := env{"TELEMETRY_BACKEND": tt.backends}
			for k, v := range key {
				e[k] = v
			}
			tel, logs := initEnv(t, e)
			logs.Reset() // the startup line
			ctx, s := tel.TracerProvider().Tracer("t").Start(context.Background(), "op")
			tel.Logger().InfoContext(ctx, "inside")
			s.End()
			var rec map[string]any
			if err := json.Unmarshal(logs.Bytes(), &rec); err != nil {
				t.Fatalf("log = %q: %v", logs.String(), err)
			}
			for _, k := range tt.want {
				if rec[k] == nil {
					t.Errorf("record %v has no %s", rec, k)
				}
			}
			for _, k := range tt.not {
				if rec[k] != nil {
					t.Errorf("record %v has %s", rec, k)
				}
			}
			if n := strings.Count(logs.String(), `"trace_id"`); n > 1 {
				t.Errorf("trace_id logged %d times", n)
			}
		})
	}
}
