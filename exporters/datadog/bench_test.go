package datadog_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/DataDog/dd-trace-go/v2/ddtrace/opentelemetry"
	"github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/exporters/datadog"
)

// The workload of BenchmarkSpan: one server span with a child, attributes
// on both, as an HTTP request handler records them.
var (
	rootAttrs = []attribute.KeyValue{
		semconv.HTTPRequestMethodGet, semconv.HTTPRoute("/books/{id}"),
		semconv.URLPath("/books/42"), semconv.URLScheme("http"),
	}
	childAttrs = []attribute.KeyValue{attribute.Int("book.id", 42), attribute.String("db.system", "sqlite")}
)

// workload runs b.N requests through tr, then stop, which must deliver
// everything, all timed: the export work in the background counts too. It
// reports the process's CPU time per request beside the wall time, since
// on several cores background export runs beside the request path.
func workload(b *testing.B, tr trace.Tracer, stop func() error) {
	b.ReportAllocs()
	ctx := context.Background()
	cpu0 := cpuTime()
	b.ResetTimer()
	for range b.N {
		cctx, root := tr.Start(ctx, "GET /books/{id}", trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(rootAttrs...))
		_, child := tr.Start(cctx, "load book", trace.WithAttributes(childAttrs...))
		child.End()
		root.SetAttributes(semconv.HTTPResponseStatusCode(200))
		root.End()
	}
	if err := stop(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the CPU time, user and system, the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// discardSink answers every request 200 and throws the body away: a
// Datadog Agent trace intake or an OTLP/HTTP receiver that costs next to
// nothing. It adds the traces of Datadog payloads, from their
// X-Datadog-Trace-Count header, to traces.
func discardSink(b *testing.B, traces *atomic.Int64) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/info":
			_, _ = io.WriteString(w, `{"endpoints":["/v0.4/traces"]}`)
		case "/v0.4/traces":
			if n, err := strconv.Atoi(r.Header.Get("X-Datadog-Trace-Count")); err == nil && traces != nil {
				traces.Add(int64(n))
			}
		default:
			w.Header().Set("Content-Type", "application/x-protobuf")
		}
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	b.Cleanup(srv.Close)
	return srv.URL
}

// grpcSink is an OTLP/gRPC trace receiver that accepts everything.
type grpcSink struct {
	collectortrace.UnimplementedTraceServiceServer
}

func (grpcSink) Export(context.Context, *collectortrace.ExportTraceServiceRequest) (*collectortrace.ExportTraceServiceResponse, error) {
	return &collectortrace.ExportTraceServiceResponse{}, nil
}

func startGRPCSink(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := grpc.NewServer()
	collectortrace.RegisterTraceServiceServer(srv, grpcSink{})
	go func() { _ = srv.Serve(ln) }()
	b.Cleanup(srv.Stop)
	return ln.Addr().String()
}

// benchSettings gives the queue room for every span of the run, so no
// backend gets cheaper by dropping, and batches of 512 as in production.
func benchSettings(b *testing.B, env map[string]string) exporters.Settings {
	s := settings(b, env)
	s.Batch = exporters.Batch{Delay: 5 * time.Second, MaxQueue: 1 << 21, MaxExport: 512}
	s.ExportTimeout = 10 * time.Second
	return s
}

// runBackend benchmarks the workload through the datadog backend and
// reports the share of spans that did not reach the sink, from the
// backend's own counts.
func runBackend(b *testing.B, env map[string]string) {
	s := benchSettings(b, env)
	be, err := datadog.Factory{}.New(context.Background(), s)
	if err != nil {
		b.Fatal(err)
	}
	if env["DATADOG_MODE"] != "otlp" {
		if err := datadog.WaitStarted(context.Background(), be); err != nil {
			b.Fatal(err)
		}
	}
	opts := []sdktrace.TracerProviderOption{sdktrace.WithSpanProcessor(be.SpanProcessor), sdktrace.WithResource(s.Resource)}
	if be.Sampler != nil {
		opts = append(opts, sdktrace.WithSampler(be.Sampler))
	}
	tp := sdktrace.NewTracerProvider(opts...)
	workload(b, tp.Tracer("bench"), func() error { return tp.Shutdown(context.Background()) })
	st := be.Stats.Snapshot()
	if st.SpansExported+st.SpansDropped != int64(2*b.N) || st.SpansQueued != 0 {
		b.Errorf("stats %+v; want all %d spans accounted for", st, 2*b.N)
	}
	b.ReportMetric(float64(st.SpansDropped)/float64(2*b.N), "dropped/span")
}

// BenchmarkSpan measures the cost of a traced request (a server span and a
// child) through each way of sending to Datadog, export included: the
// sinks run in the same process and answer at once.
//
// Every span is delivered before the timer stops: the queues are large
// enough, and shutting the provider down is part of the run.
//
//	go test ./exporters/datadog -run '^$' -bench BenchmarkSpan -benchmem -count 5
func BenchmarkSpan(b *testing.B) {
	b.Run("native", func(b *testing.B) {
		runBackend(b, map[string]string{"DD_TRACE_AGENT_URL": discardSink(b, nil)})
	})
	b.Run("native-rules", func(b *testing.B) {
		// Datadog's rules decide: every trace is held until its root ends
		// and looked at again (a rule keeps all, no rate limit binds).
		runBackend(b, map[string]string{"DD_TRACE_AGENT_URL": discardSink(b, nil),
			"DD_TRACE_SAMPLING_RULES": `[{"resource":"GET /health","sample_rate":0},{"service":"books","sample_rate":1}]`, "DD_TRACE_RATE_LIMIT": "1e9"})
	})
	b.Run("otlp-grpc", func(b *testing.B) {
		runBackend(b, map[string]string{"DATADOG_MODE": "otlp", "DATADOG_OTLP_ENDPOINT": "http://" + startGRPCSink(b)})
	})
	b.Run("otlp-http", func(b *testing.B) {
		runBackend(b, map[string]string{"DATADOG_MODE": "otlp", "DATADOG_OTLP_PROTOCOL": "http/protobuf", "DATADOG_OTLP_ENDPOINT": discardSink(b, nil)})
	})
	b.Run("ddtrace-otel", func(b *testing.B) {
		// dd-trace-go's own OpenTelemetry TracerProvider, configured as
		// native mode configures dd-trace-go.
		var received atomic.Int64
		tp := opentelemetry.NewTracerProvider(
			tracer.WithAgentURL(discardSink(b, &received)),
			tracer.WithService("books"),
			tracer.WithLogStartup(false),
			tracer.WithAppSecEnabled(false),
			tracer.WithProfilerCodeHotspots(false),
			tracer.WithProfilerEndpoints(false),
			tracer.WithSendRetries(0),
		)
		workload(b, tp.Tracer("bench"), tp.Shutdown)
		// dd-trace-go drops traces when its queue is full, as in native
		// mode. Every trace here is one chunk of two spans.
		b.ReportMetric(1-float64(received.Load())/float64(b.N), "dropped/span")
	})
	b.Run("sdk-only", func(b *testing.B) {
		// The SDK with no backend: the floor every backend adds to.
		tp := sdktrace.NewTracerProvider()
		workload(b, tp.Tracer("bench"), func() error { return tp.Shutdown(context.Background()) })
	})
}
