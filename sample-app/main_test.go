package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/otelswitch/otelswitch/sample-app/internal/pgtest"
	"github.com/otelswitch/otelswitch/sample-app/internal/server"
	"github.com/otelswitch/otelswitch/sample-app/internal/store"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sample-app-test-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "sample-app")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	if err := pgtest.StopShared(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// testEnv is a minimal environment: no telemetry backend, a temporary SQLite
// file, a free port.
func testEnv(t *testing.T, extra ...string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"ENVIRONMENT=test",
		"ADDR=127.0.0.1:0",
		"DATABASE_URL=sqlite:" + filepath.Join(t.TempDir(), "books.db"),
	}
	return append(env, extra...)
}

func TestUsage(t *testing.T) {
	tests := []struct {
		args       []string
		code       int
		wantStdout []string
		wantStderr []string
	}{
		{nil, 2, nil, []string{"Usage:", "serve", "load"}},
		{[]string{"help"}, 0, []string{"serve    run the books service", "load "}, nil},
		{[]string{"bogus"}, 2, nil, []string{`unknown command "bogus"`}},
		{[]string{"serve", "-help"}, 0, []string{"-addr", "-drain-timeout", "ADDR", "DATABASE_URL", "CHAIN_TARGETS", "DRAIN_TIMEOUT", "ENVIRONMENT", "TELEMETRY_BACKEND", "OTEL_SERVICE_NAME", "TELEMETRY_SHUTDOWN_TIMEOUT", "docs/configuration.md"}, nil},
		{[]string{"help", "serve"}, 0, []string{"Usage: sample-app serve"}, nil},
		{[]string{"load", "--help"}, 0, []string{"-url", "-duration", "-requests", "-concurrency", "-seed", "-mix", "p50/p90/p99"}, nil},
		{[]string{"serve", "-nope"}, 2, nil, []string{"flag provided but not defined: -nope", "sample-app serve -help"}},
		{[]string{"serve", "extra"}, 2, nil, []string{`unexpected argument "extra"`}},
		{[]string{"load", "-mix", "lists=1"}, 2, nil, []string{`-mix: mix entry "lists=1"`}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit code %d, want %d; stderr %s", code, tt.code, stderr.String())
			}
			for _, w := range tt.wantStdout {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout.String())
				}
			}
			for _, w := range tt.wantStderr {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
				}
			}
		})
	}
}

// proc is a running `sample-app serve`.
type proc struct {
	cmd    *exec.Cmd
	url    string
	mu     sync.Mutex
	stderr bytes.Buffer
	exited chan struct{}
}

func (p *proc) logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// startServe starts the binary and waits for its "serving" log line.
func startServe(t *testing.T, env []string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(binary, "serve"), exited: make(chan struct{})}
	p.cmd.Env = env
	pipe, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			p.mu.Lock()
			p.stderr.Write(append(sc.Bytes(), '\n'))
			p.mu.Unlock()
			var line struct{ Msg, URL string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "serving" {
				urls <- line.URL
			}
		}
		close(urls)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
	})
	go func() { p.cmd.Wait(); close(p.exited) }()
	select {
	case u, ok := <-urls:
		if !ok {
			<-p.exited
			t.Fatalf("serve exited before serving: %s", p.logs())
		}
		p.url = u
	case <-time.After(20 * time.Second):
		t.Fatalf("serve did not start in 20s: %s", p.logs())
	}
	return p
}

func (p *proc) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.exited:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(timeout):
		t.Fatalf("serve did not exit within %v: %s", timeout, p.logs())
		return -1
	}
}

// TestServeDrainsOnSIGTERM sends SIGTERM while a slow request is in flight:
// the request must complete, new connections must be refused, and the process
// must exit 0.
func TestServeDrainsOnSIGTERM(t *testing.T) {
	p := startServe(t, testEnv(t, "DRAIN_TIMEOUT=10s"))
	type result struct {
		status int
		body   string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.Get(p.url + "/io_task?ms=1500")
		if err != nil {
			done <- result{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- result{status: resp.StatusCode, body: string(b)}
	}()
	// Wait until the slow request is in flight (its span has started, so the
	// in-flight gauge counts it beside this probe).
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get(p.url + "/metrics")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(b), server.MetricInFlight+" 2") {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the slow request never showed as in flight")
		}
		time.Sleep(20 * time.Millisecond)
	}
	sent := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Soon after the signal, new connections are refused.
	time.Sleep(200 * time.Millisecond)
	if resp, err := (&http.Client{Timeout: time.Second}).Get(p.url + "/health"); err == nil {
		resp.Body.Close()
		t.Errorf("a new request after SIGTERM got %d, want the connection refused", resp.StatusCode)
	}
	r := <-done
	if r.err != nil || r.status != 200 || !strings.Contains(r.body, `"slept_ms":1500`) {
		t.Errorf("the in-flight request = %d %q %v, want it completed", r.status, r.body, r.err)
	}
	if code := p.wait(t, 15*time.Second); code != 0 {
		t.Errorf("exit code %d, want 0; logs:\n%s", code, p.logs())
	}
	if took := time.Since(sent); took > 10*time.Second {
		t.Errorf("shutdown took %v", took)
	}
	logs := p.logs()
	for _, want := range []string{`"msg":"signal received`, `"msg":"drained"`, `"path":"/io_task"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
}

func TestServeStartupErrors(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"bad database url", []string{"DATABASE_URL=mysql://x"}, `DATABASE_URL: unsupported scheme "mysql"`},
		{"unknown backend", []string{"TELEMETRY_BACKEND=datadgo"}, `TELEMETRY_BACKEND="datadgo": unknown backend`},
		{"bad chain target", []string{"CHAIN_TARGETS=app-b:8080"}, `CHAIN_TARGETS entry "app-b:8080"`},
		{"bad drain timeout", []string{"DRAIN_TIMEOUT=soon"}, `DRAIN_TIMEOUT="soon": want a positive duration`},
		{"port taken", []string{"ADDR=" + takenAddr(t)}, "ADDR="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(binary, "serve")
			cmd.Env = testEnv(t, tt.env...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			if code := cmd.ProcessState.ExitCode(); code != 1 {
				t.Errorf("exit code %d (%v), want 1", code, err)
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tt.want)
			}
		})
	}
}

func takenAddr(t *testing.T) string {
	ts := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(ts.Close)
	return ts.Listener.Addr().String()
}

// TestServePostgres runs the binary against a real PostgreSQL server.
func TestServePostgres(t *testing.T) {
	db := pgtest.Shared(t).NewDatabase(t)
	p := startServe(t, testEnv(t, "DATABASE_URL="+db))
	resp, err := http.Post(p.url+"/books", "application/json", strings.NewReader(`{"title":"Parable of the Sower","author":"Octavia E. Butler","year":1993}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("POST /books = %d", resp.StatusCode)
	}
	var h server.Health
	resp, err = http.Get(p.url + "/health")
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	if resp.StatusCode != 200 || h.Database != "postgresql" {
		t.Errorf("GET /health = %d %+v", resp.StatusCode, h)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t, 15*time.Second); code != 0 {
		t.Errorf("exit code %d; logs:\n%s", code, p.logs())
	}
	// The book outlived the process.
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if page, err := st.List(context.Background(), 10, 0); err != nil || page.Total != 1 || page.Items[0].Title != "Parable of the Sower" {
		t.Errorf("table after restart: %+v, %v", page, err)
	}
}

func TestLoadCommand(t *testing.T) {
	st, err := store.Open(context.Background(), "sqlite::memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv, err := server.New(server.Config{Store: st, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	t.Run("table", func(t *testing.T) {
		cmd := exec.Command(binary, "load", "-url", ts.URL, "-requests", "200", "-concurrency", "4", "-io-ms", "1")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%v: %s", err, stderr.String())
		}
		for _, w := range []string{"requests  200 in ", "errors    ", "latency   p50 ", " p90 ", " p99 ", "total          200"} {
			if !strings.Contains(stdout.String(), w) {
				t.Errorf("stdout lacks %q:\n%s", w, stdout.String())
			}
		}
		if !strings.Contains(stderr.String(), "\r") || !strings.Contains(stderr.String(), "200/200 req") {
			t.Errorf("stderr has no progress line: %q", stderr.String())
		}
	})
	t.Run("json", func(t *testing.T) {
		cmd := exec.Command(binary, "load", "-url", ts.URL, "-requests", "50", "-mix", "get=1,create=1", "-json", "-quiet")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%v: %s", err, stderr.String())
		}
		var out struct {
			Total struct {
				Requests, Errors int
				P99MS            float64 `json:"p99_ms"`
			}
			ByOp map[string]any `json:"by_op"`
		}
		if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
			t.Fatalf("%v: %s", err, stdout.String())
		}
		if out.Total.Requests != 50 || out.Total.Errors != 0 || out.Total.P99MS <= 0 || len(out.ByOp) != 2 || stderr.Len() != 0 {
			t.Errorf("summary %s, stderr %q", stdout.String(), stderr.String())
		}
	})
	t.Run("unreachable", func(t *testing.T) {
		cmd := exec.Command(binary, "load", "-url", "http://127.0.0.1:1", "-requests", "5")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		cmd.Run()
		if code := cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(stderr.String(), "cannot reach http://127.0.0.1:1") {
			t.Errorf("exit %d, stderr %q", code, stderr.String())
		}
	})
}

// TestDemo runs what `make run` runs, against the lab's real Jaeger.
func TestDemo(t *testing.T) {
	if os.Getenv("OTELSWITCH_LAB") == "off" {
		t.Skip("OTELSWITCH_LAB=off: skipping a test that needs the backend lab")
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"demo", "-duration", "1s", "-fixed-ports=false"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit code %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"one GET /chain trace, 5 spans across app-a, app-b, app-c:",
		"app-a  GET /chain", "app-b  GET /chain", "app-c  GET /chain",
		`"msg":"request"`, `"trace_id":"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, svc := range []string{"app-a", "app-b", "app-c"} {
		if strings.Contains(out, "  "+svc+"     0 traces") {
			t.Errorf("Jaeger stored no trace of %s:\n%s", svc, out)
		}
	}
}
