package reliability_test

import (
	"context"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/contrib/bridges/otelslog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/otelswitch/otelswitch/internal/otlptest"
)

// handoffEntry is what one record waiting in bootstrap's hand-off queue
// holds: a logEntry (a slog.Record with five attributes inline, and the
// context) in its size class; bootstrap's TestLogEntrySize keeps it there.
// logFlood's record has four attributes, so nothing past the five.
const handoffEntry = 384

// logFlood is the record every flooding goroutine writes.
func logFlood(ctx context.Context, l *slog.Logger, worker, i int) {
	l.InfoContext(ctx, "book fetched", "worker", worker, "seq", i, "route", "/books/{id}", "user.agent", "reliability-test/1.0")
}

// retainedLogBytes measures the heap one queued log record holds: the copy
// the processor keeps of what the slog bridge made of logFlood's record,
// the record itself included (the queue's buffer holds it, allocated once
// at Init, so this over-counts).
func retainedLogBytes(n int) int64 {
	k := &otlptest.LogKeeper{}
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(k))
	l := slog.New(otelslog.NewHandler("reliability", otelslog.WithLoggerProvider(lp)))
	ctx := context.Background()
	before := heapAfterGC()
	k.Records = make([]sdklog.Record, 0, n)
	for i := range n {
		logFlood(ctx, l, 0, i)
	}
	after := heapAfterGC()
	runtime.KeepAlive(k)
	return (after - before) / int64(n)
}

// Eight goroutines log as fast as they can into a backend that never
// answers. Writing never blocks, the heap stays under
//
//	(OTEL_BLRP_MAX_QUEUE_SIZE + 2 × OTEL_BLRP_MAX_EXPORT_BATCH_SIZE) × one record
//	+ OTEL_BLRP_MAX_QUEUE_SIZE × one hand-off entry + 4 MiB
//
// (the hand-off queue in front of the pipeline holds up to
// OTEL_BLRP_MAX_QUEUE_SIZE slog records of at most handoffEntry bytes),
// and every record is either exported or counted as dropped. Shutdown
// returns by its deadline.
func TestLogFloodIntoABlackHole(t *testing.T) {
	const workers = 8
	const flood = 3 * time.Second
	const queue, batch = 2048, 512 // the specification's defaults, which Init uses
	tel, _ := initTel(t, baseEnv("reliability-log-flood").With(env{
		"TELEMETRY_BACKEND":           "otlp",
		"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
		"OTEL_EXPORTER_OTLP_ENDPOINT": "http://" + otlptest.Blackhole(t),
		"TELEMETRY_LOGS":              "export",
		"TELEMETRY_METRICS":           "false",
		"TELEMETRY_EXPORT_TIMEOUT":    "1s",
		"TELEMETRY_SHUTDOWN_TIMEOUT":  "2s",
	}))
	perRecord := retainedLogBytes(4096)
	bound := int64(queue+2*batch)*perRecord + queue*handoffEntry + heapSlack
	t.Logf("one queued record holds %d bytes; bound = (%d + 2 × %d) × %d + %d × %d + %s = %s", perRecord, queue, batch, perRecord, queue, handoffEntry, mib(heapSlack), mib(bound))

	logger := tel.Logger()
	var written atomic.Int64
	// burst floods for d from every worker, then waits for them all: the
	// heap is measured between bursts, as a GC with eight goroutines
	// allocating flat out would count their fresh garbage as live.
	burst := func(d time.Duration) {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				ctx := context.Background()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					logFlood(ctx, logger, w, i)
					written.Add(1)
				}
			})
		}
		time.Sleep(d)
		close(stop)
		wg.Wait()
	}
	burst(100 * time.Millisecond) // the queue fills, the exporter connects
	base := heapAfterGC()
	var peak int64
	for range 6 {
		burst(flood / 6)
		peak = max(peak, heapAfterGC()-base)
	}
	n := written.Load()
	t.Logf("%d records written by %d goroutines in %v (%s if all were kept); heap growth %s at most, bound %s",
		n, workers, flood, mib(n*perRecord), mib(peak), mib(bound))
	if peak >= bound {
		t.Errorf("heap grew by %s during the flood, over the bound of %s", mib(peak), mib(bound))
	}
	if n*perRecord < 5*bound {
		t.Errorf("only %d records written; the test needs many more than the queue holds to mean anything", n)
	}

	start := time.Now()
	_ = tel.Shutdown(context.Background())
	if took := time.Since(start); took > 2*time.Second+time.Second {
		t.Errorf("Shutdown took %v; TELEMETRY_SHUTDOWN_TIMEOUT is 2s", took)
	}
	// The cancelled export returns just after Shutdown; then every record
	// is accounted for.
	st := stats(t, tel).Logs
	waitUntil(5*time.Second, func() bool { st = stats(t, tel).Logs; return st.Queued == 0 })
	t.Logf("logs: exported %d, dropped %d, queued %d, failed exports %d", st.Exported, st.Dropped, st.Queued, st.FailedExports)
	if st.Exported+st.Dropped != n || st.Queued != 0 {
		t.Errorf("Stats().Logs = %+v: exported + dropped = %d, want every one of the %d records written", st, st.Exported+st.Dropped, n)
	}
	if st.Dropped < n-int64(queue+batch) {
		t.Errorf("only %d records dropped of %d written into a black hole", st.Dropped, n)
	}
}

// With the backend up, Shutdown delivers the spans, log records and metric
// points still waiting, within the one deadline.
func TestShutdownFlushesEverySignal(t *testing.T) {
	recv, srv := otlptest.NewHTTP(t)
	tel, _ := initTel(t, baseEnv("reliability-shutdown-signals").With(env{
		"TELEMETRY_BACKEND":           "otlp",
		"OTEL_EXPORTER_OTLP_ENDPOINT": srv.URL,
		"TELEMETRY_LOGS":              "both",
		"TELEMETRY_METRICS":           "true",
		"TELEMETRY_RUNTIME_METRICS":   "false",
		"OTEL_BLRP_SCHEDULE_DELAY":    "60000", // nothing leaves before Shutdown
		"TELEMETRY_SHUTDOWN_TIMEOUT":  "5s",
	}))
	tr := tel.TracerProvider().Tracer("reliability")
	counter, _ := tel.MeterProvider().Meter("reliability").Int64Counter("books.fetched")
	for i := range 100 {
		ctx, span := tr.Start(context.Background(), "fetch")
		tel.Logger().InfoContext(ctx, "fetched", "seq", i)
		counter.Add(ctx, 1, metric.WithAttributes(attribute.Int("shard", i%4)))
		span.End()
	}
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	st := stats(t, tel)
	if st.SpansExported != 100 || st.Logs.Exported != 100 || st.Metrics.Exported != 4 || st.Logs.Queued != 0 {
		t.Errorf("after Shutdown: spans %d, logs %+v, metrics %+v; want 100, 100 and 4 points", st.SpansExported, st.Logs, st.Metrics)
	}
	if got := len(recv.LogRecords()); got != 100 {
		t.Errorf("the receiver has %d log records, want 100", got)
	}
}
