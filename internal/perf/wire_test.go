package perf_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	_ "google.golang.org/grpc/encoding/gzip" // the sink takes gzip too
	"google.golang.org/grpc/mem"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/exporters/otlp"
)

// sinkEnv, set in a child test process, makes TestMain run an OTLP sink
// instead of the tests (runSink).
const sinkEnv = "OTELSWITCH_PERF_SINK"

// runSink serves OTLP/gRPC and OTLP/HTTP on loopback, reading every request
// whole and answering success without decoding it, and prints
// "grpc=HOST:PORT http=HOST:PORT" on one line. It runs until its standard
// input closes. It is a process of its own so that what it spends is not
// counted in the benchmark process's CPU time: BenchmarkExportWire measures
// the sending side alone, queue to wire.
func runSink() {
	gl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	srv := grpc.NewServer(grpc.ForceServerCodecV2(sinkCodec{}),
		grpc.UnknownServiceHandler(func(_ any, st grpc.ServerStream) error {
			var m sinkMsg
			if err := st.RecvMsg(&m); err != nil {
				return err
			}
			return st.SendMsg(&m)
		}))
	go func() { _ = srv.Serve(gl) }()
	go func() {
		_ = http.Serve(hl, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.WriteHeader(http.StatusOK)
		}))
	}()
	fmt.Printf("grpc=%s http=%s\n", gl.Addr(), hl.Addr())
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// sinkMsg is a message the sink reads and drops.
type sinkMsg struct{}

// sinkCodec reads gRPC messages without decoding them and answers with an
// empty message (an ExportTraceServiceResponse with nothing rejected).
type sinkCodec struct{}

func (sinkCodec) Marshal(any) (mem.BufferSlice, error) { return nil, nil }
func (sinkCodec) Unmarshal(mem.BufferSlice, any) error { return nil }
func (sinkCodec) Name() string                         { return "proto" }

// sinkProcess is the process's one sink, started on first use.
var sinkProcess struct {
	once       sync.Once
	grpc, http string
	stdin      io.Closer
	cmd        *exec.Cmd
	err        error
}

// startSink returns the gRPC and HTTP addresses of the sink process,
// starting it on first use; TestMain stops it.
func startSink(b *testing.B) (grpcAddr, httpAddr string) {
	b.Helper()
	sinkProcess.once.Do(func() {
		sinkProcess.grpc, sinkProcess.http, sinkProcess.err = launchSink()
	})
	if sinkProcess.err != nil {
		b.Fatalf("the sink did not start: %v", sinkProcess.err)
	}
	return sinkProcess.grpc, sinkProcess.http
}

// stopSink ends the sink process, if one was started.
func stopSink() {
	if sinkProcess.cmd != nil {
		_ = sinkProcess.stdin.Close()
		_ = sinkProcess.cmd.Wait()
	}
}

func launchSink() (grpcAddr, httpAddr string, err error) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), sinkEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", "", err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", "", err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", "", err
	}
	sinkProcess.cmd, sinkProcess.stdin = cmd, stdin
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		return "", "", err
	}
	for _, f := range strings.Fields(line) {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "grpc":
			grpcAddr = v
		case "http":
			httpAddr = v
		}
	}
	return grpcAddr, httpAddr, nil
}

// recordedSpans returns n ended spans shaped like BenchmarkRequest's: a
// server span with otelhttp's attributes and its child, with the resource
// the hand-wired pipeline builds. They are made once, so that the
// benchmark measures what happens to a span after it ends.
func recordedSpans(b *testing.B, n int) []sdktrace.ReadOnlySpan {
	b.Helper()
	res := otelswitchResource(b)
	rec := &recorder{}
	tp := sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithSpanProcessor(rec))
	server := tp.Tracer("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp", trace.WithInstrumentationVersion("0.72.0"))
	app := tp.Tracer(scope)
	for len(rec.spans) < n {
		ctx, s := server.Start(context.Background(), "GET /books/{id}", trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(
				semconv.HTTPRequestMethodGet, semconv.URLScheme("http"), semconv.ServerAddress("books.example"),
				semconv.ServerPort(8080), semconv.NetworkPeerAddress("127.0.0.1"), semconv.NetworkPeerPort(51234),
				semconv.UserAgentOriginal("wrk/4.2.0"), semconv.ClientAddress("127.0.0.1"), semconv.URLPath("/books/42"),
				semconv.NetworkProtocolVersion("1.1"), semconv.HTTPRoute(route)))
		_, c := app.Start(ctx, "load book", trace.WithAttributes(attribute.Int("app.book.id", 42)))
		c.End()
		s.SetAttributes(semconv.HTTPResponseStatusCode(200), semconv.HTTPResponseBodySize(96))
		s.SetStatus(codes.Unset, "")
		s.End()
	}
	return rec.spans[:n]
}

// recorder keeps every span that ends.
type recorder struct{ spans []sdktrace.ReadOnlySpan }

func (r *recorder) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (r *recorder) OnEnd(s sdktrace.ReadOnlySpan)                   { r.spans = append(r.spans, s) }
func (r *recorder) Shutdown(context.Context) error                  { return nil }
func (r *recorder) ForceFlush(context.Context) error                { return nil }

// fanOut hands every span to each processor, as the provider does with
// several backends.
type fanOut []sdktrace.SpanProcessor

func (f fanOut) OnStart(ctx context.Context, s sdktrace.ReadWriteSpan) {}
func (f fanOut) OnEnd(s sdktrace.ReadOnlySpan) {
	for _, p := range f {
		p.OnEnd(s)
	}
}
func (f fanOut) ForceFlush(ctx context.Context) error {
	var err error
	for _, p := range f {
		err = errors.Join(err, p.ForceFlush(ctx))
	}
	return err
}
func (f fanOut) Shutdown(ctx context.Context) error {
	var err error
	for _, p := range f {
		err = errors.Join(err, p.Shutdown(ctx))
	}
	return err
}

// wireVariant is one way from a span processor's queue to the wire.
type wireVariant struct {
	name string
	// processor returns the processor under test, exporting to the sink
	// at grpcAddr or httpAddr, and the count of spans it delivered.
	processor func(b *testing.B, grpcAddr, httpAddr string) (sdktrace.SpanProcessor, func() int64)
}

// BenchmarkExportWire is the export path alone, queue to wire: spans that
// have already ended are handed to a span processor (OnEnd), batched,
// encoded and sent to a sink in another process that reads each request
// whole and answers success, so nothing the receiver does is counted.
// One op is one span. Every 2000 spans (fewer than a queue holds) the
// processor is flushed with the timer running, so nothing is dropped
// (dropped/span) and everything counts: cpu-ns/op is this process's CPU
// per span on every goroutine, B/op and allocs/op every goroutine's
// allocations.
//
//   - sdk-grpc, sdk-http: the SDK's BatchSpanProcessor over otlptracegrpc
//     and otlptracehttp, batched as the development profile batches.
//
//   - otelswitch-grpc, otelswitch-http: otelswitch's counting batch
//     processor over otlp.NewSpanExporter, the exporter every OTLP-family
//     backend uses, with the same batching.
//
//   - otelswitch-grpc-fanout2: two such backends side by side, each span
//     ended into both, as TELEMETRY_BACKEND=jaeger,otlp does; against
//     otelswitch-grpc it shows what a second backend costs when the two
//     share the span encoding.
//
//     go test ./internal/perf -run '^$' -bench BenchmarkExportWire -benchmem -count 3
func BenchmarkExportWire(b *testing.B) {
	batch := exporters.Batch{Delay: dev.BatchDelay, MaxQueue: dev.MaxQueue, MaxExport: dev.MaxExport}
	sdkBatch := func(exp sdktrace.SpanExporter, n *atomic.Int64) sdktrace.SpanProcessor {
		return sdktrace.NewBatchSpanProcessor(countingExporter{exp, n},
			sdktrace.WithBatchTimeout(batch.Delay), sdktrace.WithMaxQueueSize(batch.MaxQueue),
			sdktrace.WithMaxExportBatchSize(batch.MaxExport), sdktrace.WithExportTimeout(dev.ExportTimeout))
	}
	switchBatch := func(b *testing.B, t otlp.Target) (sdktrace.SpanProcessor, func() int64) {
		counters := exporters.NewCounters("wire")
		exp, err := otlp.NewSpanExporter(context.Background(), t, dev.ExportTimeout, counters)
		if err != nil {
			b.Fatal(err)
		}
		return exporters.NewBatchProcessor(exp, exporters.WithBatch(batch), exporters.WithExportTimeout(dev.ExportTimeout), exporters.WithCounters(counters)),
			func() int64 { return counters.Snapshot().SpansExported }
	}
	variants := []wireVariant{
		{"sdk-grpc", func(b *testing.B, g, _ string) (sdktrace.SpanProcessor, func() int64) {
			exp, err := otlptracegrpc.New(context.Background(), otlptracegrpc.WithEndpoint(g), otlptracegrpc.WithInsecure())
			if err != nil {
				b.Fatal(err)
			}
			n := new(atomic.Int64)
			return sdkBatch(exp, n), n.Load
		}},
		{"otelswitch-grpc", func(b *testing.B, g, _ string) (sdktrace.SpanProcessor, func() int64) {
			return switchBatch(b, otlp.Target{Protocol: otlp.GRPC, URL: &url.URL{Scheme: "http", Host: g}, Insecure: true, Compression: otlp.None})
		}},
		{"otelswitch-grpc-fanout2", func(b *testing.B, g, _ string) (sdktrace.SpanProcessor, func() int64) {
			t := otlp.Target{Protocol: otlp.GRPC, URL: &url.URL{Scheme: "http", Host: g}, Insecure: true, Compression: otlp.None}
			p1, n1 := switchBatch(b, t)
			p2, n2 := switchBatch(b, t)
			return fanOut{p1, p2}, func() int64 { return (n1() + n2()) / 2 }
		}},
		{"sdk-http", func(b *testing.B, _, h string) (sdktrace.SpanProcessor, func() int64) {
			exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL("http://"+h+otlp.TracesPath))
			if err != nil {
				b.Fatal(err)
			}
			n := new(atomic.Int64)
			return sdkBatch(exp, n), n.Load
		}},
		{"otelswitch-http", func(b *testing.B, _, h string) (sdktrace.SpanProcessor, func() int64) {
			return switchBatch(b, otlp.Target{Protocol: otlp.HTTPProtobuf, URL: &url.URL{Scheme: "http", Host: h, Path: otlp.TracesPath}, Compression: otlp.None})
		}},
	}
	grpcAddr, httpAddr := startSink(b)
	spans := recordedSpans(b, 4096)
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			p, delivered := v.processor(b, grpcAddr, httpAddr)
			b.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = p.Shutdown(ctx)
			})
			// One warm-up batch: dial and first-use costs are not the
			// steady state.
			for _, s := range spans[:dev.MaxExport] {
				p.OnEnd(s)
			}
			if err := p.ForceFlush(context.Background()); err != nil {
				b.Fatal(err)
			}
			before := delivered()
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime()
			i := 0
			for b.Loop() {
				p.OnEnd(spans[i%len(spans)])
				if i++; i%flushEvery == 0 {
					if err := p.ForceFlush(context.Background()); err != nil {
						b.Fatal(err)
					}
				}
			}
			if err := p.ForceFlush(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(1-float64(delivered()-before)/float64(b.N), "dropped/span")
		})
	}
}
