package e2e_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/internal/lab"
)

// capBatch is one export: 200 traces of 5 spans, shaped like the sample
// app's GET /chain (server, client, server, client, server over three
// services), one trace in 10 with an error.
const (
	capTraces      = 200
	capSpans       = 5
	capBatchSpans  = capTraces * capSpans
	capSenders     = 2
	capDecisionGap = time.Second
)

// BenchmarkGatewayTailSampling measures what one gateway
// (deploy/collector/gateway.yaml, GOMAXPROCS=1) costs per span with tail
// sampling on: capSenders OTLP/gRPC clients send b.N batches of 1000 spans
// as fast as the gateway acknowledges them; the gateway keeps errors,
// traces over 1000 ms and 10% of the rest and exports them to the lab's
// Jaeger. Reported: spans per second of the gateway's CPU time (what one
// fully used core sustains) and spans per wall-clock second on this
// machine, which the other processes (senders, Jaeger) share. One op is a
// batch of 1000 spans. docs/scale-out.md has the command and a result.
func BenchmarkGatewayTailSampling(b *testing.B) {
	l, root, otelcol := collectorLab(b)
	ports, err := lab.FreePorts(4)
	if err != nil {
		b.Fatal(err)
	}
	addr := func(i int) string { return "127.0.0.1:" + strconv.Itoa(ports[i]) }
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + os.TempDir(),
		"GOMAXPROCS=1",
		"GATEWAY_OTLP_GRPC_ENDPOINT=" + addr(0),
		"GATEWAY_OTLP_HTTP_ENDPOINT=" + addr(1),
		"GATEWAY_HEALTH_ENDPOINT=" + addr(2),
		"GATEWAY_METRICS_HOST=127.0.0.1",
		"GATEWAY_METRICS_PORT=" + strconv.Itoa(ports[3]),
		"TAIL_SAMPLING_DECISION_WAIT=" + capDecisionGap.String(),
		"TAIL_SAMPLING_PERCENTAGE=10",
		"TAIL_SAMPLING_LATENCY_THRESHOLD_MS=1000",
		"GATEWAY_TRACES_EXPORTERS=[otlp/jaeger]",
		"JAEGER_ENDPOINT=" + l.JaegerOTLPGRPC,
		"JAEGER_INSECURE=true",
	}
	ctx := context.Background()
	gw, err := lab.StartProc(ctx, "gateway", otelcol, []string{"--config", filepath.Join(root, "deploy/collector/gateway.yaml")},
		env, filepath.Join(b.TempDir(), "gateway.log"), "http://"+addr(2)+"/")
	if err != nil {
		b.Fatal(err)
	}
	defer gw.Stop()

	exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(addr(0)), otlptracegrpc.WithInsecure())
	if err != nil {
		b.Fatal(err)
	}
	defer exp.Shutdown(ctx)
	batches := make([][]sdktrace.ReadOnlySpan, capSenders)
	for i := range batches {
		batches[i] = capBatch()
	}
	// Warm up the connection and the gateway's pipeline.
	renewTraceIDs(batches[0])
	if err := exp.ExportSpans(ctx, batches[0]); err != nil {
		b.Fatal(err)
	}
	cpu0, err := procCPU(gw)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	work := make(chan int)
	var wg sync.WaitGroup
	var sendErr error
	var mu sync.Mutex
	for s := range capSenders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range work {
				renewTraceIDs(batches[s])
				if err := exp.ExportSpans(ctx, batches[s]); err != nil {
					mu.Lock()
					sendErr = err
					mu.Unlock()
				}
			}
		}()
	}
	for i := range b.N {
		work <- i
	}
	close(work)
	wg.Wait()
	// Acknowledged is not decided: wait until the gateway has decided on
	// every trace, as its own metrics count them.
	want := float64((b.N + 1) * capTraces)
	err = lab.WaitFor(ctx, func(ctx context.Context) (bool, error) {
		body, err := httpGet(httpClient, "http://"+addr(3)+"/metrics")
		if err != nil {
			return false, err
		}
		got := sumMetric(body, "otelcol_processor_tail_sampling_global_count_traces_sampled")
		if got < want {
			return false, fmt.Errorf("the gateway decided on %v traces, want %v", got, want)
		}
		return true, nil
	})
	elapsed := time.Since(start) - capDecisionGap
	b.StopTimer()
	if err != nil {
		b.Fatalf("%v\n%s", err, gw.Log(20))
	}
	if sendErr != nil {
		b.Fatalf("exporting to the gateway: %v", sendErr)
	}
	cpu1, err := procCPU(gw)
	if err != nil {
		b.Fatal(err)
	}
	spans := float64(b.N * capBatchSpans)
	b.ReportMetric(spans/(cpu1-cpu0).Seconds(), "spans/cpu-s")
	b.ReportMetric(spans/elapsed.Seconds(), "spans/s")
	b.ReportMetric((cpu1 - cpu0).Seconds(), "gateway-cpu-s")
}

var httpClient = &http.Client{Timeout: 10 * time.Second}

// capBatch builds capTraces traces of capSpans spans, IDs filled in by
// renewTraceIDs before each export.
func capBatch() []sdktrace.ReadOnlySpan {
	services := []string{"app-a", "app-a", "app-b", "app-b", "app-c"}
	kinds := []trace.SpanKind{trace.SpanKindServer, trace.SpanKindClient, trace.SpanKindServer, trace.SpanKindClient, trace.SpanKindServer}
	res := map[string]*resource.Resource{}
	for _, s := range services {
		res[s] = resource.NewSchemaless(attribute.String("service.name", s), attribute.String("k8s.pod.name", s+"-7d9f8b6c5-x2x4z"))
	}
	now := time.Now()
	var stubs tracetest.SpanStubs
	for t := range capTraces {
		for i := range capSpans {
			st := tracetest.SpanStub{
				Name:      "GET /chain",
				SpanKind:  kinds[i],
				StartTime: now.Add(time.Duration(i) * time.Millisecond),
				EndTime:   now.Add(time.Duration(20-i) * time.Millisecond),
				Attributes: []attribute.KeyValue{
					attribute.String("http.request.method", "GET"),
					attribute.String("http.route", "/chain"),
					attribute.Int("http.response.status_code", 200),
					attribute.String("url.full", "http://127.0.0.1:8080/chain"),
				},
				Resource:             res[services[i]],
				InstrumentationScope: instrumentation.Scope{Name: "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"},
			}
			if t%10 == 0 {
				st.Status = sdktrace.Status{Code: codes.Error, Description: "502 Bad Gateway"}
			}
			stubs = append(stubs, st)
		}
	}
	return stubs.Snapshots()
}

// renewTraceIDs gives every trace in batch a new random trace ID and its
// spans new span IDs chained parent to child. The snapshots are read-only,
// so they are rebuilt.
func renewTraceIDs(batch []sdktrace.ReadOnlySpan) {
	stubs := tracetest.SpanStubsFromReadOnlySpans(batch)
	var tid trace.TraceID
	var parent trace.SpanID
	for i := range stubs {
		if i%capSpans == 0 {
			_, _ = rand.Read(tid[:])
			parent = trace.SpanID{}
		}
		var sid trace.SpanID
		_, _ = rand.Read(sid[:])
		stubs[i].SpanContext = trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled})
		stubs[i].Parent = trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: parent, TraceFlags: trace.FlagsSampled})
		parent = sid
	}
	copy(batch, stubs.Snapshots())
}

// procCPU is the CPU time (user + system) the process has used, from
// /proc/PID/stat (Linux).
func procCPU(p *lab.Proc) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.Pid()))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses and may hold
	// spaces: state is field 3, utime 14, stime 15.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc stat: %q", b)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("parsing /proc stat: %q", b)
	}
	const clockTicks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}
