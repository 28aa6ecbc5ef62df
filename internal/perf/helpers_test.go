package perf_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/bootstrap"
	"github.com/otelswitch/otelswitch/internal/lab"
	"github.com/otelswitch/otelswitch/internal/testutil"
	"github.com/otelswitch/otelswitch/profiles"
)

// service names every variant's spans.
const service = "books"

// The development profile's batching, which the hand-wired pipelines copy
// so that both queue and send alike.
var dev = profiles.Development

// shared is the one lab of the process: the benchmarks run several times
// (-count), and starting Jaeger and the collector each time would cost more
// than some of them.
var shared struct {
	once sync.Once
	lab  *lab.Lab
	err  error
}

// sharedLab returns the process's lab, starting it on first use. It skips
// when OTELSWITCH_LAB=off.
func sharedLab(tb testing.TB) *lab.Lab {
	tb.Helper()
	if os.Getenv("OTELSWITCH_LAB") == "off" {
		tb.Skip("OTELSWITCH_LAB=off: skipping a benchmark that needs the backend lab")
	}
	shared.once.Do(func() {
		shared.lab, shared.err = lab.Start(context.Background())
		if shared.err == nil {
			shared.err = warmUp(shared.lab)
		}
	})
	if shared.err != nil {
		tb.Fatalf("%v\n(set OTELSWITCH_LAB=off to skip the lab benchmarks)", shared.err)
	}
	return shared.lab
}

// warmUpSpans is how many spans warmUp sends.
const warmUpSpans = 100_000

// warmUp sends Jaeger spans before anything is measured. A fresh Jaeger
// takes spans markedly slower than one that already holds some (its heap
// is still growing), which would make whichever variant runs first look
// slower.
func warmUp(l *lab.Lab) error {
	ctx := context.Background()
	exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(l.JaegerOTLPGRPC), otlptracegrpc.WithInsecure())
	if err != nil {
		return err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp, sdktrace.WithBlocking()))
	tr := tp.Tracer(scope)
	for range warmUpSpans / 1000 {
		ctx, root := tr.Start(ctx, "warm-up")
		for range 999 {
			_, span := tr.Start(ctx, "load book", trace.WithAttributes(spanAttrs...))
			span.End()
		}
		root.End()
	}
	return tp.Shutdown(ctx)
}

func TestMain(m *testing.M) {
	if os.Getenv(sinkEnv) != "" {
		runSink()
		return
	}
	code := m.Run()
	stopSink()
	if shared.lab != nil {
		if err := shared.lab.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "closing the lab:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// env is an environment for bootstrap.WithLookupEnv.
type env = testutil.Env

// initSwitch calls bootstrap.Init with e and no globals, logging to
// io.Discard; the handle is shut down when b ends.
func initSwitch(b *testing.B, e env) *bootstrap.Telemetry {
	b.Helper()
	e["OTEL_SERVICE_NAME"] = service
	tel, err := bootstrap.Init(context.Background(), bootstrap.WithLookupEnv(e.Lookup),
		bootstrap.WithoutGlobals(), bootstrap.WithLogOutput(io.Discard))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	return tel
}

// handWired is OpenTelemetry as a careful user sets it up without
// otelswitch, with the features otelswitch gives: the SDK's batch processor
// over an OTLP/gRPC exporter, batched as otelswitch's development profile
// batches, a resource naming the service, W3C propagation, a MeterProvider
// that exports where the backend takes metrics, and an slog handler that
// adds the trace and span IDs.
type handWired struct {
	tp       *sdktrace.TracerProvider
	mp       metric.MeterProvider
	sdkMP    *sdkmetric.MeterProvider // nil when metrics go nowhere
	prop     propagation.TextMapPropagator
	logger   *slog.Logger
	exported *atomic.Int64 // spans the exporter delivered
}

// otelswitchResource is the resource otelswitch builds: Jaeger stores it
// with every span, so a smaller one would be cheaper to deliver for reasons
// of its own.
func otelswitchResource(b *testing.B) *resource.Resource {
	b.Helper()
	res, err := resource.New(context.Background(),
		resource.WithTelemetrySDK(), resource.WithHost(), resource.WithOS(),
		resource.WithProcessPID(), resource.WithProcessExecutableName(),
		resource.WithProcessRuntimeName(), resource.WithProcessRuntimeVersion(),
		resource.WithSchemaURL(semconv.SchemaURL),
		resource.WithAttributes(semconv.ServiceName(service), semconv.DeploymentEnvironmentNameKey.String(dev.Name)))
	if err != nil {
		b.Fatal(err)
	}
	return res
}

// newHandWired builds the pipeline, sending spans to traces (an OTLP/gRPC
// host:port) and, when metrics is not empty, metrics to metrics. With no
// traces endpoint the provider has no processor: spans are recorded and
// dropped. With no metrics endpoint it uses the no-op MeterProvider, as a
// user whose backend takes no metrics would.
func newHandWired(b *testing.B, traces, metrics string) *handWired {
	b.Helper()
	ctx := context.Background()
	res := otelswitchResource(b)
	h := &handWired{exported: new(atomic.Int64)}
	topts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample()))}
	if traces != "" {
		exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(traces), otlptracegrpc.WithInsecure())
		if err != nil {
			b.Fatal(err)
		}
		topts = append(topts, sdktrace.WithBatcher(countingExporter{exp, h.exported},
			sdktrace.WithBatchTimeout(dev.BatchDelay),
			sdktrace.WithMaxQueueSize(dev.MaxQueue),
			sdktrace.WithMaxExportBatchSize(dev.MaxExport),
			sdktrace.WithExportTimeout(dev.ExportTimeout)))
	}
	h.tp = sdktrace.NewTracerProvider(topts...)
	b.Cleanup(func() { _ = h.tp.Shutdown(context.Background()) })
	h.mp = metricnoop.NewMeterProvider()
	if metrics != "" {
		mexp, err := otlpmetricgrpc.New(ctx, otlpmetricgrpc.WithEndpoint(metrics), otlpmetricgrpc.WithInsecure())
		if err != nil {
			b.Fatal(err)
		}
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithResource(res),
			sdkmetric.WithReader(sdkmetric.NewPeriodicReader(mexp, sdkmetric.WithInterval(dev.MetricInterval))))
		b.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
		h.mp, h.sdkMP = mp, mp
	}
	h.prop = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	h.logger = slog.New(traceIDHandler{slog.NewTextHandler(io.Discard, nil)})
	return h
}

// sink delivers what a pipeline has queued and counts what arrived.
type sink struct {
	flush     func(context.Context) error
	delivered func() int64 // spans delivered so far; nil when the pipeline does not say
}

// switchSink is the sink of an otelswitch pipeline.
func switchSink(tel *bootstrap.Telemetry) *sink {
	return &sink{flush: tel.ForceFlush, delivered: func() int64 {
		var n int64
		for _, st := range tel.Stats() {
			n += st.SpansExported
		}
		return n
	}}
}

// sink is the sink of the hand-wired pipeline: spans, and metrics where
// they go somewhere, as Telemetry.ForceFlush does.
func (h *handWired) sink() *sink {
	return &sink{flush: func(ctx context.Context) error {
		err := h.tp.ForceFlush(ctx)
		if h.sdkMP != nil {
			err = errors.Join(err, h.sdkMP.ForceFlush(ctx))
		}
		return err
	}, delivered: h.exported.Load}
}

// flushEvery bounds the spans ended between two flushes: fewer than a
// queue holds (2048), so that no pipeline drops spans, and none looks
// cheaper for exporting fewer.
const flushEvery = 2000

// loop runs op once per iteration and reports cpu-ns/op. With a sink, it
// flushes after every flushEvery spans (op ends spans of them) with the
// timer stopped, and once more at the end, and reports the share of spans
// not delivered (before counts those ended before the loop) as
// dropped/span. cpu-ns/op counts the flushes: it is the whole cost of a
// request, delivery included, on every core.
func loop(b *testing.B, s *sink, spans, before int, op func()) {
	ctx := context.Background()
	b.ReportAllocs()
	cpu0 := cpuTime()
	pending := 0
	for b.Loop() {
		op()
		if s == nil {
			continue
		}
		if pending += spans; pending+spans > flushEvery {
			b.StopTimer()
			if err := s.flush(ctx); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			pending = 0
		}
	}
	if s != nil {
		if err := s.flush(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
	if s != nil && s.delivered != nil {
		b.ReportMetric(1-float64(s.delivered())/float64(spans*b.N+before), "dropped/span")
	}
}

// traceIDHandler is the correlating slog handler users write by hand.
type traceIDHandler struct{ slog.Handler }

func (h traceIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

func (h traceIDHandler) WithAttrs(a []slog.Attr) slog.Handler {
	return traceIDHandler{h.Handler.WithAttrs(a)}
}
func (h traceIDHandler) WithGroup(n string) slog.Handler {
	return traceIDHandler{h.Handler.WithGroup(n)}
}

// countingExporter counts the spans its exporter delivered, so a
// hand-wired run can show it dropped none (the SDK's processor does not
// say).
type countingExporter struct {
	sdktrace.SpanExporter
	n *atomic.Int64
}

func (c countingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	err := c.SpanExporter.ExportSpans(ctx, spans)
	if err == nil {
		c.n.Add(int64(len(spans)))
	}
	return err
}

// discardExporter accepts every span at once: the processors' own cost,
// with no network behind them.
type discardExporter struct{ n *atomic.Int64 }

func (d discardExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	d.n.Add(int64(len(spans)))
	return nil
}
func (discardExporter) Shutdown(context.Context) error { return nil }

// discardWriter is a ResponseWriter that keeps only the status, so the
// benchmark measures the handler, not a recorder's buffer.
type discardWriter struct {
	header http.Header
	status int
}

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(code int)        { d.status = code }
func (d *discardWriter) reset()                      { clear(d.header); d.status = 0 }

// cpuTime is the CPU time, user and system, the process has used. On two
// cores the exporters' goroutines run beside the request path, so wall time
// per request alone hides part of the cost.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
