package reliability_test

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/internal/lab"
)

// With the backend up, a graceful Shutdown loses nothing: 10,000 spans sent,
// 10,000 stored in Jaeger, each once, and Stats says so. The spans go in four
// traces of 2,500, so that each trace is read back whole with one query.
func TestGracefulShutdownDeliversEverything(t *testing.T) {
	const traces, perTrace = 4, 2500
	const total = traces * perTrace
	l := lab.ForTest(t)
	tel, logs := initTel(t, baseEnv("reliability-delivery").With(env{
		"TELEMETRY_BACKEND":          "jaeger",
		"JAEGER_ENDPOINT":            l.JaegerOTLPGRPC,
		"TELEMETRY_EXPORT_TIMEOUT":   "10s",
		"TELEMETRY_SHUTDOWN_TIMEOUT": "30s",
	}))
	tr := tel.TracerProvider().Tracer("otelswitch/reliability")

	// Send as fast as the queue (2048 spans) takes it without overflowing: a
	// burst bigger than the queue is dropped by design, which is not what
	// this test is about. The last spans are still queued when Shutdown is
	// called, so it is Shutdown that delivers them.
	parents := make([]trace.SpanContext, traces)
	var seq int64
	for i := range parents {
		parents[i] = newTraceParent()
		ctx := trace.ContextWithRemoteSpanContext(context.Background(), parents[i])
		for range perTrace / 100 {
			if !waitUntil(30*time.Second, func() bool { return stats(t, tel).SpansQueued <= 1024 }) {
				t.Fatalf("the queue does not drain with Jaeger up: %+v", stats(t, tel))
			}
			for range 100 {
				endSpan(tr, ctx, seq)
				seq++
			}
		}
	}
	queued := stats(t, tel).SpansQueued
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := tel.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v\n%s", err, logs)
	}
	t.Logf("Shutdown delivered the %d spans still queued in %v", queued, time.Since(start).Round(time.Millisecond))

	st := stats(t, tel)
	if st.SpansExported != total || st.SpansDropped != 0 || st.SpansQueued != 0 || st.FailedExports != 0 {
		t.Errorf("stats = %+v, want %d exported, none dropped, queued or failed", st, total)
	}
	stored := seqs{}
	for i, p := range parents {
		got := jaegerSeqs(t, l, p.TraceID().String())
		if len(got) != perTrace {
			t.Errorf("trace %d (%s): Jaeger has %d distinct spans, want %d", i, p.TraceID(), len(got), perTrace)
		}
		for n, c := range got {
			stored[n] += c
		}
	}
	if d := stored.duplicates(); len(d) > 0 {
		t.Errorf("%d spans stored more than once, e.g. %v", len(d), d[:min(len(d), 5)])
	}
	var missing []int64
	for n := range int64(total) {
		if stored[n] == 0 {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d of %d spans are not in Jaeger, e.g. %v", len(missing), total, missing[:min(len(missing), 5)])
	}
	t.Logf("sent %d, stored in Jaeger %d, stats exported %d, dropped %d", total, len(stored), st.SpansExported, st.SpansDropped)
}
