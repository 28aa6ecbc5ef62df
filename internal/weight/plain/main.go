// Command plain is the baseline of `make weight`: an HTTP service wired to
// OpenTelemetry by hand (otelhttp, the SDK, OTLP trace and metric exporters
// over gRPC and HTTP, the exporters otelswitch links), exporting to the
// address in OTLP_ADDR. It prints its listen address, then serves.
package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

func main() {
	ctx := context.Background()
	addr := os.Getenv("OTLP_ADDR")
	grpcSpans, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(addr), otlptracegrpc.WithInsecure())
	check(err)
	httpSpans, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpoint(addr), otlptracehttp.WithInsecure())
	check(err)
	grpcMetrics, err := otlpmetricgrpc.New(ctx, otlpmetricgrpc.WithEndpoint(addr), otlpmetricgrpc.WithInsecure())
	check(err)
	httpMetrics, err := otlpmetrichttp.New(ctx, otlpmetrichttp.WithEndpoint(addr), otlpmetrichttp.WithInsecure())
	check(err)
	// Both protocols linked, one used per signal, as a service choosing by
	// configuration would.
	spans := map[bool]sdktrace.SpanExporter{true: grpcSpans, false: httpSpans}[os.Getenv("OTLP_HTTP") == ""]
	metrics := map[bool]sdkmetric.Exporter{true: grpcMetrics, false: httpMetrics}[os.Getenv("OTLP_HTTP") == ""]
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithBatcher(spans)))
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(metrics))))
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	serve(otelhttp.NewHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	}), "GET /"))
}

func serve(h http.Handler) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	fmt.Println(lis.Addr())
	check(http.Serve(lis, h))
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
