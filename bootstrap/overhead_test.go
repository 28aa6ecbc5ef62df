package bootstrap_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"runtime/debug"
	"strings"
	"testing"

	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/bootstrap"
)

// The request path costs what hand-wired OpenTelemetry costs
// (docs/performance.md). These tests keep the two fixes that made it so.

// With no backend that takes metrics, the MeterProvider is the no-op one:
// the SDK's with no reader still resolves every measurement's attributes.
func TestMeterProviderWithoutReaderIsNoop(t *testing.T) {
	for _, tt := range []struct {
		env  env
		want string
	}{
		{env{"TELEMETRY_BACKEND": "none"}, "noop"},
		{env{"TELEMETRY_BACKEND": "jaeger"}, "noop"},
		{env{"TELEMETRY_BACKEND": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://" + closedPort(t)}, "sdk"},
	} {
		tel, err := bootstrap.Init(context.Background(), bootstrap.WithLookupEnv(tt.env.Lookup), bootstrap.WithoutGlobals(), bootstrap.WithLogOutput(io.Discard))
		if err != nil {
			t.Fatal(err)
		}
		got := "other"
		switch tel.MeterProvider().(type) {
		case metricnoop.MeterProvider:
			got = "noop"
		case *sdkmetric.MeterProvider:
			got = "sdk"
		}
		if got != tt.want {
			t.Errorf("TELEMETRY_BACKEND=%s: MeterProvider is %T; want the %s one", tt.env["TELEMETRY_BACKEND"], tel.MeterProvider(), tt.want)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_ = tel.Shutdown(ctx)
	}
}

// The default correlation allocates no more than the handler users write
// by hand: the two hex strings, not a slice besides.
func TestDefaultCorrelationAllocatesNothingMore(t *testing.T) {
	var out bytes.Buffer
	tel, err := bootstrap.Init(context.Background(), bootstrap.WithLookupEnv(env{"TELEMETRY_BACKEND": "none"}.Lookup),
		bootstrap.WithoutGlobals(), bootstrap.WithLogOutput(&out))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	ctx, span := tel.TracerProvider().Tracer("t").Start(context.Background(), "s")
	defer span.End()
	tel.Logger().InfoContext(ctx, "hello")
	sc := trace.SpanContextFromContext(ctx)
	if line := out.String(); !strings.Contains(line, "trace_id="+sc.TraceID().String()) || !strings.Contains(line, "span_id="+sc.SpanID().String()) {
		t.Fatalf("log line %q lacks the span's trace_id and span_id", line)
	}
	if raceEnabled() {
		t.Skip("under -race, sync.Pool drops items at random, so slog's allocations vary")
	}
	byHand := slog.New(handCorrelation{slog.NewTextHandler(io.Discard, nil)})
	base := testing.AllocsPerRun(200, func() { byHand.InfoContext(ctx, "hello", "a", 1) })
	got := testing.AllocsPerRun(200, func() { out.Reset(); tel.Logger().InfoContext(ctx, "hello", "a", 1) })
	if got > base {
		t.Errorf("a correlated log line allocates %.0f times; with the hand-written handler %.0f", got, base)
	}
}

// handCorrelation is the correlating handler users write by hand.
type handCorrelation struct{ slog.Handler }

func (h handCorrelation) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}
