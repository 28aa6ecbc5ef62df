package perf_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/DataDog/datadog-go/v5/statsd"
	httptrace "github.com/DataDog/dd-trace-go/contrib/net/http/v2"
	"github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/internal/lab"
)

// scope is the instrumentation scope of the benchmarks' own spans and
// metrics.
const scope = "github.com/otelswitch/otelswitch/internal/perf"

// route is the one route the books handler serves.
const route = "/books/{id}"

// book is the body the handler renders.
type book struct {
	ID     int    `json:"id"`
	Title  string `json:"title"`
	Author string `json:"author"`
	Year   int    `json:"year"`
}

// hooks is what the books handler calls into, so that the same handler
// runs under OpenTelemetry and under dd-trace-go.
type hooks struct {
	// child starts a span around loading the book; the func ends it.
	child func(ctx context.Context, id int) (context.Context, func())
	// count counts a served request.
	count  func(ctx context.Context, route string, status int)
	logger *slog.Logger
}

// booksMux is the workload: the shape of the sample app's GET /books/{id}
// (a routed request, a child span for the load, a metric, one log line
// written with the request's context) without the database, whose cost
// would hide the instrumentation's.
func booksMux(h hooks) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+route, func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.Atoi(r.PathValue("id"))
		if err != nil {
			http.Error(w, "id: want a number", http.StatusBadRequest)
			return
		}
		_, end := h.child(r.Context(), id)
		body, err := json.Marshal(book{ID: id, Title: "The Go Programming Language", Author: "Alan Donovan, Brian Kernighan", Year: 2015})
		end()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
		h.count(r.Context(), route, http.StatusOK)
		h.logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("route", route),
			slog.Int("status", http.StatusOK), slog.Int("book_id", id))
	})
	return mux
}

// plainHooks is the handler with no instrumentation: no spans, no metric,
// a plain logger.
func plainHooks() hooks {
	return hooks{
		child:  func(ctx context.Context, _ int) (context.Context, func()) { return ctx, func() {} },
		count:  func(context.Context, string, int) {},
		logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

// otelHandler is the books handler instrumented with OpenTelemetry:
// otelhttp's server span and metrics around it, a child span, a counter.
// Only the providers and the logger differ between otelswitch and the
// hand-wired pipeline.
func otelHandler(b *testing.B, tp trace.TracerProvider, mp metric.MeterProvider, prop propagation.TextMapPropagator, logger *slog.Logger) http.Handler {
	tr := tp.Tracer(scope)
	served, err := mp.Meter(scope).Int64Counter("app.books.served")
	if err != nil {
		b.Fatal(err)
	}
	h := hooks{
		child: func(ctx context.Context, id int) (context.Context, func()) {
			ctx, span := tr.Start(ctx, "load book", trace.WithAttributes(attribute.Int("app.book.id", id)))
			return ctx, func() { span.End() }
		},
		count: func(ctx context.Context, route string, status int) {
			served.Add(ctx, 1, metric.WithAttributes(semconv.HTTPRoute(route), semconv.HTTPResponseStatusCode(status)))
		},
		logger: logger,
	}
	return otelhttp.NewHandler(booksMux(h), service,
		otelhttp.WithTracerProvider(tp), otelhttp.WithMeterProvider(mp), otelhttp.WithPropagators(prop))
}

// ddHandler is the books handler as a Datadog user instruments it with
// dd-trace-go alone: its net/http wrapper for the server span, a child
// span, a DogStatsD counter (aggregated in the client, as by default),
// and an slog handler that adds dd.trace_id and dd.span_id. The tracer
// sends to the lab's Datadog Agent intake; DogStatsD goes to a UDP socket
// that reads and discards.
func ddHandler(b *testing.B, agent string) (http.Handler, *sink) {
	b.Setenv("DD_INSTRUMENTATION_TELEMETRY_ENABLED", "false")
	b.Setenv("DD_TRACE_STARTUP_LOGS", "false")
	if err := tracer.Start(tracer.WithAgentAddr(agent), tracer.WithService(service), tracer.WithEnv(dev.Name),
		tracer.WithLogStartup(false), tracer.WithAppSecEnabled(false), tracer.WithSendRetries(0)); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(tracer.Stop)
	sd, err := statsd.New(udpSink(b), statsd.WithoutTelemetry())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = sd.Close() })
	h := hooks{
		child: func(ctx context.Context, id int) (context.Context, func()) {
			span, ctx := tracer.StartSpanFromContext(ctx, "load book", tracer.Tag("app.book.id", id))
			return ctx, func() { span.Finish() }
		},
		count: func(_ context.Context, route string, status int) {
			_ = sd.Incr("app.books.served", []string{"http.route:" + route, "http.status_code:" + strconv.Itoa(status)}, 1)
		},
		logger: slog.New(ddIDHandler{slog.NewTextHandler(io.Discard, nil)}),
	}
	flush := func(context.Context) error {
		tracer.Flush()
		return sd.Flush()
	}
	return httptrace.WrapHandler(booksMux(h), service, ""), &sink{flush: flush}
}

// ddIDHandler adds Datadog's log correlation fields.
type ddIDHandler struct{ slog.Handler }

func (h ddIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if span, ok := tracer.SpanFromContext(ctx); ok {
		sc := span.Context()
		r.AddAttrs(slog.String("dd.trace_id", strconv.FormatUint(sc.TraceIDLower(), 10)),
			slog.String("dd.span_id", strconv.FormatUint(sc.SpanID(), 10)))
	}
	return h.Handler.Handle(ctx, r)
}

func (h ddIDHandler) WithAttrs(a []slog.Attr) slog.Handler {
	return ddIDHandler{h.Handler.WithAttrs(a)}
}
func (h ddIDHandler) WithGroup(n string) slog.Handler { return ddIDHandler{h.Handler.WithGroup(n)} }

// udpSink is a DogStatsD stand-in: a UDP socket that drops what it reads.
func udpSink(b *testing.B) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = pc.Close() })
	go func() {
		buf := make([]byte, 64<<10)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	return pc.LocalAddr().String()
}

// serve runs GET /books/42 through h, in process: no network, so the
// numbers are the instrumentation's and the handler's (see loop for the
// sink).
func serve(b *testing.B, h http.Handler, s *sink) {
	req := httptest.NewRequest(http.MethodGet, "/books/42", nil)
	w := &discardWriter{header: http.Header{}}
	h.ServeHTTP(w, req)
	if w.status != http.StatusOK {
		b.Fatalf("GET /books/42: status %d", w.status)
	}
	loop(b, s, 2, 2, func() {
		w.reset()
		h.ServeHTTP(w, req)
	})
}

// BenchmarkRequest is the per-request cost of the whole stack: otelhttp's
// server span and metrics, a child span, a counter and a trace-correlated
// log line, in process (ServeHTTP), through each way of wiring it:
//
//   - off: the handler with no instrumentation at all.
//
//   - otelswitch-disabled: bootstrap.Init with OTEL_SDK_DISABLED=true, the
//     instrumented handler over its no-op providers.
//
//   - otelswitch-none, handwired-none: spans are sampled and recorded but
//     go to no exporter (TELEMETRY_BACKEND=none; a provider with no
//     processor): the request path alone, without the export running
//     beside it.
//
//   - otelswitch-jaeger: bootstrap.Init with TELEMETRY_BACKEND=jaeger,
//     to the lab's Jaeger. Jaeger takes no metrics.
//
//   - handwired-jaeger: the same features wired by hand (handWired);
//     with no metrics backend, the no-op MeterProvider.
//
//   - otelswitch-otlp: TELEMETRY_BACKEND=otlp, spans to Jaeger and metrics
//     to the lab's collector, both over gRPC, so the metrics are real.
//
//   - handwired-otlp: the same by hand, with a periodic metric reader.
//
//   - otelswitch-sink, handwired-sink: spans over OTLP/gRPC to a sink in
//     another process that answers at once (see BenchmarkExportWire), no
//     metrics: the export's cost without the lab.
//
//   - otelswitch-datadog: TELEMETRY_BACKEND=datadog in native mode, spans
//     through dd-trace-go to the lab's Datadog Agent intake, metrics to
//     the collector (as to an Agent's OTLP ingest).
//
//   - ddtrace: dd-trace-go's own net/http tracing to the lab's Datadog
//     Agent intake (ddHandler), the baseline of otelswitch-datadog.
//
// The variants that export are flushed every 1000 requests with the timer
// stopped (loop), so none drops a span: ns/op is the request path with the
// export running beside it, cpu-ns/op the whole cost per request, delivery
// included. B/op and allocs/op count every goroutine's allocations while
// the timer runs, the exporters' among them.
//
//	go test ./internal/perf -run '^$' -bench BenchmarkRequest -benchmem -count 5
func BenchmarkRequest(b *testing.B) {
	b.Run("off", func(b *testing.B) { serve(b, booksMux(plainHooks()), nil) })
	b.Run("otelswitch-disabled", func(b *testing.B) {
		tel := initSwitch(b, env{"OTEL_SDK_DISABLED": "true"})
		serve(b, otelHandler(b, tel.TracerProvider(), tel.MeterProvider(), tel.Propagator(), tel.Logger()), nil)
	})
	b.Run("otelswitch-none", func(b *testing.B) {
		tel := initSwitch(b, env{"TELEMETRY_BACKEND": "none"})
		serve(b, otelHandler(b, tel.TracerProvider(), tel.MeterProvider(), tel.Propagator(), tel.Logger()), nil)
	})
	b.Run("handwired-none", func(b *testing.B) {
		h := newHandWired(b, "", "")
		serve(b, otelHandler(b, h.tp, h.mp, h.prop, h.logger), nil)
	})
	b.Run("otelswitch-jaeger", func(b *testing.B) {
		l := sharedLab(b)
		tel := initSwitch(b, env{"TELEMETRY_BACKEND": "jaeger", "JAEGER_ENDPOINT": l.JaegerOTLPGRPC})
		serve(b, otelHandler(b, tel.TracerProvider(), tel.MeterProvider(), tel.Propagator(), tel.Logger()), switchSink(tel))
	})
	b.Run("handwired-jaeger", func(b *testing.B) {
		l := sharedLab(b)
		h := newHandWired(b, l.JaegerOTLPGRPC, "")
		serve(b, otelHandler(b, h.tp, h.mp, h.prop, h.logger), h.sink())
	})
	// The same pair exporting to a sink in another process that answers
	// at once (BenchmarkExportWire's): the export's cost without the lab,
	// whose Jaeger shares the two cores and adds noise of its own.
	b.Run("otelswitch-sink", func(b *testing.B) {
		g, _ := startSink(b)
		tel := initSwitch(b, env{"TELEMETRY_BACKEND": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
			"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://" + g, "TELEMETRY_METRICS": "false"})
		serve(b, otelHandler(b, tel.TracerProvider(), tel.MeterProvider(), tel.Propagator(), tel.Logger()), switchSink(tel))
	})
	b.Run("handwired-sink", func(b *testing.B) {
		g, _ := startSink(b)
		h := newHandWired(b, g, "")
		serve(b, otelHandler(b, h.tp, h.mp, h.prop, h.logger), h.sink())
	})
	b.Run("otelswitch-otlp", func(b *testing.B) {
		l := sharedLab(b)
		tel := initSwitch(b, env{
			"TELEMETRY_BACKEND":                   "otlp",
			"OTEL_EXPORTER_OTLP_PROTOCOL":         "grpc",
			"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT":  "http://" + l.JaegerOTLPGRPC,
			"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://" + l.CollectorOTLPGRPC,
		})
		serve(b, otelHandler(b, tel.TracerProvider(), tel.MeterProvider(), tel.Propagator(), tel.Logger()), switchSink(tel))
	})
	b.Run("handwired-otlp", func(b *testing.B) {
		l := sharedLab(b)
		h := newHandWired(b, l.JaegerOTLPGRPC, l.CollectorOTLPGRPC)
		serve(b, otelHandler(b, h.tp, h.mp, h.prop, h.logger), h.sink())
	})
	b.Run("otelswitch-datadog", func(b *testing.B) {
		l := sharedLab(b)
		tel := initSwitch(b, env{"TELEMETRY_BACKEND": "datadog", "DD_TRACE_AGENT_URL": "http://" + l.DatadogAgent,
			"DATADOG_OTLP_ENDPOINT": "http://" + l.CollectorOTLPGRPC})
		serve(b, otelHandler(b, tel.TracerProvider(), tel.MeterProvider(), tel.Propagator(), tel.Logger()), switchSink(tel))
	})
	b.Run("ddtrace", func(b *testing.B) {
		l := sharedLab(b)
		before, err := l.CollectorFileSize(lab.SourceDatadog)
		if err != nil {
			before = 0 // nothing received yet
		}
		h, s := ddHandler(b, l.DatadogAgent)
		serve(b, h, s)
		// dd-trace-go says nothing of what it delivered; the intake's
		// output growing shows it delivered at all.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := lab.WaitFor(ctx, func(context.Context) (bool, error) {
			after, err := l.CollectorFileSize(lab.SourceDatadog)
			return err == nil && after > before, nil
		}); err != nil {
			b.Errorf("the lab's Datadog intake received nothing: %v\n%s", err, l.Logs(20))
		}
	})
}
