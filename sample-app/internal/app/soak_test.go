package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otelswitch/otelswitch/bootstrap"
	"github.com/otelswitch/otelswitch/internal/lab"
	"github.com/otelswitch/otelswitch/sample-app/internal/app"
	"github.com/otelswitch/otelswitch/sample-app/internal/load"
)

// TestSoak is `make soak` (docs/reliability.md, "Soak"), skipped unless
// SOAK_DURATION is set: the books service under closed-loop load (as fast as
// SOAK_CONCURRENCY workers get answers, which is the rate the machine
// sustains), fanned out to the lab's Jaeger and collector, with a backend
// disturbed every SOAK_RESTART_EVERY (default 1m), alternately: the collector
// killed and restarted (its files survive), and Jaeger frozen for the same
// outage (its in-memory store would empty on a restart and leave nothing to
// count). It logs heap and goroutines over time and, per backend, spans
// sent = stored + dropped, and fails when they do not add up or the heap
// keeps growing after warm-up.
func TestSoak(t *testing.T) {
	d, err := time.ParseDuration(os.Getenv("SOAK_DURATION"))
	if err != nil {
		t.Skipf("SOAK_DURATION unset or not a duration (%v): the soak runs only under make soak", err)
	}
	every := time.Minute
	if v := os.Getenv("SOAK_RESTART_EVERY"); v != "" {
		if every, err = time.ParseDuration(v); err != nil {
			t.Fatalf("SOAK_RESTART_EVERY=%q: %v", v, err)
		}
	}
	workers := 8
	if v := os.Getenv("SOAK_CONCURRENCY"); v != "" {
		if _, err := fmt.Sscan(v, &workers); err != nil {
			t.Fatalf("SOAK_CONCURRENCY=%q: %v", v, err)
		}
	}
	const outage = 10 * time.Second
	l := lab.ForTest(t)
	service := fmt.Sprintf("books-soak-%d", time.Now().UnixNano())
	inst, err := app.Start(context.Background(), env(t,
		"ENVIRONMENT", "development",
		"TELEMETRY_BACKEND", "jaeger,otlp",
		"JAEGER_ENDPOINT", l.JaegerOTLPGRPC,
		"OTEL_EXPORTER_OTLP_ENDPOINT", "http://"+l.CollectorOTLPHTTP,
		"OTEL_SERVICE_NAME", service,
	), bootstrap.WithoutGlobals(), bootstrap.WithLogOutput(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	started := time.Now()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	var res load.Result
	var loadErr error
	wg.Go(func() {
		res, loadErr = load.Run(ctx, load.Config{URL: inst.URL, Duration: d, Concurrency: workers})
	})
	// The disturbances.
	wg.Go(func() {
		tick := time.NewTicker(every)
		defer tick.Stop()
		for n := 0; ; n++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if time.Since(started) > d-outage {
				return
			}
			if n%2 == 0 {
				t.Logf("%s: collector killed", time.Since(started).Round(time.Second))
				if err := l.KillCollector(); err != nil {
					t.Error(err)
					return
				}
				time.Sleep(outage)
				if err := l.RestartCollector(ctx); err != nil {
					t.Error(err)
					return
				}
				t.Logf("%s: collector restarted", time.Since(started).Round(time.Second))
			} else {
				t.Logf("%s: Jaeger frozen", time.Since(started).Round(time.Second))
				if err := l.PauseJaeger(); err != nil {
					t.Error(err)
					return
				}
				time.Sleep(outage)
				if err := l.ResumeJaeger(); err != nil {
					t.Error(err)
					return
				}
				t.Logf("%s: Jaeger resumed", time.Since(started).Round(time.Second))
			}
		}
	})
	// Heap and goroutines every tenth of the run (at least every 10 s).
	type sample struct {
		at         time.Duration
		heap       uint64
		goroutines int
	}
	var samples []sample
	interval := max(d/10, 10*time.Second)
	func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for time.Since(started) < d {
			<-tick.C
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			s := sample{time.Since(started).Round(time.Second), ms.HeapAlloc, runtime.NumGoroutine()}
			samples = append(samples, s)
			t.Logf("%s: heap %.1f MB, %d goroutines", s.at, float64(s.heap)/1e6, s.goroutines)
		}
	}()
	wg.Wait()
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	sum := res.Summary()
	t.Logf("load: %+v", sum)

	sctx, scancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer scancel()
	if err := inst.Shutdown(sctx); err != nil {
		t.Logf("Shutdown: %v", err)
	}
	// Stats after Shutdown: what the final flush sent is counted.
	stats := inst.Telemetry.Stats()

	stored := map[string]int64{}
	// Reading every trace back from Jaeger takes minutes on a busy machine.
	cctx, ccancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer ccancel()
	time.Sleep(3 * time.Second) // the collector's file exporter and Jaeger's store catch up
	if err := repairKilledWrites(l.CollectorFile(lab.SourceOTLP)); err != nil {
		t.Fatal(err)
	}
	spans, err := l.CollectorSpans(cctx, lab.SourceOTLP)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range spans {
		if s.Resource["service.name"] == service {
			stored["otlp"]++
		}
	}
	t.Logf("collector stored %d spans; stats %+v", stored["otlp"], stats)
	ids := map[string]bool{}
	if err := jaegerSpans(cctx, l, service, started.Add(-time.Second), time.Now(), ids); err != nil {
		t.Fatal(err)
	}
	stored["jaeger"] = int64(len(ids))
	var report strings.Builder
	fmt.Fprintf(&report, "soak: %s, %d workers, %d requests (%.0f/s)\n", d, workers, len(res.Samples), float64(len(res.Samples))/res.Elapsed.Seconds())
	for _, s := range stats {
		sent := s.SpansExported + s.SpansDropped
		fmt.Fprintf(&report, "%s traces: sent %d = exported %d + dropped %d (queued %d); stored %d; stored + dropped = %d\n",
			s.Backend, sent, s.SpansExported, s.SpansDropped, s.SpansQueued, stored[s.Backend], stored[s.Backend]+s.SpansDropped)
		if s.Backend == "jaeger" && len(res.Samples) > jaegerMaxTraces*9/10 {
			fmt.Fprintf(&report, "jaeger: not compared: %d requests, near or over the lab Jaeger's %d-trace memory store, which evicts the oldest\n", len(res.Samples), jaegerMaxTraces)
			continue
		}
		if stored[s.Backend] != s.SpansExported {
			t.Errorf("%s: %d spans exported, %d stored", s.Backend, s.SpansExported, stored[s.Backend])
		}
	}
	t.Log(report.String())
	// Flat after warm-up: the last heap sample within 1.5x of the one after
	// the first restart's interval (both after a GC).
	if len(samples) >= 3 {
		warm, last := samples[1], samples[len(samples)-1]
		if float64(last.heap) > 1.5*float64(warm.heap) {
			t.Errorf("heap grew from %.1f MB at %s to %.1f MB at %s", float64(warm.heap)/1e6, warm.at, float64(last.heap)/1e6, last.at)
		}
		if last.goroutines > warm.goroutines+20 {
			t.Errorf("goroutines grew from %d at %s to %d at %s", warm.goroutines, warm.at, last.goroutines, last.at)
		}
	}
}

// jaegerMaxTraces is max_traces of the lab Jaeger's memory store.
const jaegerMaxTraces = 100000

// repairKilledWrites rewrites a collector file whose writer was killed in the
// middle of a line: the restarted collector appends to it, so the cut-off
// export (lost with the process, a collector-side loss) runs into the next
// line. Each such line keeps only its last complete export.
func repairKilledWrites(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	lines := strings.Split(string(b), "\n")
	for i, line := range lines {
		if line == "" || json.Valid([]byte(line)) {
			continue
		}
		if j := strings.LastIndex(line, `{"resourceSpans"`); j > 0 && json.Valid([]byte(line[j:])) {
			lines[i] = line[j:]
		} else {
			lines[i] = ""
		}
	}
	out := strings.Join(slices.DeleteFunc(lines, func(l string) bool { return l == "" }), "\n") + "\n"
	return os.WriteFile(path, []byte(out), 0o644)
}

// jaegerSpans collects the IDs of the spans of service Jaeger stored
// directly (not the collector's forwarded copies) from start to end,
// splitting the window when a query may have been cut short; a trace that
// straddles a split is read twice, hence the set.
func jaegerSpans(ctx context.Context, l *lab.Lab, service string, start, end time.Time, ids map[string]bool) error {
	const limit = 500
	traces, err := l.JaegerTraces(ctx, service, lab.Between(start, end), lab.Limit(limit))
	if err != nil {
		return err
	}
	if len(traces) >= limit && end.Sub(start) > time.Millisecond {
		mid := start.Add(end.Sub(start) / 2)
		if err := jaegerSpans(ctx, l, service, start, mid, ids); err != nil {
			return err
		}
		return jaegerSpans(ctx, l, service, mid, end, ids)
	}
	for _, tr := range traces {
		for _, s := range tr.Spans {
			_, fwd := s.Tags[lab.AttrReceiver]
			_, pfwd := s.ProcessTags[lab.AttrReceiver]
			if s.Service == service && !fwd && !pfwd {
				ids[s.SpanID] = true
			}
		}
	}
	return nil
}
