package newrelic_test

import (
	"bytes"
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
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	collectormetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/exporters/newrelic"
	"github.com/otelswitch/otelswitch/internal/otlptest"
)

func settings(e env) exporters.Settings {
	return exporters.Settings{
		Environment:   "development",
		Lookup:        e.Lookup,
		Resource:      resource.NewSchemaless(semconv.ServiceName("books")),
		ServiceName:   "books",
		Batch:         exporters.Batch{Delay: 20 * time.Millisecond, MaxQueue: 4096, MaxExport: 512},
		ExportTimeout: 5 * time.Second,
		Logger:        slog.New(slog.DiscardHandler),
	}
}

// run builds the backend from s, starts one provider with it and a recorder
// beside it, calls fn with a tracer, and shuts the provider down, which
// flushes the backend.
func run(t *testing.T, s exporters.Settings, fn func(trace.Tracer)) (*exporters.Backend, *tracetest.SpanRecorder) {
	t.Helper()
	b, err := newrelic.Factory{}.New(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithResource(s.Resource), sdktrace.WithSpanProcessor(b.SpanProcessor), sdktrace.WithSpanProcessor(rec))
	fn(tp.Tracer("test"))
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	return b, rec
}

func TestDetect(t *testing.T) {
	if (newrelic.Factory{}).Detect(env{}.Lookup) {
		t.Error("detected without a licence key")
	}
	if (newrelic.Factory{}).Detect(env{"NEW_RELIC_LICENSE_KEY": ""}.Lookup) {
		t.Error("detected with an empty licence key")
	}
	if !(newrelic.Factory{}).Detect(env{"NEW_RELIC_LICENSE_KEY": key}.Lookup) {
		t.Error("not detected with a licence key")
	}
}

func TestSendsLicenceKeyWithGzipOverHTTP(t *testing.T) {
	recv, srv := otlptest.NewHTTP(t)
	b, _ := run(t, settings(env{"NEW_RELIC_LICENSE_KEY": key, "NEW_RELIC_OTLP_ENDPOINT": srv.URL}), func(tr trace.Tracer) {
		_, span := tr.Start(context.Background(), "GET /books")
		span.End()
	})
	reqs := recv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	if got := reqs[0].Headers["api-key"]; len(got) != 1 || got[0] != key {
		t.Errorf("api-key header = %q, want the licence key", got)
	}
	if !reqs[0].Gzip {
		t.Error("body not gzip-encoded")
	}
	if st := b.Stats.Snapshot(); st.SpansExported != 1 {
		t.Errorf("stats = %+v; want 1 span exported", st)
	}
}

func TestSendsLicenceKeyOverGRPC(t *testing.T) {
	recv, addr := otlptest.NewGRPC(t)
	run(t, settings(env{"NEW_RELIC_LICENSE_KEY": key, "NEW_RELIC_OTLP_PROTOCOL": "grpc", "NEW_RELIC_OTLP_ENDPOINT": "http://" + addr}), func(tr trace.Tracer) {
		_, span := tr.Start(context.Background(), "GET /books")
		span.End()
	})
	reqs := recv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	if got := reqs[0].Headers["api-key"]; len(got) != 1 || got[0] != key {
		t.Errorf("api-key metadata = %q, want the licence key", got)
	}
}

func TestRefusesPlaintextToRemoteHostInProduction(t *testing.T) {
	s := settings(env{"NEW_RELIC_LICENSE_KEY": key, "NEW_RELIC_OTLP_ENDPOINT": "http://collector.example:4318"})
	s.Environment, s.Strict, s.Metrics = "production", true, true
	_, err := newrelic.Factory{}.New(context.Background(), s)
	if err == nil || !strings.Contains(err.Error(), `NEW_RELIC_OTLP_ENDPOINT="http://collector.example:4318":`) ||
		!strings.Contains(err.Error(), "plaintext to a host that is not loopback is refused") {
		t.Fatalf("err = %v; want the TLS policy naming NEW_RELIC_OTLP_ENDPOINT", err)
	}
	s.AllowInsecure = true
	b, err := newrelic.Factory{}.New(context.Background(), s)
	if err != nil {
		t.Fatalf("TELEMETRY_ALLOW_INSECURE must allow it: %v", err)
	}
	_ = b.SpanProcessor.Shutdown(context.Background())
	_ = b.MetricReader.Shutdown(context.Background())
}

func TestAppNameIsAFallback(t *testing.T) {
	tests := []struct {
		name, resourceName, appName, want string
	}{
		{"unknown service takes the app name", "unknown_service:books", "books-nr;all-apps", "books-nr"},
		{"a named service keeps its name", "books", "books-nr", "books"},
		{"no app name", "unknown_service:books", "", "unknown_service:books"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recv, srv := otlptest.NewHTTP(t)
			s := settings(env{"NEW_RELIC_LICENSE_KEY": key, "NEW_RELIC_OTLP_ENDPOINT": srv.URL, "NEW_RELIC_APP_NAME": tt.appName})
			s.Resource = resource.NewSchemaless(semconv.ServiceName(tt.resourceName), attribute.String("team", "shelf"))
			_, rec := run(t, s, func(tr trace.Tracer) {
				_, span := tr.Start(context.Background(), "op")
				span.End()
			})
			reqs := recv.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			attrs := map[string]string{}
			for _, kv := range reqs[0].Spans[0].Resource.Attributes {
				attrs[kv.Key] = kv.Value.GetStringValue()
			}
			if attrs["service.name"] != tt.want || attrs["team"] != "shelf" {
				t.Errorf("resource = %v; want service.name %q and the other attributes kept", attrs, tt.want)
			}
			if got, _ := rec.Ended()[0].Resource().Set().Value(semconv.ServiceNameKey); got.AsString() != tt.resourceName {
				t.Errorf("other processors see service.name %q, want %q unchanged", got.AsString(), tt.resourceName)
			}
		})
	}
}

func TestKeepsLimitsForNewRelicOnly(t *testing.T) {
	recv, srv := otlptest.NewHTTP(t)
	long := strings.Repeat("é", 3000) // 6000 bytes
	longName := strings.Repeat("k", 256)
	many := make([]string, 100)
	_, rec := run(t, settings(env{"NEW_RELIC_LICENSE_KEY": key, "NEW_RELIC_OTLP_ENDPOINT": srv.URL}), func(tr trace.Tracer) {
		_, span := tr.Start(context.Background(), "op", trace.WithAttributes(
			attribute.String("db.query.text", long),
			attribute.String(longName, "x"),
			attribute.StringSlice("tags", many),
			attribute.Int64Slice("ids", make([]int64, 65)),
			attribute.Int("ok", 1),
		))
		span.AddEvent("exception", trace.WithAttributes(attribute.String("exception.stacktrace", long)))
		span.End()
	})
	reqs := recv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	got := reqs[0].Spans[0].ScopeSpans[0].Spans[0]
	attrs := map[string]int{}
	for _, kv := range got.Attributes {
		switch v := kv.Value; {
		case v.GetArrayValue() != nil:
			attrs[kv.Key] = len(v.GetArrayValue().Values)
		default:
			attrs[kv.Key] = len(v.GetStringValue())
			if !utf8.ValidString(v.GetStringValue()) {
				t.Errorf("%s is not valid UTF-8 after the cut", kv.Key)
			}
		}
	}
	if n := attrs["db.query.text"]; n == 0 || n > 4095 {
		t.Errorf("db.query.text is %d bytes, want at most 4095", n)
	}
	if _, ok := attrs[longName]; ok {
		t.Error("an attribute name over 255 bytes was sent")
	}
	if attrs["tags"] != 64 || attrs["ids"] != 64 {
		t.Errorf("arrays hold %d and %d entries, want 64", attrs["tags"], attrs["ids"])
	}
	if _, ok := attrs["ok"]; !ok {
		t.Error("an attribute within the limits was lost")
	}
	if got.DroppedAttributesCount != 1 {
		t.Errorf("dropped attributes = %d, want 1", got.DroppedAttributesCount)
	}
	if n := len(got.Events[0].Attributes[0].Value.GetStringValue()); n > 4095 {
		t.Errorf("event attribute is %d bytes, want at most 4095", n)
	}
	// The other processor on the same provider sees the whole span.
	full := rec.Ended()[0]
	if len(full.Attributes()) != 5 || len(full.Attributes()[0].Value.AsString()) != len(long) {
		t.Error("the limits changed the span other backends see")
	}
}

func TestSplitsExportsUnderOneMegabyte(t *testing.T) {
	recv, srv := otlptest.NewHTTP(t)
	const spans = 40
	value := strings.Repeat("v", 4000)
	b, _ := run(t, settings(env{"NEW_RELIC_LICENSE_KEY": key, "NEW_RELIC_OTLP_ENDPOINT": srv.URL}), func(tr trace.Tracer) {
		for i := range spans {
			attrs := make([]attribute.KeyValue, 0, 20)
			for j := range 20 {
				attrs = append(attrs, attribute.String(fmt.Sprintf("attr.%d", j), value))
			}
			_, span := tr.Start(context.Background(), fmt.Sprintf("span-%d", i), trace.WithAttributes(attrs...))
			span.End()
		}
	})
	reqs := recv.Requests()
	if len(reqs) < 2 {
		t.Fatalf("%d requests for about 3.2 MB of spans; want the export split", len(reqs))
	}
	seen := map[string]bool{}
	for i, req := range reqs {
		size := proto.Size(&collectortrace.ExportTraceServiceRequest{ResourceSpans: req.Spans})
		if size >= 1_000_000 {
			t.Errorf("request %d is %d bytes before compression; New Relic takes less than 1 MB", i, size)
		}
		for _, name := range spanNames(req.Spans) {
			seen[name] = true
		}
	}
	if len(seen) != spans {
		t.Errorf("%d distinct spans arrived, want %d", len(seen), spans)
	}
	if st := b.Stats.Snapshot(); st.SpansExported != spans || st.SpansDropped != 0 {
		t.Errorf("stats = %+v; want every span exported", st)
	}
}

func spanNames(rss []*tracepb.ResourceSpans) []string {
	var names []string
	for _, rs := range rss {
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				names = append(names, s.Name)
			}
		}
	}
	return names
}

// metricsReceiver records OTLP/HTTP metric exports.
type metricsReceiver struct {
	mu       sync.Mutex
	headers  []http.Header
	requests []*collectormetrics.ExportMetricsServiceRequest
}

func newMetricsReceiver(t *testing.T) (*metricsReceiver, *httptest.Server) {
	r := &metricsReceiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var body io.Reader = req.Body
		if req.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(req.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = zr
		}
		data, _ := io.ReadAll(body)
		var msg collectormetrics.ExportMetricsServiceRequest
		if req.URL.Path == "/v1/metrics" {
			if err := proto.Unmarshal(data, &msg); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			r.mu.Lock()
			r.headers = append(r.headers, req.Header.Clone())
			r.requests = append(r.requests, &msg)
			r.mu.Unlock()
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
		out, _ := proto.Marshal(&collectormetrics.ExportMetricsServiceResponse{})
		_, _ = io.Copy(w, bytes.NewReader(out))
	}))
	t.Cleanup(srv.Close)
	return r, srv
}

func TestMetricsAreDeltaWithTheLicenceKey(t *testing.T) {
	recv, srv := newMetricsReceiver(t)
	s := settings(env{"NEW_RELIC_LICENSE_KEY": key, "NEW_RELIC_OTLP_ENDPOINT": srv.URL})
	s.Metrics, s.MetricInterval = true, time.Hour
	s.Resource = resource.NewSchemaless(semconv.ServiceName("unknown_service:x"))
	s.Lookup = env{"NEW_RELIC_LICENSE_KEY": key, "NEW_RELIC_OTLP_ENDPOINT": srv.URL, "NEW_RELIC_APP_NAME": "books"}.Lookup
	b, err := newrelic.Factory{}.New(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	defer b.SpanProcessor.Shutdown(context.Background())
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithResource(s.Resource), sdkmetric.WithReader(b.MetricReader))
	counter, _ := mp.Meter("test").Int64Counter("books.sold")
	counter.Add(context.Background(), 3)
	if err := mp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	recv.mu.Lock()
	defer recv.mu.Unlock()
	if len(recv.requests) == 0 {
		t.Fatal("no metrics arrived")
	}
	if got := recv.headers[0].Get("Api-Key"); got != key {
		t.Errorf("api-key header = %q, want the licence key", got)
	}
	rm := recv.requests[0].ResourceMetrics[0]
	for _, kv := range rm.Resource.Attributes {
		if kv.Key == "service.name" && kv.Value.GetStringValue() != "books" {
			t.Errorf("metrics resource service.name = %q, want the NEW_RELIC_APP_NAME fallback", kv.Value.GetStringValue())
		}
	}
	sum := rm.ScopeMetrics[0].Metrics[0].GetSum()
	if sum == nil || sum.AggregationTemporality != metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA {
		t.Errorf("counter = %v; want a delta sum", rm.ScopeMetrics[0].Metrics[0])
	}
}

// canary is a licence key that must never be printed.
const canary = "CANARY0123456789abcdef0123456789abcdNRAL"

func TestLicenceKeyIsNeverPrinted(t *testing.T) {
	bad := env{"NEW_RELIC_LICENSE_KEY": canary, "NEW_RELIC_REGION": "mars", "NEW_RELIC_OTLP_PROTOCOL": "x", "NEW_RELIC_OTLP_ENDPOINT": "::"}
	_, err := newrelic.Factory{}.New(context.Background(), settings(bad))
	if err == nil || strings.Contains(err.Error(), canary) {
		t.Fatalf("error = %v; want an error without the key", err)
	}
	for _, endpoint := range []string{"ftp://u:CANARY@h", "https://u:CANARY@", "u:CANARY@h:4318", "https://u:CANARY@h:99999"} {
		_, err := newrelic.Factory{}.New(context.Background(), settings(env{"NEW_RELIC_LICENSE_KEY": key, "NEW_RELIC_OTLP_ENDPOINT": endpoint}))
		if err == nil || strings.Contains(err.Error(), "CANARY") {
			t.Errorf("NEW_RELIC_OTLP_ENDPOINT=%s: error = %v; want an error without the password", endpoint, err)
		}
	}
	withNewline := env{"NEW_RELIC_LICENSE_KEY": canary + "\r\nX-Evil: 1"}
	if _, err := (newrelic.Factory{}).New(context.Background(), settings(withNewline)); err == nil || strings.Contains(err.Error(), "CANARY") {
		t.Fatalf("error = %v; want an error without the key", err)
	}

	b, err := newrelic.Factory{}.New(context.Background(), settings(env{"NEW_RELIC_LICENSE_KEY": canary}))
	if err != nil {
		t.Fatal(err)
	}
	defer b.SpanProcessor.Shutdown(context.Background())
	c, _ := fromEnv(env{"NEW_RELIC_LICENSE_KEY": canary}.Lookup)
	tr, mt, _ := c.Targets()
	js, _ := json.Marshal(b.Config)
	for _, out := range []string{
		fmt.Sprintf("%v", b.Config), fmt.Sprintf("%+v", b.Config), fmt.Sprintf("%#v", b.Config), fmt.Sprintf("%s", b.Config),
		fmt.Sprintf("%x", c.LicenseKey), fmt.Sprintf("%+v %+v", tr, mt), string(js),
	} {
		if strings.Contains(out, canary) || strings.Contains(out, "CANARY") {
			t.Errorf("the licence key was printed: %s", out)
		}
	}
	if !strings.Contains(string(js), `"license_key":"[REDACTED]"`) {
		t.Errorf("JSON = %s; want the key shown as [REDACTED]", js)
	}
}
