package testing_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/bootstrap"
	greeter "github.com/otelswitch/otelswitch/examples/testing"
)

func TestGreeterTelemetry(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	tel, err := bootstrap.Init(context.Background(),
		bootstrap.WithEnvironment("test"),                                         // backend none; spans kept in tel.Recorder()
		bootstrap.WithLookupEnv(func(string) (string, bool) { return "", false }), // not the process environment
		bootstrap.WithServiceName("greeter"),
		bootstrap.WithMetricReader(reader),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })

	g, err := greeter.NewGreeter(tel.MeterProvider())
	if err != nil {
		t.Fatal(err)
	}
	h := otelhttp.NewHandler(g, "GET /hello", otelhttp.WithTracerProvider(tel.TracerProvider()))
	for _, q := range []string{"", "?name=ada"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/hello"+q, nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET /hello%s = %d", q, rec.Code)
		}
	}

	// Spans: each request's server span with the handler's child inside.
	spans := tel.Recorder().Ended()
	var server, greet int
	for _, s := range spans {
		switch {
		case s.SpanKind() == trace.SpanKindServer:
			server++
		case s.Name() == "greet":
			greet++
			if !s.Parent().IsValid() {
				t.Errorf("greet has no parent; want the server span")
			}
		}
	}
	if server != 2 || greet != 2 {
		t.Errorf("got %d server and %d greet spans, want 2 each: %v", server, greet, names(spans))
	}

	// Metrics: collected from the reader the test passed in.
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	if got := counterSum(rm, "greetings"); got != 2 {
		t.Errorf("greetings = %d, want 2", got)
	}
}

func counterSum(rm metricdata.ResourceMetrics, name string) int64 {
	var total int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if sum, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == name {
				for _, dp := range sum.DataPoints {
					total += dp.Value
				}
			}
		}
	}
	return total
}

func names(spans []sdktrace.ReadOnlySpan) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name())
	}
	return out
}
