package reliability_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/otelswitch/otelswitch/bootstrap"
	"github.com/otelswitch/otelswitch/internal/lab"
	"github.com/otelswitch/otelswitch/internal/otlptest"
)

// baseEnv is the development profile (queue 2048 spans, batches of 512 every
// 500 ms) with short timeouts, so that every outage test is quick.
func baseEnv(service string) env {
	return env{
		"ENVIRONMENT":                "development",
		"OTEL_SERVICE_NAME":          service,
		"TELEMETRY_METRICS":          "false",
		"TELEMETRY_EXPORT_TIMEOUT":   "1s",
		"TELEMETRY_SHUTDOWN_TIMEOUT": "10s",
	}
}

// Init never waits on the network: with Jaeger gone, frozen, or replaced by
// a listener that never answers, it returns at once, spans can be recorded,
// and Shutdown keeps its deadline and counts what it could not send.
func TestInitWithTheBackendDown(t *testing.T) {
	l := lab.ForTest(t)
	cases := []struct {
		name  string
		setup func(t *testing.T) string // returns JAEGER_ENDPOINT
	}{
		{"jaeger frozen (accepts, never answers)", func(t *testing.T) string {
			if err := l.PauseJaeger(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = l.ResumeJaeger() })
			return l.JaegerOTLPGRPC
		}},
		{"black hole listener", func(t *testing.T) string { return otlptest.Blackhole(t) }},
		{"jaeger killed (nothing listens)", func(t *testing.T) string {
			if err := l.KillJaeger(); err != nil {
				t.Fatal(err)
			}
			return l.JaegerOTLPGRPC
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			endpoint := c.setup(t)
			e := baseEnv("reliability-down").With(env{
				"TELEMETRY_BACKEND":          "jaeger",
				"JAEGER_ENDPOINT":            endpoint,
				"TELEMETRY_EXPORT_TIMEOUT":   "30s", // longer than the test: only the deadlines below can end an export
				"TELEMETRY_SHUTDOWN_TIMEOUT": "500ms",
			})
			start := time.Now()
			tel, err := bootstrap.Init(context.Background(), bootstrap.WithLookupEnv(e.Lookup),
				bootstrap.WithoutGlobals(), bootstrap.WithLogOutput(&syncBuffer{}))
			took := time.Since(start)
			if err != nil {
				t.Fatalf("Init: %v", err)
			}
			t.Logf("Init took %v", took)
			// Generous: DESIGN's "well under 50 ms" is measured by the Init
			// benchmark; here Init only must not wait for the backend.
			if took > 5*time.Second {
				t.Errorf("Init took %v with the backend down", took)
			}

			tr := tel.TracerProvider().Tracer("otelswitch/reliability")
			const n = 100
			start = time.Now()
			for range n {
				_, s := tr.Start(context.Background(), "op")
				s.End()
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("ending %d spans took %v; ending a span must not wait on the backend", n, d)
			}
			start = time.Now()
			err = tel.Shutdown(context.Background())
			took = time.Since(start)
			t.Logf("Shutdown took %v (TELEMETRY_SHUTDOWN_TIMEOUT=500ms): %v", took, err)
			if took > 500*time.Millisecond+3*time.Second {
				t.Errorf("Shutdown took %v, want about its 500ms deadline", took)
			}
			// The cancelled export returns just after Shutdown; then every
			// span is accounted for.
			var st = stats(t, tel)
			waitUntil(5*time.Second, func() bool { st = stats(t, tel); return st.SpansQueued == 0 })
			if st.SpansExported != 0 || st.SpansDropped != n || st.SpansQueued != 0 {
				t.Errorf("stats = %+v, want all %d spans dropped", st, n)
			}
		})
	}
}

// outageBackend is a lab server the killed-and-restarted test uses.
type outageBackend struct {
	name    string
	env     func(l *lab.Lab) env
	read    func(t *testing.T, l *lab.Lab, traceID string) seqs
	kill    func(l *lab.Lab) error
	restart func(ctx context.Context, l *lab.Lab) error
	// survives says whether what was stored before the kill is still there
	// after the restart (the collector's file) or gone (Jaeger's memory).
	survives bool
}

var outageBackends = []outageBackend{
	{
		name: "jaeger over grpc",
		env: func(l *lab.Lab) env {
			return env{"TELEMETRY_BACKEND": "jaeger", "JAEGER_ENDPOINT": l.JaegerOTLPGRPC}
		},
		read:    jaegerSeqs,
		kill:    (*lab.Lab).KillJaeger,
		restart: func(ctx context.Context, l *lab.Lab) error { return l.RestartJaeger(ctx) },
	},
	{
		name: "collector over http",
		env: func(l *lab.Lab) env {
			return env{
				"TELEMETRY_BACKEND":           "otlp",
				"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
				"OTEL_EXPORTER_OTLP_ENDPOINT": "http://" + l.CollectorOTLPHTTP,
			}
		},
		read:     collectorSeqs,
		kill:     (*lab.Lab).KillCollector,
		restart:  func(ctx context.Context, l *lab.Lab) error { return l.RestartCollector(ctx) },
		survives: true,
	},
}

// A backend killed mid-run and restarted: exports resume by themselves, and
// Stats counts exactly the spans that never arrived. Spans are numbered, so
// "arrived" is checked span by span: none twice, none unaccounted for.
func TestBackendKilledAndRestarted(t *testing.T) {
	for _, b := range outageBackends {
		t.Run(b.name, func(t *testing.T) {
			l := lab.ForTest(t)
			tel, logs := initTel(t, baseEnv("reliability-restart").With(b.env(l)))
			parent := newTraceParent()
			traceID := parent.TraceID().String()
			// 400 spans a second, about 200 in each 500 ms batch.
			em := startEmitter(tel.TracerProvider(), parent, 4, 10*time.Millisecond)
			defer func() {
				select {
				case <-em.done:
				default:
					em.Stop()
				}
			}()
			if !waitUntil(20*time.Second, func() bool { return stats(t, tel).SpansExported >= 400 }) {
				t.Fatalf("nothing exported before the outage: %+v\n%s", stats(t, tel), logs)
			}

			// Kill between two exports, so that what the backend holds just
			// before the crash is exactly what it acknowledged: pause the
			// emitter for a moment (with nothing queued the exporter stays
			// idle), flush, read the backend, kill, resume.
			em.Pause()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := tel.ForceFlush(ctx); err != nil {
				t.Fatalf("ForceFlush: %v", err)
			}
			cancel()
			atKill := stats(t, tel).SpansExported
			var before seqs
			// The collector writes its file every 100 ms.
			waitUntil(5*time.Second, func() bool { before = b.read(t, l, traceID); return int64(len(before)) >= atKill })
			if err := b.kill(l); err != nil {
				t.Fatal(err)
			}
			killed := time.Now()
			em.Resume()
			if got := stats(t, tel).SpansExported; got != atKill {
				t.Fatalf("an export finished while the emitter was paused (%d then %d exported)", atKill, got)
			}
			if int64(len(before)) != atKill || len(before.duplicates()) > 0 {
				t.Fatalf("before the kill the backend holds %d distinct spans (duplicates %v), the exporter acknowledged %d",
					len(before), before.duplicates(), atKill)
			}

			time.Sleep(3 * time.Second) // the outage; spans keep coming
			sentAtRestart := em.Sent()
			ctx, cancel = context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := b.restart(ctx, l); err != nil {
				t.Fatal(err)
			}
			restarted := time.Now()
			if !waitUntil(30*time.Second, func() bool { return stats(t, tel).SpansExported > atKill }) {
				t.Fatalf("exports did not resume within 30s of the restart: %+v", stats(t, tel))
			}
			t.Logf("down for %v; exports resumed %v after the restart", restarted.Sub(killed).Round(time.Millisecond), time.Since(restarted).Round(time.Millisecond))
			time.Sleep(time.Second)
			sent := em.Stop()

			if err := tel.Shutdown(ctx); err != nil {
				t.Fatalf("Shutdown with the backend up: %v", err)
			}
			st := stats(t, tel)
			// What arrived: what the backend held before the crash, plus
			// what it holds now.
			var after seqs
			waitUntil(5*time.Second, func() bool {
				after = b.read(t, l, traceID)
				n := int64(len(after))
				if !b.survives {
					n += int64(len(before))
				}
				return n >= st.SpansExported
			})
			stored := seqs{}
			for n, c := range after {
				stored[n] += c
			}
			if b.survives {
				for n := range before {
					if stored[n] == 0 {
						t.Errorf("span %d was stored before the crash and is gone after it", n)
					}
				}
			} else {
				for n, c := range before {
					stored[n] += c
				}
			}
			if d := stored.duplicates(); len(d) > 0 {
				t.Errorf("%d spans stored more than once, e.g. %v", len(d), d[:min(len(d), 5)])
			}
			for n := range stored {
				if n < 0 || n >= sent {
					t.Errorf("stored span %d was never sent (sent %d)", n, sent)
				}
			}
			arrived := int64(len(stored))
			t.Logf("sent %d, arrived %d, stats: exported %d, dropped %d, failed exports %d, queued %d",
				sent, arrived, st.SpansExported, st.SpansDropped, st.FailedExports, st.SpansQueued)
			if st.SpansExported != arrived || st.SpansDropped != sent-arrived || st.SpansQueued != 0 {
				t.Errorf("stats say exported %d, dropped %d, queued %d; the backend has %d of %d sent: want exported %d, dropped %d, queued 0",
					st.SpansExported, st.SpansDropped, st.SpansQueued, arrived, sent, arrived, sent-arrived)
			}
			if st.SpansDropped == 0 || st.FailedExports == 0 {
				t.Errorf("stats = %+v: a 3 s outage must fail exports and drop spans", st)
			}
			var resumed bool
			for n := range stored {
				resumed = resumed || n >= sentAtRestart
			}
			if !resumed {
				t.Errorf("no span sent after the restart arrived")
			}
			for _, want := range []string{"telemetry export failing", "telemetry export recovered"} {
				if !strings.Contains(logs.String(), want) {
					t.Errorf("the library's log lacks %q:\n%s", want, logs)
				}
			}
		})
	}
}
