package bootstrap_test

import (
	"context"
	"io"
	"net"
	"testing"

	"github.com/otelswitch/otelswitch/bootstrap"
	"github.com/otelswitch/otelswitch/internal/otlptest"
)

// BenchmarkInit measures Init with every backend unreachable: one address
// that accepts and never answers, one that refuses connections. Init must
// not notice either, since it never waits on the network.
func BenchmarkInit(b *testing.B) {
	refused := closedPort(b)
	cases := []struct {
		name string
		env  env
	}{
		{"test-profile", env{"ENVIRONMENT": "test"}},
		{"unreachable", env{
			"TELEMETRY_BACKEND":                   "jaeger,otlp",
			"JAEGER_ENDPOINT":                     otlptest.Blackhole(b),
			"OTEL_EXPORTER_OTLP_ENDPOINT":         "http://" + refused,
			"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL": "grpc",
			"TELEMETRY_SHUTDOWN_TIMEOUT":          "50ms",
		}},
	}
	expired, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				tel, err := bootstrap.Init(context.Background(), bootstrap.WithLookupEnv(c.env.Lookup), bootstrap.WithoutGlobals(), bootstrap.WithLogOutput(io.Discard))
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				// Nothing is queued, but a final metrics export to an
				// unreachable backend would wait out the whole shutdown
				// timeout, untimed, on every iteration: over a minute per
				// run of `make bench`.
				_ = tel.Shutdown(expired)
				b.StartTimer()
			}
		})
	}
}

// closedPort returns a loopback address nothing listens on.
func closedPort(tb testing.TB) string {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := lis.Addr().String()
	_ = lis.Close()
	return addr
}
