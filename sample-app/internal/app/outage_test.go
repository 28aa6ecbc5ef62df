package app_test

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/otelswitch/otelswitch/bootstrap"
	"github.com/otelswitch/otelswitch/internal/lab"
	"github.com/otelswitch/otelswitch/internal/otlptest"
	"github.com/otelswitch/otelswitch/sample-app/internal/app"
)

// Telemetry must never take the app down (issue 7). These tests run the
// books service against the lab's Jaeger when it is gone, frozen or healthy;
// internal/reliability proves the library's side (exact loss accounting,
// the memory bound, secrets).

// outageEnv points an instance at endpoint as its Jaeger.
func outageEnv(t *testing.T, endpoint string, vars ...string) app.LookupFunc {
	return env(t, append([]string{
		"ENVIRONMENT", "development",
		"TELEMETRY_BACKEND", "jaeger",
		"JAEGER_ENDPOINT", endpoint,
		"OTEL_SERVICE_NAME", "books-outage",
		"TELEMETRY_METRICS", "false",
	}, vars...)...)
}

// send makes one request and returns its status and how long it took.
func send(t *testing.T, c *http.Client, method, url, body string) (int, time.Duration) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, time.Since(start)
}

// With Jaeger not running, or a listener that never answers in its place,
// the app starts at once and serves every request; Shutdown keeps its
// deadline.
func TestServesWithTheBackendDown(t *testing.T) {
	l := lab.ForTest(t)
	if err := l.KillJaeger(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, endpoint string }{
		{"jaeger not running", l.JaegerOTLPGRPC},
		{"black hole", otlptest.Blackhole(t)},
	} {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			i, err := app.Start(context.Background(), outageEnv(t, c.endpoint, "TELEMETRY_SHUTDOWN_TIMEOUT", "1s"),
				bootstrap.WithoutGlobals(), bootstrap.WithLogOutput(io.Discard))
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			took := time.Since(start)
			t.Logf("app.Start (Init, database, listener) took %v", took)
			if took > 5*time.Second {
				t.Errorf("app.Start took %v with the backend down", took)
			}
			client := &http.Client{Timeout: 10 * time.Second}
			for _, r := range []struct{ method, path, body string }{
				{"GET", "/health", ""},
				{"POST", "/books", `{"title":"Dune","author":"Frank Herbert","year":1965}`},
				{"GET", "/books", ""},
				{"GET", "/books/1", ""},
				{"PUT", "/books/1", `{"title":"Dune","author":"Frank Herbert","year":1966}`},
				{"GET", "/io_task?ms=1", ""},
				{"DELETE", "/books/1", ""},
			} {
				if code, _ := send(t, client, r.method, i.URL+r.path, r.body); code/100 != 2 {
					t.Errorf("%s %s = %d, want 2xx", r.method, r.path, code)
				}
			}
			start = time.Now()
			if err := i.Shutdown(context.Background()); err != nil {
				t.Errorf("Shutdown: %v", err)
			}
			took = time.Since(start)
			t.Logf("Shutdown took %v (TELEMETRY_SHUTDOWN_TIMEOUT=1s)", took)
			if took > time.Second+3*time.Second {
				t.Errorf("Shutdown took %v, want about its 1s telemetry deadline", took)
			}
		})
	}
}

// A backend that accepts connections and never answers does not slow the
// requests down: the same requests against a healthy Jaeger and against a
// hung one, interleaved, have the same latency, and Shutdown keeps its
// deadline. The hung backends are a listener that never reads and the lab's
// collector frozen with SIGSTOP.
func TestLatencyUnchangedWhenTheBackendHangs(t *testing.T) {
	l := lab.ForTest(t)
	if err := l.PauseCollector(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.ResumeCollector() })
	const exportTimeout = 10 * time.Second
	vars := []string{"TELEMETRY_EXPORT_TIMEOUT", exportTimeout.String(), "TELEMETRY_SHUTDOWN_TIMEOUT", "1s"}
	type instance struct {
		name string
		inst *app.Instance
		lat  []time.Duration
	}
	var insts []*instance
	for _, c := range []struct{ name, endpoint string }{
		{"healthy jaeger", l.JaegerOTLPGRPC},
		{"black hole", otlptest.Blackhole(t)},
		{"frozen collector", l.CollectorOTLPGRPC},
	} {
		i, err := app.Start(context.Background(), outageEnv(t, c.endpoint, vars...),
			bootstrap.WithoutGlobals(), bootstrap.WithLogOutput(io.Discard))
		if err != nil {
			t.Fatalf("%s: Start: %v", c.name, err)
		}
		insts = append(insts, &instance{name: c.name, inst: i})
	}
	t.Cleanup(func() {
		for _, in := range insts {
			_ = in.inst.Shutdown(context.Background())
		}
	})

	client := &http.Client{Timeout: 2 * exportTimeout}
	for _, in := range insts {
		if code, _ := send(t, client, "POST", in.inst.URL+"/books", `{"title":"Dune","author":"Frank Herbert","year":1965}`); code != http.StatusCreated {
			t.Fatalf("%s: POST /books = %d", in.name, code)
		}
	}
	// Interleaved, so that whatever else the machine does hits all alike.
	// Each request ends two spans; the hung backends' first export blocks
	// for the whole export timeout, and their queues (2048 spans) overflow
	// half-way, so the requests are measured while spans are dropped too.
	const rounds = 1500
	for range rounds {
		for _, in := range insts {
			code, d := send(t, client, "GET", in.inst.URL+"/books/1", "")
			if code != http.StatusOK {
				t.Fatalf("%s: GET /books/1 = %d", in.name, code)
			}
			in.lat = append(in.lat, d)
		}
	}
	pct := func(lat []time.Duration, q float64) time.Duration {
		s := slices.Clone(lat)
		slices.Sort(s)
		return s[int(q*float64(len(s)-1))]
	}
	healthy := insts[0]
	h50, h99 := pct(healthy.lat, 0.50), pct(healthy.lat, 0.99)
	for _, in := range insts {
		p50, p99, worst := pct(in.lat, 0.50), pct(in.lat, 0.99), pct(in.lat, 1)
		st := in.inst.Telemetry.Stats()[0]
		t.Logf("%-16s p50 %8v  p99 %8v  max %8v  p50 ratio %.2f  p99 ratio %.2f  (exported %d, queued %d, dropped %d)",
			in.name, p50, p99, worst, float64(p50)/float64(h50), float64(p99)/float64(h99), st.SpansExported, st.SpansQueued, st.SpansDropped)
		if in == healthy {
			if st.SpansExported == 0 {
				t.Errorf("the healthy instance exported nothing: %+v", st)
			}
			continue
		}
		if st.SpansExported != 0 || st.SpansQueued == 0 || st.SpansDropped == 0 {
			t.Errorf("%s: stats %+v; want nothing exported, a full queue and spans dropped, or the backend is not hung", in.name, st)
		}
		// Robust bounds only: speed is measured by benchmarks. A request
		// waiting on the export would take the whole export timeout.
		if worst >= exportTimeout {
			t.Errorf("%s: a request took %v, as long as an export", in.name, worst)
		}
		if p99 > 5*h99+50*time.Millisecond {
			t.Errorf("%s: p99 %v against %v with a healthy backend", in.name, p99, h99)
		}
	}

	for _, in := range insts[1:] {
		start := time.Now()
		if err := in.inst.Shutdown(context.Background()); err != nil {
			t.Errorf("%s: Shutdown: %v", in.name, err)
		}
		took := time.Since(start)
		t.Logf("%s: Shutdown took %v (TELEMETRY_SHUTDOWN_TIMEOUT=1s)", in.name, took)
		if took > time.Second+3*time.Second {
			t.Errorf("%s: Shutdown took %v, want about its 1s telemetry deadline", in.name, took)
		}
	}
}
