package otlp_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	collectormetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	"google.golang.org/protobuf/proto"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/exporters/otlp"
)

// resources records the resource of every span and metric export posted to
// it over OTLP/HTTP, by signal path.
type resources struct {
	mu     sync.Mutex
	byPath map[string][]*resourcepb.Resource
}

func (rs *resources) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var got []*resourcepb.Resource
	switch r.URL.Path {
	case otlp.TracesPath:
		var msg collectortrace.ExportTraceServiceRequest
		_ = proto.Unmarshal(body, &msg)
		for _, s := range msg.ResourceSpans {
			got = append(got, s.Resource)
		}
	case otlp.MetricsPath:
		var msg collectormetrics.ExportMetricsServiceRequest
		_ = proto.Unmarshal(body, &msg)
		for _, m := range msg.ResourceMetrics {
			got = append(got, m.Resource)
		}
	}
	rs.mu.Lock()
	rs.byPath[r.URL.Path] = append(rs.byPath[r.URL.Path], got...)
	rs.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-protobuf")
}

func (rs *resources) team(path string) []string {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	var teams []string
	for _, r := range rs.byPath[path] {
		team := ""
		for _, kv := range r.Attributes {
			if kv.Key == "team" {
				team = kv.Value.GetStringValue()
			}
		}
		teams = append(teams, team)
	}
	return teams
}

func TestPipelineResourceRewritesSpansAndMetricsOfItsBackendOnly(t *testing.T) {
	rs := &resources{byPath: map[string][]*resourcepb.Resource{}}
	srv := httptest.NewServer(rs)
	defer srv.Close()
	base, _ := url.Parse(srv.URL)
	tr := otlp.Target{Protocol: otlp.HTTPProtobuf, URL: otlp.JoinPath(base, otlp.TracesPath), Compression: otlp.None, EndpointVar: "TEST_ENDPOINT"}
	mt := tr
	mt.URL = otlp.JoinPath(base, otlp.MetricsPath)

	res := resource.NewSchemaless(attribute.String("service.name", "books"))
	var rewrites atomic.Int32
	var wrapped []string
	var wrappedMu sync.Mutex
	p := otlp.Pipeline{
		Traces:  tr,
		Metrics: &mt,
		Wrap: func(e sdktrace.SpanExporter) sdktrace.SpanExporter {
			return spanFunc{e, func(spans []sdktrace.ReadOnlySpan) {
				wrappedMu.Lock()
				defer wrappedMu.Unlock()
				for _, s := range spans {
					v, _ := s.Resource().Set().Value("team")
					wrapped = append(wrapped, v.AsString())
				}
			}}
		},
		Resource: func(r *resource.Resource) *resource.Resource {
			rewrites.Add(1)
			return resource.NewSchemaless(append(r.Attributes(), attribute.String("team", "shelf"))...)
		},
	}
	s := exporters.Settings{
		Environment:    "development",
		Resource:       res,
		Batch:          exporters.Batch{Delay: 20 * time.Millisecond, MaxQueue: 64, MaxExport: 64},
		ExportTimeout:  5 * time.Second,
		Metrics:        true,
		MetricInterval: time.Hour,
		Logger:         slog.New(slog.DiscardHandler),
	}
	b, err := otlp.NewBackend(context.Background(), "test", nil, p, s)
	if err != nil {
		t.Fatal(err)
	}
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithSpanProcessor(b.SpanProcessor), sdktrace.WithSpanProcessor(rec))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithResource(res), sdkmetric.WithReader(b.MetricReader))
	for range 3 {
		_, span := tp.Tracer("test").Start(context.Background(), "GET /books")
		span.End()
	}
	counter, _ := mp.Meter("test").Int64Counter("requests")
	counter.Add(context.Background(), 1)
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := mp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	for _, path := range []string{otlp.TracesPath, otlp.MetricsPath} {
		teams := rs.team(path)
		if len(teams) == 0 {
			t.Fatalf("nothing arrived at %s", path)
		}
		for _, team := range teams {
			if team != "shelf" {
				t.Errorf("%s: resource team = %q, want the rewrite's", path, team)
			}
		}
	}
	// Each provider merges res into a resource of its own: one rewrite for
	// every span, one for the metrics.
	if n := rewrites.Load(); n != 2 {
		t.Errorf("the rewrite ran %d times for two resources, want twice", n)
	}
	wrappedMu.Lock()
	if len(wrapped) != 3 || wrapped[0] != "shelf" {
		t.Errorf("Wrap saw resources with team %q; want the rewrite's", wrapped)
	}
	wrappedMu.Unlock()
	for _, span := range rec.Ended() {
		if _, ok := span.Resource().Set().Value("team"); ok {
			t.Errorf("another processor sees resource %v; want the provider's", span.Resource())
		}
	}
}

// spanFunc calls seen with every export before passing it on.
type spanFunc struct {
	sdktrace.SpanExporter
	seen func([]sdktrace.ReadOnlySpan)
}

func (e spanFunc) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	e.seen(spans)
	return e.SpanExporter.ExportSpans(ctx, spans)
}
