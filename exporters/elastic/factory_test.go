package elastic_test

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	collectormetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	"google.golang.org/protobuf/proto"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/exporters/elastic"
	"github.com/otelswitch/otelswitch/internal/otlptest"
)

func settings(e env) exporters.Settings {
	return exporters.Settings{
		Environment: "development",
		Lookup:      e.Lookup,
		Resource: resource.NewSchemaless(semconv.ServiceName("books"),
			semconv.DeploymentEnvironmentNameKey.String("development")),
		ServiceName:   "books",
		Batch:         exporters.Batch{Delay: 20 * time.Millisecond, MaxQueue: 4096, MaxExport: 512},
		ExportTimeout: 5 * time.Second,
		Logger:        slog.New(slog.DiscardHandler),
	}
}

func run(t *testing.T, s exporters.Settings) (*exporters.Backend, *tracetest.SpanRecorder) {
	t.Helper()
	b, err := elastic.Factory{}.New(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithResource(s.Resource), sdktrace.WithSpanProcessor(b.SpanProcessor), sdktrace.WithSpanProcessor(rec))
	_, span := tp.Tracer("test").Start(context.Background(), "GET /books")
	span.End()
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	return b, rec
}

func TestDetect(t *testing.T) {
	f := elastic.Factory{}
	if f.Detect(env{}.Lookup) || f.Detect(env{"ELASTIC_APM_SERVER_URL": ""}.Lookup) {
		t.Error("detected without a server URL")
	}
	if !f.Detect(env{"ELASTIC_APM_SERVER_URL": "https://apm.example:8200"}.Lookup) {
		t.Error("not detected with a server URL")
	}
}

func TestSendsSecretTokenOverGRPC(t *testing.T) {
	recv, addr := otlptest.NewGRPC(t)
	b, _ := run(t, settings(env{"ELASTIC_APM_SERVER_URL": "http://" + addr, "ELASTIC_APM_SECRET_TOKEN": "tok"}))
	reqs := recv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	if got := reqs[0].Headers["authorization"]; len(got) != 1 || got[0] != "Bearer tok" {
		t.Errorf("authorization = %q, want Bearer and the token", got)
	}
	if st := b.Stats.Snapshot(); st.SpansExported != 1 || st.BytesSent == 0 {
		t.Errorf("stats = %+v", st)
	}
}

func TestSendsAPIKeyOverHTTP(t *testing.T) {
	recv, srv := otlptest.NewHTTP(t)
	run(t, settings(env{"ELASTIC_APM_SERVER_URL": srv.URL, "ELASTIC_APM_API_KEY": "aWQ6a2V5", "ELASTIC_OTLP_PROTOCOL": "http/protobuf"}))
	reqs := recv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	if got := reqs[0].Headers["authorization"]; len(got) != 1 || got[0] != "ApiKey aWQ6a2V5" {
		t.Errorf("authorization = %q, want ApiKey and the key", got)
	}
}

func TestRefusesPlaintextToRemoteHostInProduction(t *testing.T) {
	s := settings(env{"ELASTIC_APM_SERVER_URL": "http://apm.example:8200", "ELASTIC_APM_SECRET_TOKEN": "tok"})
	s.Environment, s.Strict, s.Metrics = "production", true, true
	_, err := elastic.Factory{}.New(context.Background(), s)
	if err == nil || !strings.Contains(err.Error(), `ELASTIC_APM_SERVER_URL="http://apm.example:8200": plaintext to a host that is not loopback is refused`) {
		t.Fatalf("err = %v; want the TLS policy naming ELASTIC_APM_SERVER_URL", err)
	}
	// Loopback stays allowed, for a local collector or APM Server.
	s.Lookup = env{"ELASTIC_APM_SERVER_URL": "http://127.0.0.1:8200", "ELASTIC_APM_SECRET_TOKEN": "tok"}.Lookup
	b, err := elastic.Factory{}.New(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	_ = b.SpanProcessor.Shutdown(context.Background())
	_ = b.MetricReader.Shutdown(context.Background())
}

func resourceAttrs(t *testing.T, recv *otlptest.Receiver) map[string]string {
	t.Helper()
	reqs := recv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	attrs := map[string]string{}
	for _, kv := range reqs[0].Spans[0].Resource.Attributes {
		attrs[kv.Key] = kv.Value.GetStringValue()
	}
	return attrs
}

func TestServiceAndEnvironment(t *testing.T) {
	tests := []struct {
		name     string
		resource *resource.Resource
		env      env
		want     map[string]string
	}{
		{"environment from ENVIRONMENT under both keys",
			resource.NewSchemaless(semconv.ServiceName("books"), semconv.DeploymentEnvironmentNameKey.String("staging")),
			env{},
			map[string]string{"service.name": "books", "deployment.environment": "staging", "deployment.environment.name": "staging"}},
		{"ELASTIC_APM_ENVIRONMENT overrides it for Elastic",
			resource.NewSchemaless(semconv.ServiceName("books"), semconv.DeploymentEnvironmentNameKey.String("production")),
			env{"ELASTIC_APM_ENVIRONMENT": "prod-eu"},
			map[string]string{"deployment.environment": "prod-eu", "deployment.environment.name": "prod-eu"}},
		{"deployment.environment from OTEL_RESOURCE_ATTRIBUTES is kept",
			resource.NewSchemaless(semconv.ServiceName("books"), semconv.DeploymentEnvironmentNameKey.String("production"), attribute.String("deployment.environment", "prod-us")),
			env{},
			map[string]string{"deployment.environment": "prod-us", "deployment.environment.name": "production"}},
		{"ELASTIC_APM_SERVICE_NAME names an unnamed service",
			resource.NewSchemaless(semconv.ServiceName("unknown_service:books")),
			env{"ELASTIC_APM_SERVICE_NAME": "books-elastic"},
			map[string]string{"service.name": "books-elastic"}},
		{"but not a named one",
			resource.NewSchemaless(semconv.ServiceName("books")),
			env{"ELASTIC_APM_SERVICE_NAME": "books-elastic"},
			map[string]string{"service.name": "books"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recv, addr := otlptest.NewGRPC(t)
			e := env{"ELASTIC_APM_SERVER_URL": "http://" + addr}
			for k, v := range tt.env {
				e[k] = v
			}
			s := settings(e)
			s.Resource = tt.resource
			_, rec := run(t, s)
			got := resourceAttrs(t, recv)
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q (resource %v)", k, got[k], v, got)
				}
			}
			for _, kv := range tt.resource.Attributes() {
				if got, _ := rec.Ended()[0].Resource().Set().Value(kv.Key); got != kv.Value {
					t.Errorf("other processors see %s=%s; want it unchanged", kv.Key, got.String())
				}
			}
			_, had := tt.resource.Set().Value("deployment.environment")
			if _, has := rec.Ended()[0].Resource().Set().Value("deployment.environment"); has != had {
				t.Error("other processors see deployment.environment added")
			}
		})
	}
}

func TestMetricsAreDeltaWithAuthorization(t *testing.T) {
	var mu sync.Mutex
	var auth []string
	var reqs []*collectormetrics.ExportMetricsServiceRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			body, _ = gzip.NewReader(r.Body)
		}
		data, _ := io.ReadAll(body)
		if r.URL.Path == "/v1/metrics" {
			var msg collectormetrics.ExportMetricsServiceRequest
			if err := proto.Unmarshal(data, &msg); err == nil {
				mu.Lock()
				auth = append(auth, r.Header.Get("Authorization"))
				reqs = append(reqs, &msg)
				mu.Unlock()
			}
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer srv.Close()
	s := settings(env{"ELASTIC_APM_SERVER_URL": srv.URL, "ELASTIC_APM_SECRET_TOKEN": "tok", "ELASTIC_OTLP_PROTOCOL": "http/protobuf"})
	s.Metrics, s.MetricInterval = true, time.Hour
	b, err := elastic.Factory{}.New(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	defer b.SpanProcessor.Shutdown(context.Background())
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithResource(s.Resource), sdkmetric.WithReader(b.MetricReader))
	hist, _ := mp.Meter("test").Float64Histogram("request.duration")
	hist.Record(context.Background(), 0.25)
	if err := mp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(reqs) == 0 {
		t.Fatal("no metrics arrived")
	}
	if auth[0] != "Bearer tok" {
		t.Errorf("authorization = %q", auth[0])
	}
	rm := reqs[0].ResourceMetrics[0]
	h := rm.ScopeMetrics[0].Metrics[0].GetHistogram()
	if h == nil || h.AggregationTemporality != metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA {
		t.Errorf("histogram = %v; want delta", rm.ScopeMetrics[0].Metrics[0])
	}
	found := false
	for _, kv := range rm.Resource.Attributes {
		found = found || (kv.Key == "deployment.environment" && kv.Value.GetStringValue() == "development")
	}
	if !found {
		t.Error("metrics resource lacks deployment.environment")
	}
}

const (
	canaryToken = "CANARY-TOKEN-5f2b"
	canaryKey   = "CANARY-APIKEY-9c1d"
)

func TestCredentialsAreNeverPrinted(t *testing.T) {
	for _, bad := range []env{
		{"ELASTIC_APM_SECRET_TOKEN": canaryToken, "ELASTIC_APM_API_KEY": canaryKey, "ELASTIC_APM_SERVER_URL": "nope", "ELASTIC_OTLP_PROTOCOL": "x"},
		{"ELASTIC_APM_SECRET_TOKEN": canaryToken + "\r\nX: y", "ELASTIC_APM_SERVER_URL": "https://user:" + canaryKey + "@apm.example"},
		{"ELASTIC_APM_SERVER_URL": "ftp://user:" + canaryKey + "@apm.example"},
		{"ELASTIC_APM_SERVER_URL": "user:" + canaryKey + "@apm.example:8200"},
		{"ELASTIC_APM_SERVER_URL": "https://user:" + canaryKey + "@"},
	} {
		s := settings(bad)
		s.Strict = true
		_, err := elastic.Factory{}.New(context.Background(), s)
		if err == nil || strings.Contains(err.Error(), "CANARY") {
			t.Fatalf("error = %v; want an error without the credentials", err)
		}
	}
	for _, good := range []env{
		{"ELASTIC_APM_SECRET_TOKEN": canaryToken},
		{"ELASTIC_APM_API_KEY": canaryKey},
	} {
		b, err := elastic.Factory{}.New(context.Background(), settings(good))
		if err != nil {
			t.Fatal(err)
		}
		_ = b.SpanProcessor.Shutdown(context.Background())
		c, _ := fromEnv(good.Lookup, false)
		tr, _, _ := c.Targets(false)
		js, _ := json.Marshal(b.Config)
		for _, out := range []string{
			fmt.Sprintf("%v", b.Config), fmt.Sprintf("%+v", b.Config), fmt.Sprintf("%#v", b.Config),
			fmt.Sprintf("%+v", tr), fmt.Sprintf("%d %x", c.SecretToken, c.APIKey), string(js),
		} {
			if strings.Contains(out, "CANARY") {
				t.Errorf("a credential was printed: %s", out)
			}
		}
	}
}
