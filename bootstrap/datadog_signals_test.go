package bootstrap_test

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/otelswitch/otelswitch/internal/otlptest"
)

// In native mode the application's metrics go to the Agent's OTLP ingest
// instead of nowhere, logs stay on the local output with dd.* fields, and
// Config says so.
func TestDatadogNativeSendsMetricsOverOTLP(t *testing.T) {
	_, srv := otlptest.NewHTTP(t)
	tel, _ := initEnv(t, env{
		"TELEMETRY_BACKEND":               "datadog",
		"DD_TRACE_AGENT_URL":              okAgent(t),
		"DATADOG_OTLP_ENDPOINT":           srv.URL,
		"DATADOG_OTLP_PROTOCOL":           "http/protobuf",
		"DD_RUNTIME_METRICS_ENABLED":      "false",
		"TELEMETRY_RUNTIME_METRICS":       "false",
		"DD_REMOTE_CONFIGURATION_ENABLED": "false",
		"TELEMETRY_LOGS":                  "both",
	})
	c, _ := tel.MeterProvider().Meter("t").Int64Counter("books.created")
	c.Add(context.Background(), 2, metric.WithAttributes())
	if err := tel.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := tel.Stats()[0]
	if st.Metrics.Exported != 1 || st.Metrics.FailedExports != 0 || st.Metrics.BytesSent == 0 {
		t.Errorf("Stats().Metrics = %+v, want the one data point exported", st.Metrics)
	}
	s := tel.Config().Signals["datadog"]
	if s.Metrics != "exported" || !strings.Contains(s.Logs, "dd.*") || tel.LoggerProvider() != nil {
		t.Errorf("Config().Signals[datadog] = %+v, LoggerProvider %v; want metrics exported, logs on stdout", s, tel.LoggerProvider())
	}
}

// DD_RUNTIME_METRICS_ENABLED sends dd-trace-go's runtime metrics to
// DogStatsD (DD_DOGSTATSD_URL).
func TestDatadogNativeRuntimeMetricsToDogStatsD(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: dd-trace-go reports runtime metrics every 10 s")
	}
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	var mu sync.Mutex
	var got strings.Builder
	go func() {
		buf := make([]byte, 65536)
		for {
			n, _, err := conn.ReadFrom(buf)
			if err != nil {
				return
			}
			mu.Lock()
			got.Write(buf[:n])
			got.WriteByte('\n')
			mu.Unlock()
		}
	}()
	tel, _ := initEnv(t, env{
		"TELEMETRY_BACKEND":               "datadog",
		"DD_TRACE_AGENT_URL":              okAgent(t),
		"DD_RUNTIME_METRICS_ENABLED":      "true",
		"DD_DOGSTATSD_URL":                "udp://" + conn.LocalAddr().String(),
		"DD_SERVICE":                      "books-dd-runtime",
		"TELEMETRY_METRICS":               "false",
		"DD_REMOTE_CONFIGURATION_ENABLED": "false",
	})
	_, span := tel.TracerProvider().Tracer("t").Start(context.Background(), "op")
	span.End()
	deadline := time.Now().Add(25 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		s := got.String()
		mu.Unlock()
		if strings.Contains(s, "runtime.go.num_goroutine") && strings.Contains(s, "service:books-dd-runtime") {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	t.Fatalf("no runtime.go.num_goroutine for service books-dd-runtime reached DogStatsD; got:\n%.2000s", got.String())
}

func TestDatadogStatsdURLRejected(t *testing.T) {
	err := initErr(env{"TELEMETRY_BACKEND": "datadog", "DD_DOGSTATSD_URL": "tcp://agent:8125"})
	if err == nil || !strings.Contains(err.Error(), `DD_DOGSTATSD_URL="tcp://agent:8125": want host:port or udp://host:port`) {
		t.Errorf("Init = %v", err)
	}
}
