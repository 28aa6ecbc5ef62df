package perf_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"
)

// Environment of BenchmarkServe, set by tools/bench/wrk.sh.
const (
	serveEnv      = "OTELSWITCH_PERF_SERVE"   // the variant to serve; unset skips
	serveAddrEnv  = "OTELSWITCH_PERF_ADDR"    // host:port to listen on
	serveJaeger   = "OTELSWITCH_PERF_JAEGER"  // Jaeger's OTLP/gRPC host:port
	serveAgent    = "OTELSWITCH_PERF_DDAGENT" // the Datadog Agent's trace intake host:port
	serveOTLPGRPC = "OTELSWITCH_PERF_OTLP"    // an OTLP/gRPC host:port for metrics (the collector)
)

// BenchmarkServe is not a measurement: run once (-benchtime 1x) with
// OTELSWITCH_PERF_SERVE set, it serves BenchmarkRequest's books handler,
// wired as the named variant, over HTTP until SIGTERM, so that
// tools/bench/wrk.sh can load it with wrk and read the process's CPU time
// per request. Variants: off, otelswitch-jaeger, handwired-jaeger,
// otelswitch-datadog, ddtrace (see BenchmarkRequest). Skipped otherwise.
func BenchmarkServe(b *testing.B) {
	variant := os.Getenv(serveEnv)
	if variant == "" {
		b.Skip(serveEnv + " unset: BenchmarkServe runs only under tools/bench/wrk.sh")
	}
	var h http.Handler
	switch variant {
	case "off":
		h = booksMux(plainHooks())
	case "otelswitch-jaeger":
		tel := initSwitch(b, env{"TELEMETRY_BACKEND": "jaeger", "JAEGER_ENDPOINT": os.Getenv(serveJaeger)})
		h = otelHandler(b, tel.TracerProvider(), tel.MeterProvider(), tel.Propagator(), tel.Logger())
	case "handwired-jaeger":
		hw := newHandWired(b, os.Getenv(serveJaeger), "")
		h = otelHandler(b, hw.tp, hw.mp, hw.prop, hw.logger)
	case "otelswitch-datadog":
		tel := initSwitch(b, env{"TELEMETRY_BACKEND": "datadog", "DD_TRACE_AGENT_URL": "http://" + os.Getenv(serveAgent),
			"DATADOG_OTLP_ENDPOINT": "http://" + os.Getenv(serveOTLPGRPC)})
		h = otelHandler(b, tel.TracerProvider(), tel.MeterProvider(), tel.Propagator(), tel.Logger())
	case "ddtrace":
		h, _ = ddHandler(b, os.Getenv(serveAgent))
	default:
		b.Fatalf("%s=%q: want off, otelswitch-jaeger, handwired-jaeger, otelswitch-datadog or ddtrace", serveEnv, variant)
	}
	ln, err := net.Listen("tcp", os.Getenv(serveAddrEnv))
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		b.Fatal(err)
	}
}
