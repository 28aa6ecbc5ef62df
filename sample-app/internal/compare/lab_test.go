package compare

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otelswitch/otelswitch/internal/lab"
)

// quietDatadog turns off what dd-trace-go would ask the lab's Datadog
// receiver for and not get; dd-trace-go reads these from the process
// environment.
func quietDatadog(t *testing.T) {
	t.Setenv("DD_REMOTE_CONFIGURATION_ENABLED", "false")
	t.Setenv("DD_INSTRUMENTATION_TELEMETRY_ENABLED", "false")
}

// testOptions keep lab runs short and the machine unloaded.
func testOptions(id string, more ...Option) []Option {
	return append([]Option{
		WithDuration(2 * time.Second), WithConcurrency(2), WithWarmup(0), WithRunID(id),
		WithSettle(30 * time.Second),
	}, more...)
}

func logReport(t *testing.T, rep *Report) {
	t.Helper()
	var b bytes.Buffer
	if err := rep.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	t.Logf("report:\n%s", b.String())
}

// TestRunAgainstTheLab compares the four vendors against the real lab:
// every span each backend sent is counted where it was stored, and each
// backend sees the service, env and version the app was given.
func TestRunAgainstTheLab(t *testing.T) {
	l := lab.ForTest(t)
	quietDatadog(t)
	var progress bytes.Buffer
	rep, err := Run(context.Background(), l, testOptions("t1", WithProgress(&progress))...)
	if err != nil {
		t.Fatalf("Run: %v\nprogress:\n%s", err, progress.String())
	}
	logReport(t, rep)

	if rep.Baseline.SpansMade != 0 || rep.Baseline.Requests.Count == 0 || rep.Baseline.Requests.CPU <= 0 {
		t.Errorf("baseline made %d spans in %d requests (CPU/request %s); want 0 spans, some requests, some CPU",
			rep.Baseline.SpansMade, rep.Baseline.Requests.Count, rep.Baseline.Requests.CPU)
	}
	if len(rep.Alone) != len(DefaultBackends) || rep.FanOut == nil || len(rep.FanOut.Deliveries) != len(DefaultBackends) {
		t.Fatalf("%d runs alone and fan-out %v; want %d and all of them", len(rep.Alone), rep.FanOut, len(DefaultBackends))
	}
	check := func(run *Pass, d *Delivery, service string) {
		t.Helper()
		what := d.Backend + " in " + run.Name
		if d.Status != StatusOK || d.Reason != "" {
			t.Errorf("%s: %s (%s)", what, d.Status, d.Reason)
		}
		if run.SpansMade == 0 || d.Sent != run.SpansMade || d.Stored != d.Sent || !d.StoredExact {
			t.Errorf("%s: made %d, sent %d, stored %d (exact %v); want all equal, exact", what, run.SpansMade, d.Sent, d.Stored, d.StoredExact)
		}
		if d.Bytes <= 0 || d.ExportP50 <= 0 || d.ExportP99 < d.ExportP50 || d.Exports == 0 {
			t.Errorf("%s: bytes %d, %d exports, latency p50 %s p99 %s", what, d.Bytes, d.Exports, d.ExportP50, d.ExportP99)
		}
		if d.Seen.Service != service || d.Seen.Env != DefaultEnvironment || d.Seen.Version != DefaultVersion || d.Seen.From == "" {
			t.Errorf("%s: seen as %+v; want %s, %s, %s", what, d.Seen, service, DefaultEnvironment, DefaultVersion)
		}
		// Logs and metric points, read back from the stand-in, where it
		// stores them: every one the exporter delivered.
		logsStored := d.Backend == "newrelic" || d.Backend == "elastic"
		metricsStored := logsStored || d.Backend == "datadog"
		for _, sig := range []struct {
			name   string
			s      SignalDelivery
			stored bool
		}{{"logs", d.Logs, logsStored}, {"metric points", d.Metrics, metricsStored}} {
			switch {
			case sig.stored && (sig.s.Sent == 0 || sig.s.Stored != sig.s.Sent || sig.s.Bytes == 0):
				t.Errorf("%s: %s stored %d, sent %d, %d bytes; want all stored", what, sig.name, sig.s.Stored, sig.s.Sent, sig.s.Bytes)
			case !sig.stored && sig.s.Stored != -1:
				t.Errorf("%s: %s stored %d; want -1 (not stored in the lab)", what, sig.name, sig.s.Stored)
			}
		}
	}
	for i, name := range DefaultBackends {
		run := &rep.Alone[i]
		if run.Name != name || run.Err != "" || run.Requests.Count == 0 {
			t.Errorf("run %d: %q, error %q, %d requests", i, run.Name, run.Err, run.Requests.Count)
		}
		check(run, run.delivery(name), "compare-t1-"+name)
		check(rep.FanOut, rep.FanOut.delivery(name), "compare-t1-fanout")
	}
}

// TestBackendFailsMidRun sends New Relic's spans through a proxy that dies
// once the first export got its answer: newrelic is reported
// failed, with the reason, and jaeger, alone and beside it in the fan-out,
// still completes.
func TestBackendFailsMidRun(t *testing.T) {
	l := lab.ForTest(t)
	p := newDyingProxy(t, l.CollectorOTLPHTTP)
	rep, err := Run(context.Background(), l, testOptions("t2",
		WithBackends("jaeger", "newrelic"),
		// The development profile exports every 500 ms, so the proxy dies
		// early in the run whatever the machine's speed.
		WithEnvironment("development"),
		// A dead endpoint costs each export its whole timeout; jaeger's,
		// on a loaded machine under -race, must not come near it.
		// Logs stay local: the proxy's death is timed by the first export,
		// which must be a span export for what it let through to be spans.
		WithEnv(map[string]string{"TELEMETRY_EXPORT_TIMEOUT": "3s", "TELEMETRY_SHUTDOWN_TIMEOUT": "5s", "TELEMETRY_LOGS": "local"}),
		WithBackendEnv("newrelic", map[string]string{"NEW_RELIC_OTLP_ENDPOINT": "http://" + p.addr}),
	)...)
	if err != nil {
		t.Fatal(err)
	}
	logReport(t, rep)

	for _, run := range []*Pass{rep.alone("newrelic"), rep.FanOut} {
		nr := run.delivery("newrelic")
		if nr == nil {
			t.Fatalf("no newrelic delivery in %s", run.Name)
		}
		if nr.Status != StatusFailed || !strings.Contains(nr.Reason, "exports failed") || nr.LastError == "" || nr.Dropped == 0 {
			t.Errorf("newrelic in %s: %s %q, last error %q, dropped %d; want failed with the reason", run.Name, nr.Status, nr.Reason, nr.LastError, nr.Dropped)
		}
		if nr.Stored != nr.Sent {
			t.Errorf("newrelic in %s: stored %d, sent %d; what got through before the proxy died should be counted", run.Name, nr.Stored, nr.Sent)
		}
		if run.Requests.Count == 0 || run.Err != "" {
			t.Errorf("%s: %d requests, error %q; the run should complete", run.Name, run.Requests.Count, run.Err)
		}
	}
	if got := rep.alone("newrelic").delivery("newrelic").Stored; got == 0 {
		t.Error("newrelic alone stored nothing: the proxy died before the first export, so this is not a failure mid-run")
	}
	for _, run := range []*Pass{rep.alone("jaeger"), rep.FanOut} {
		j := run.delivery("jaeger")
		if j.Status != StatusOK || j.Stored != run.SpansMade || j.Stored == 0 {
			t.Errorf("jaeger in %s: %s %q, stored %d of %d made; want ok and everything", run.Name, j.Status, j.Reason, j.Stored, run.SpansMade)
		}
	}
	var b bytes.Buffer
	if err := rep.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^newrelic +failed \[1,2\]`).MatchString(b.String()) || !strings.Contains(b.String(), "[1] newrelic alone: ") {
		t.Errorf("the table does not mark newrelic failed with a note:\n%s", b.String())
	}
}

// TestDatadogOTLPBesideNewRelic runs two senders into the collector's one
// OTLP receiver and checks that each counts only its own spans.
func TestDatadogOTLPBesideNewRelic(t *testing.T) {
	l := lab.ForTest(t)
	rep, err := Run(context.Background(), l, testOptions("t3",
		WithBackends("newrelic", "datadog-otlp"), WithDuration(time.Second))...)
	if err != nil {
		t.Fatal(err)
	}
	logReport(t, rep)
	for _, name := range []string{"newrelic", "datadog-otlp"} {
		for _, run := range []*Pass{rep.alone(name), rep.FanOut} {
			d := run.delivery(name)
			if d == nil || d.Status != StatusOK || d.Stored != run.SpansMade || d.Stored == 0 {
				t.Errorf("%s in %s: %+v; want ok with all %d spans", name, run.Name, d, run.SpansMade)
			}
		}
	}
}

// dyingProxy forwards the first OTLP request to a target and then dies: every
// later request has its connection cut without reaching the target, and the
// address refuses connections from then on. Cutting at a request boundary,
// not on a timer, keeps what the target stored equal to what the client saw
// acknowledged, however slow the machine.
type dyingProxy struct {
	addr string
	srv  *http.Server
	mu   sync.Mutex
	used bool
}

func newDyingProxy(t *testing.T, target string) *dyingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	up := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: target})
	p := &dyingProxy{addr: ln.Addr().String()}
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		first := !p.used
		p.used = true
		p.mu.Unlock()
		if !first {
			panic(http.ErrAbortHandler) // cuts the connection: the export fails
		}
		up.ServeHTTP(w, r)
		// The answer is written; the listener goes after it returns.
		go p.kill()
	}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
	t.Cleanup(p.kill)
	return p
}

// kill makes the address refuse connections from now on.
func (p *dyingProxy) kill() {
	_ = p.srv.Close()
}
