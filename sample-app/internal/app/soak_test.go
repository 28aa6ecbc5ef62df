package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otelswitch/otelswitch/bootstrap"
	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/internal/lab"
	"github.com/otelswitch/otelswitch/sample-app/internal/app"
	"github.com/otelswitch/otelswitch/sample-app/internal/load"
)

// TestSoak is `make soak` (docs/reliability.md, "Soak"), skipped unless
// SOAK_DURATION is set: the books service under closed-loop load (as fast as
// SOAK_CONCURRENCY workers get answers, which is the rate the machine
// sustains), exporting traces, metrics and logs, fanned out to the lab's
// Jaeger (traces, gRPC) and collector (every signal, http/protobuf). Every
// SOAK_RESTART_EVERY (default 1m) one backend, alternately, is restarted:
// stopped as an orderly restart would (SIGTERM: in-flight requests
// answered, then connections refused), left down for SOAK_OUTAGE (default
// 10s), started again. It logs heap and goroutines over time and, per
// backend and signal, sent = stored + dropped, and fails when they do not
// add up or the heap or goroutines keep growing after warm-up.
//
// The collector's files outlive its restarts, so its counts cover the whole
// run. Jaeger's memory store empties on a restart, so its stored spans are
// compared with what was exported to its last incarnation: exported in
// all, less what had been exported when it was stopped the last time (no
// export can succeed while it is down). An on-disk store (Badger) would
// keep everything, but on this machine it took too few spans per second to
// be the backend under test.
//
// A crash (SIGKILL) or a frozen backend would not do for the accounting:
// the collector acknowledges what its file exporter has not flushed yet and
// loses it, and an export that times out against a frozen or overloaded
// Jaeger is counted as dropped by the sender, which cannot know that Jaeger
// will still store it (earlier runs: 512 spans short and 512 over, one
// batch each). internal/reliability's outage tests cover those for the
// sender's side.
func TestSoak(t *testing.T) {
	d, err := time.ParseDuration(os.Getenv("SOAK_DURATION"))
	if err != nil {
		t.Skipf("SOAK_DURATION unset or not a duration (%v): the soak runs only under make soak", err)
	}
	every := soakDuration(t, "SOAK_RESTART_EVERY", time.Minute)
	outage := soakDuration(t, "SOAK_OUTAGE", 10*time.Second)
	workers := 8
	if v := os.Getenv("SOAK_CONCURRENCY"); v != "" {
		if _, err := fmt.Sscan(v, &workers); err != nil {
			t.Fatalf("SOAK_CONCURRENCY=%q: %v", v, err)
		}
	}
	l := lab.ForTest(t)
	service := fmt.Sprintf("books-soak-%d", time.Now().UnixNano())
	inst, err := app.Start(context.Background(), env(t,
		"ENVIRONMENT", "development",
		"TELEMETRY_BACKEND", "jaeger,otlp",
		"TELEMETRY_LOGS", "both",
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
	var ld soakLoad
	var loadErr error
	wg.Go(func() { ld, loadErr = loadInChunks(ctx, inst.URL, d, workers) })
	var jaegerLast jaegerIncarnation
	wg.Go(func() {
		jaegerLast = restartBackends(ctx, t, l, started, d, every, outage, func() int64 { return exportedTo(inst.Telemetry.Stats(), "jaeger") })
	})
	samples := sampleHeap(t, started, d)
	wg.Wait()
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	t.Logf("load: %+v", ld)

	sctx, scancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer scancel()
	if err := inst.Shutdown(sctx); err != nil {
		t.Logf("Shutdown: %v", err)
	}
	// Stats after Shutdown: what the final flush sent is counted.
	stats := inst.Telemetry.Stats()
	// Reading every trace back from Jaeger takes minutes on a busy machine.
	cctx, ccancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer ccancel()
	time.Sleep(3 * time.Second) // the collector's file exporter and Jaeger's store catch up
	stored := storedCounts(cctx, t, l, service, jaegerLast.since)

	var report strings.Builder
	fmt.Fprintf(&report, "soak: %s, %d workers, %d requests (%.0f/s, %d errors), highest p99 of a %s chunk %s\n", d, workers,
		ld.requests, float64(ld.requests)/ld.elapsed.Seconds(), ld.errors, loadChunk, ld.p99)
	for _, s := range stats {
		for _, sig := range []struct {
			name string
			st   exporters.SignalStats
		}{{"traces", s.Spans()}, {"metrics", s.Metrics}, {"logs", s.Logs}} {
			if sig.st.Exported+sig.st.Dropped+sig.st.Queued == 0 && s.Backend == "jaeger" {
				continue // Jaeger takes traces only
			}
			got := stored[s.Backend+" "+sig.name]
			if s.Backend == "jaeger" {
				fmt.Fprintf(&report, "jaeger traces since its last restart (%s): exported %d, stored %d\n",
					jaegerLast.since.Sub(started).Round(time.Second), sig.st.Exported-jaegerLast.exportedBefore, got)
				if got != sig.st.Exported-jaegerLast.exportedBefore {
					t.Errorf("jaeger traces: %d exported since its last restart, %d stored", sig.st.Exported-jaegerLast.exportedBefore, got)
				}
				got += jaegerLast.exportedBefore // stored by earlier incarnations: not readable, taken as exported
			}
			fmt.Fprintf(&report, "%s %s: sent %d = exported %d + dropped %d (queued %d, failed exports %d); stored %d; stored + dropped = %d\n",
				s.Backend, sig.name, sig.st.Exported+sig.st.Dropped+sig.st.Queued, sig.st.Exported, sig.st.Dropped, sig.st.Queued,
				sig.st.FailedExports, got, got+sig.st.Dropped)
			if s.Backend != "jaeger" && got != sig.st.Exported || sig.st.Queued != 0 {
				t.Errorf("%s %s: %d exported (%d still queued), %d stored", s.Backend, sig.name, sig.st.Exported, sig.st.Queued, got)
			}
		}
	}
	t.Log(report.String())
	checkFlat(t, samples, 2*every)
}

// soakLoad is what the load generator did over the whole run.
type soakLoad struct {
	requests, errors int
	elapsed          time.Duration
	p99              time.Duration // the highest of the chunks'
}

// loadChunk is how long each load.Run of the soak lasts.
const loadChunk = 10 * time.Second

// loadInChunks drives the service for d, loadChunk at a time: load.Run
// keeps a record of every request for its summary, which over a long run
// would grow the very heap the soak watches (about 0.8 MB a minute at 230
// requests/s), so each chunk's records go once it is summed up.
func loadInChunks(ctx context.Context, url string, d time.Duration, workers int) (soakLoad, error) {
	var out soakLoad
	// One client for every chunk, as load.Run would make it: its
	// connections are reused, not left idle by each chunk for 90 s (and
	// counted as goroutines).
	client := &http.Client{Timeout: load.DefaultTimeout, Transport: &http.Transport{
		MaxIdleConns: workers, MaxIdleConnsPerHost: workers, IdleConnTimeout: 90 * time.Second,
	}}
	defer client.CloseIdleConnections()
	end := time.Now().Add(d)
	for time.Until(end) > time.Second && ctx.Err() == nil {
		res, err := load.Run(ctx, load.Config{URL: url, Duration: min(loadChunk, time.Until(end)), Concurrency: workers, Client: client})
		if err != nil {
			return out, err
		}
		s := res.Summary()
		out.requests += s.Requests
		out.errors += s.Errors
		out.elapsed += s.Elapsed
		out.p99 = max(out.p99, s.P99)
	}
	return out, nil
}

func soakDuration(t *testing.T, name string, def time.Duration) time.Duration {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, v, err)
	}
	return d
}

// jaegerIncarnation is when Jaeger last came back, and how many spans had
// been exported to it before.
type jaegerIncarnation struct {
	since          time.Time
	exportedBefore int64
}

// exportedTo is the spans exported to backend so far.
func exportedTo(stats []exporters.Stats, backend string) int64 {
	for _, s := range stats {
		if s.Backend == backend {
			return s.SpansExported
		}
	}
	return 0
}

// restartBackends restarts the collector and Jaeger alternately, one every
// every, each left down for outage, until ctx ends or the run's end is
// closer than an outage. It returns Jaeger's last incarnation, with
// jaegerExported read while Jaeger was down.
func restartBackends(ctx context.Context, t *testing.T, l *lab.Lab, started time.Time, d, every, outage time.Duration, jaegerExported func() int64) jaegerIncarnation {
	last := jaegerIncarnation{since: started}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return last
		case <-tick.C:
		}
		if time.Since(started) > d-outage-5*time.Second {
			return last
		}
		name, stop, restart := "collector", l.StopCollector, l.RestartCollector
		if n%2 == 1 {
			name, stop, restart = "Jaeger", l.StopJaeger, l.RestartJaeger
		}
		t.Logf("%s: %s stopped", time.Since(started).Round(time.Second), name)
		if err := stop(); err != nil {
			t.Error(err)
			return last
		}
		time.Sleep(outage)
		if n%2 == 1 {
			last = jaegerIncarnation{since: time.Now(), exportedBefore: jaegerExported()}
		}
		if err := restart(ctx); err != nil {
			t.Error(err)
			return last
		}
		t.Logf("%s: %s restarted", time.Since(started).Round(time.Second), name)
	}
}

type heapSample struct {
	at         time.Duration
	heap       uint64
	goroutines int
}

// sampleHeap records the heap (after a GC) and goroutines every 10 s until
// d has passed since started, logging one line per minute.
func sampleHeap(t *testing.T, started time.Time, d time.Duration) []heapSample {
	var samples []heapSample
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	for time.Since(started) < d {
		<-tick.C
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		s := heapSample{time.Since(started).Round(time.Second), ms.HeapAlloc, runtime.NumGoroutine()}
		samples = append(samples, s)
		if len(samples)%6 == 0 || d < 2*time.Minute {
			t.Logf("%s: heap %.1f MB, %d goroutines", s.at, float64(s.heap)/1e6, s.goroutines)
		}
	}
	return samples
}

// checkFlat fails when the heap or the goroutines grew after warm-up: the
// samples after warmUp (both backends restarted once, so every queue and
// connection pool has reached its working size) are split in two halves,
// and the second half's peak may not exceed the first half's by more than
// a quarter (heap) or 10 (goroutines). Peaks, not single samples, because a
// sample taken during an outage sees a full queue.
func checkFlat(t *testing.T, samples []heapSample, warmUp time.Duration) {
	var warm []heapSample
	for _, s := range samples {
		if s.at > warmUp {
			warm = append(warm, s)
		}
	}
	if len(warm) < 6 {
		t.Logf("heap and goroutines not checked: %d samples after the %s warm-up, want 6", len(warm), warmUp)
		return
	}
	peak := func(ss []heapSample) (heap uint64, g int) {
		for _, s := range ss {
			heap, g = max(heap, s.heap), max(g, s.goroutines)
		}
		return heap, g
	}
	h1, g1 := peak(warm[:len(warm)/2])
	h2, g2 := peak(warm[len(warm)/2:])
	t.Logf("after warm-up (%s): first half peak heap %.1f MB, %d goroutines; second half %.1f MB, %d goroutines",
		warmUp, float64(h1)/1e6, g1, float64(h2)/1e6, g2)
	if float64(h2) > 1.25*float64(h1) {
		t.Errorf("heap grew after warm-up: peak %.1f MB, then %.1f MB", float64(h1)/1e6, float64(h2)/1e6)
	}
	if g2 > g1+10 {
		t.Errorf("goroutines grew after warm-up: peak %d, then %d", g1, g2)
	}
}

// storedCounts reads back what the backends stored of service, keyed
// "BACKEND SIGNAL": spans by ID (a retried export stored twice counts once),
// log records and metric data points as stored. Jaeger holds only what its
// last incarnation, up since jaegerSince, took; the query starts a minute
// earlier for spans that started before and were exported after.
func storedCounts(ctx context.Context, t *testing.T, l *lab.Lab, service string, jaegerSince time.Time) map[string]int64 {
	stored := map[string]int64{}
	spans, err := l.CollectorSpans(ctx, lab.SourceOTLP)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, s := range spans {
		if s.Resource["service.name"] == service {
			ids[s.SpanID] = true
		}
	}
	stored["otlp traces"] = int64(len(ids))
	if dup := countService(spans, service) - len(ids); dup > 0 {
		t.Logf("collector: %d spans stored twice (retried exports)", dup)
	}
	logs, err := l.CollectorLogs(ctx, lab.SourceOTLP)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range logs {
		if r.Resource["service.name"] == service {
			stored["otlp logs"]++
		}
	}
	metrics, err := l.CollectorMetrics(ctx, lab.SourceOTLP)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range metrics {
		if m.Resource["service.name"] == service {
			stored["otlp metrics"] += int64(m.Points)
		}
	}
	jids := map[string]bool{}
	if err := jaegerSpans(ctx, l, service, jaegerSince.Add(-time.Minute), time.Now(), jids); err != nil {
		t.Fatal(err)
	}
	stored["jaeger traces"] = int64(len(jids))
	return stored
}

func countService(spans []lab.Span, service string) (n int) {
	for _, s := range spans {
		if s.Resource["service.name"] == service {
			n++
		}
	}
	return n
}

// jaegerSpans collects the IDs of the spans of service Jaeger stored
// directly (not the collector's forwarded copies) from start to end, a
// second at a time (a query over the whole run keeps Jaeger's on-disk store
// busy past the lab client's timeout), splitting a window when a query may
// have been cut short; a trace that straddles two windows is read twice,
// hence the set.
func jaegerSpans(ctx context.Context, l *lab.Lab, service string, start, end time.Time, ids map[string]bool) error {
	for from := start; from.Before(end); from = from.Add(time.Second) {
		if err := jaegerWindow(ctx, l, service, from, earlier(end, from.Add(time.Second)), ids); err != nil {
			return err
		}
	}
	return nil
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func jaegerWindow(ctx context.Context, l *lab.Lab, service string, start, end time.Time, ids map[string]bool) error {
	const limit = 500
	var traces []lab.JaegerTrace
	var err error
	for range 5 { // a busy Jaeger may miss the client's timeout once
		if traces, err = l.JaegerTraces(ctx, service, lab.Between(start, end), lab.Limit(limit)); err == nil || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		return err
	}
	if len(traces) >= limit && end.Sub(start) > time.Millisecond {
		mid := start.Add(end.Sub(start) / 2)
		if err := jaegerWindow(ctx, l, service, start, mid, ids); err != nil {
			return err
		}
		return jaegerWindow(ctx, l, service, mid, end, ids)
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
