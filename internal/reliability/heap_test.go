package reliability_test

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/internal/lab"
	"github.com/otelswitch/otelswitch/profiles"
)

// keeper holds every ended span, as a queue does.
type keeper struct {
	mu    sync.Mutex
	spans []sdktrace.ReadOnlySpan
}

func (k *keeper) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (k *keeper) OnEnd(s sdktrace.ReadOnlySpan) {
	k.mu.Lock()
	k.spans = append(k.spans, s)
	k.mu.Unlock()
}
func (k *keeper) Shutdown(context.Context) error   { return nil }
func (k *keeper) ForceFlush(context.Context) error { return nil }

// retainedSpanBytes measures the heap one ended span holds while it waits in
// a queue: the snapshot the SDK hands to OnEnd, with the attributes every
// span of these tests carries.
func retainedSpanBytes(n int) int64 {
	k := &keeper{spans: make([]sdktrace.ReadOnlySpan, 0, n)}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(k))
	tr := tp.Tracer("otelswitch/reliability")
	ctx := trace.ContextWithRemoteSpanContext(context.Background(), newTraceParent())
	before := heapAfterGC()
	for i := range n {
		endSpan(tr, ctx, int64(i))
	}
	after := heapAfterGC()
	runtime.KeepAlive(k)
	return (after - before) / int64(n)
}

// heapAfterGC returns the live heap, in bytes.
func heapAfterGC() int64 {
	runtime.GC()
	runtime.GC() // the first cycle's finalizers may free more
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// heapSlack covers what is neither a queued span nor the protobuf copy of
// the batch in flight: the encoded request, gRPC's connection and stream
// buffers, and the noise of measuring.
const heapSlack = 4 << 20

// heapBound is the most the heap may grow while a backend is away: MaxQueue
// spans waiting, MaxExport more in the batch being exported, which the
// exporter holds a second time as protobuf messages while it waits, and
// heapSlack.
func heapBound(p profiles.Profile, perSpan int64) int64 {
	return int64(p.MaxQueue+2*p.MaxExport)*perSpan + heapSlack
}

// Under a steady 1,000 spans a second, a backend that hangs for 60 s costs at
// most a full queue: the heap grows by no more than heapBound,
//
//	(MaxQueue + 2 × MaxExport) × the measured size of one ended span + 4 MiB
//
// and stops growing once the queue is full, rather than piling up the 60,000
// spans the outage sends. docs/reliability.md shows the figures.
func TestHeapBoundedThroughAMinuteOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the outage lasts 60 s")
	}
	const outage = 60 * time.Second
	const perTick, tick = 10, 10 * time.Millisecond // 1,000 spans a second
	p := profiles.Development
	l := lab.ForTest(t)
	tel, logs := initTel(t, baseEnv("reliability-heap").With(env{
		"TELEMETRY_BACKEND":          "jaeger",
		"JAEGER_ENDPOINT":            l.JaegerOTLPGRPC,
		"TELEMETRY_EXPORT_TIMEOUT":   "2s",
		"TELEMETRY_SHUTDOWN_TIMEOUT": "10s",
	}))
	perSpan := retainedSpanBytes(4096)
	bound := heapBound(p, perSpan)
	t.Logf("one queued span holds %d bytes; bound = (%d + 2 × %d) × %d + %s = %s",
		perSpan, p.MaxQueue, p.MaxExport, perSpan, mib(heapSlack), mib(bound))

	// Warm up with Jaeger answering, so the connection and its buffers
	// exist before the baseline; then take the baseline with nothing queued.
	em := startEmitter(tel.TracerProvider(), newTraceParent(), perTick, tick)
	defer func() {
		select {
		case <-em.done:
		default:
			em.Stop()
		}
	}()
	time.Sleep(2 * time.Second)
	em.Pause()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tel.ForceFlush(ctx); err != nil {
		t.Fatalf("ForceFlush with Jaeger up: %v", err)
	}
	base := heapAfterGC()
	atOutage := stats(t, tel)
	if err := l.PauseJaeger(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.ResumeJaeger() })
	em.Resume()

	sentBefore := em.Sent()
	var peak, first int64
	for i := 1; i <= 6; i++ {
		time.Sleep(outage / 6)
		h := heapAfterGC() - base
		if i == 1 {
			first = h
		}
		peak = max(peak, h)
		st := stats(t, tel)
		t.Logf("outage +%v: heap +%s over the baseline; queued %d, dropped %d, failed exports %d",
			outage/6*time.Duration(i), mib(h), st.SpansQueued, st.SpansDropped, st.FailedExports)
	}
	em.Pause()
	growth := heapAfterGC() - base
	peak = max(peak, growth)
	during := em.Sent() - sentBefore
	t.Logf("%d spans sent during the outage (%s if all were kept); heap growth %s at most, bound %s",
		during, mib(during*perSpan), mib(peak), mib(bound))
	if peak >= bound {
		t.Errorf("heap grew by %s during the outage, over the bound of %s", mib(peak), mib(bound))
	}
	// Once the queue is full the heap stays put: no cost per failed export.
	if peak-first > 1<<20 {
		t.Errorf("heap kept growing after the queue filled: %s at +10s, %s at most later", mib(first), mib(peak))
	}
	if during*perSpan < 5*bound {
		t.Errorf("the outage sent only %d spans; the test needs many more than the queue holds to mean anything", during)
	}

	// The backend comes back: exports resume and every span is accounted for.
	if err := l.ResumeJaeger(); err != nil {
		t.Fatal(err)
	}
	resumedAt := stats(t, tel).SpansExported
	em.Resume()
	if !waitUntil(30*time.Second, func() bool { return stats(t, tel).SpansExported > resumedAt }) {
		t.Fatalf("exports did not resume after the outage: %+v\n%s", stats(t, tel), logs)
	}
	sent := em.Stop()
	ctx, cancel = context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := tel.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	st := stats(t, tel)
	t.Logf("sent %d: exported %d, dropped %d (%d before the outage), failed exports %d",
		sent, st.SpansExported, st.SpansDropped, atOutage.SpansDropped, st.FailedExports)
	if st.SpansExported+st.SpansDropped != sent || st.SpansQueued != 0 {
		t.Errorf("stats = %+v: exported + dropped = %d, want every one of the %d spans sent", st, st.SpansExported+st.SpansDropped, sent)
	}
	if st.SpansDropped < during-int64(p.MaxQueue+p.MaxExport) {
		t.Errorf("only %d spans dropped of %d sent into a hung backend; the queue holds %d", st.SpansDropped, during, p.MaxQueue)
	}
}
