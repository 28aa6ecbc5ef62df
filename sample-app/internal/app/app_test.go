package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otelswitch/otelswitch/bootstrap"
	"github.com/otelswitch/otelswitch/internal/testutil"
	"github.com/otelswitch/otelswitch/sample-app/internal/app"
)

// env returns a lookup over vars plus a free port and a temporary database.
func env(t *testing.T, vars ...string) app.LookupFunc {
	m := map[string]string{
		app.EnvAddr:        "127.0.0.1:0",
		app.EnvDatabaseURL: "sqlite:" + filepath.Join(t.TempDir(), "books.db"),
	}
	for i := 0; i+1 < len(vars); i += 2 {
		m[vars[i]] = vars[i+1]
	}
	return testutil.Env(m).Lookup
}

// start runs an instance and shuts it down when the test ends.
func start(t *testing.T, lookup app.LookupFunc, opts ...bootstrap.Option) *app.Instance {
	t.Helper()
	i, err := app.Start(context.Background(), lookup, append([]bootstrap.Option{bootstrap.WithoutGlobals()}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := i.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return i
}

func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

type syncBuffer = testutil.SyncBuffer

// jsonLines decodes each line b holds.
func jsonLines(t *testing.T, b *syncBuffer) []map[string]any {
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
		out = append(out, m)
	}
	return out
}

// TestLogCorrelation checks the request log line carries the server span's
// IDs in the form the chosen backend correlates on, with no vendor code in
// the app: bootstrap's logger adds them.
func TestLogCorrelation(t *testing.T) {
	tests := []struct {
		name  string
		vars  []string
		check func(t *testing.T, line map[string]any, traceID [16]byte, spanID [8]byte)
	}{
		{
			name: "default hex",
			vars: []string{"ENVIRONMENT", "test"},
			check: func(t *testing.T, line map[string]any, traceID [16]byte, spanID [8]byte) {
				if line["trace_id"] != fmt.Sprintf("%x", traceID) || line["span_id"] != fmt.Sprintf("%x", spanID) {
					t.Errorf("trace_id, span_id = %v, %v; want %x, %x", line["trace_id"], line["span_id"], traceID, spanID)
				}
			},
		},
		{
			name: "datadog",
			vars: []string{"ENVIRONMENT", "test", "TELEMETRY_BACKEND", "datadog", "DD_AGENT_HOST", "127.0.0.1", "DD_TRACE_AGENT_PORT", "1",
				"DD_REMOTE_CONFIGURATION_ENABLED", "false", "SERVICE_VERSION", "1.2.3"},
			check: func(t *testing.T, line map[string]any, traceID [16]byte, spanID [8]byte) {
				// 128-bit logging is on by default, as in dd-trace-go v2:
				// 32 hex digits when the upper 64 bits are set.
				id := fmt.Sprint(be64(traceID[8:]))
				if be64(traceID[:8]) != 0 {
					id = fmt.Sprintf("%x", traceID)
				}
				if fmt.Sprint(line["dd.trace_id"]) != id || fmt.Sprint(line["dd.span_id"]) != fmt.Sprint(be64(spanID[:])) {
					t.Errorf("dd.trace_id, dd.span_id = %v, %v; want %s, %d", line["dd.trace_id"], line["dd.span_id"], id, be64(spanID[:]))
				}
				if line["dd.service"] != "books" || line["dd.env"] != "test" || line["dd.version"] != "1.2.3" {
					t.Errorf("dd.service, dd.env, dd.version = %v, %v, %v", line["dd.service"], line["dd.env"], line["dd.version"])
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := &syncBuffer{}
			i, err := app.Start(context.Background(), env(t, tt.vars...), bootstrap.WithoutGlobals(), bootstrap.WithLogOutput(logs))
			if err != nil && strings.Contains(err.Error(), `unknown backend "datadog"`) {
				t.Skipf("bootstrap has no datadog backend yet: %v", err)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer i.Shutdown(context.Background())
			if code, body := get(t, i.URL+"/books/1"); code != 404 {
				t.Fatalf("GET /books/1 = %d %s", code, body)
			}
			rec := i.Telemetry.Recorder()
			if rec == nil {
				t.Fatal("no recorder in ENVIRONMENT=test")
			}
			var traceID [16]byte
			var spanID [8]byte
			for _, s := range rec.Ended() {
				if s.Name() == "GET /books/{id}" {
					traceID, spanID = s.SpanContext().TraceID(), s.SpanContext().SpanID()
				}
			}
			var line map[string]any
			for _, l := range jsonLines(t, logs) {
				if l["msg"] == "request" && l["path"] == "/books/1" {
					line = l
				}
			}
			if line == nil {
				t.Fatalf("no request log line for /books/1")
			}
			tt.check(t, line, traceID, spanID)
		})
	}
}

func be64(b []byte) uint64 {
	var v uint64
	for _, x := range b {
		v = v<<8 | uint64(x)
	}
	return v
}

func TestDefaultsUnderTheEnvironment(t *testing.T) {
	tests := []struct {
		vars        []string
		wantService string
	}{
		{[]string{"ENVIRONMENT", "test"}, "books"},
		{[]string{"ENVIRONMENT", "test", "OTEL_SERVICE_NAME", "app-a"}, "app-a"},
		{[]string{"ENVIRONMENT", "test", "OTEL_RESOURCE_ATTRIBUTES", "team=x,service.name=from-attrs"}, "from-attrs"},
	}
	for _, tt := range tests {
		t.Run(tt.wantService, func(t *testing.T) {
			logs := &syncBuffer{}
			i := start(t, env(t, tt.vars...), bootstrap.WithLogOutput(logs))
			if got := i.Telemetry.Config().ServiceName; got != tt.wantService {
				t.Errorf("service name %q, want %q", got, tt.wantService)
			}
			_, body := get(t, i.URL+"/health")
			if !strings.Contains(string(body), `"service":"`+tt.wantService+`"`) {
				t.Errorf("/health = %s", body)
			}
			if i.Telemetry.Config().LogFormat != "json" {
				t.Errorf("log format %q, want json by default", i.Telemetry.Config().LogFormat)
			}
			jsonLines(t, logs) // every line parses as JSON
		})
	}
}

func TestStartErrors(t *testing.T) {
	tests := []struct {
		vars []string
		want string
	}{
		{[]string{"DATABASE_URL", "oracle://x"}, `DATABASE_URL: unsupported scheme "oracle"`},
		{[]string{"MAX_BODY_BYTES", "-3", "DRAIN_TIMEOUT", "0s"}, "DRAIN_TIMEOUT=\"0s\": want a positive duration such as 10s\nMAX_BODY_BYTES=\"-3\": want a positive number of bytes"},
		{[]string{"ENVIRONMENT", "prod"}, `ENVIRONMENT="prod"`},
	}
	for _, tt := range tests {
		_, err := app.Start(context.Background(), env(t, append(tt.vars, "TELEMETRY_BACKEND", "none")...), bootstrap.WithoutGlobals(), bootstrap.WithLogOutput(io.Discard))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Start(%v) = %v, want an error containing %q", tt.vars, err, tt.want)
		}
	}
}

func TestShutdownDrains(t *testing.T) {
	i, err := app.Start(context.Background(), env(t, "ENVIRONMENT", "test"), bootstrap.WithoutGlobals(), bootstrap.WithLogOutput(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan int, 1)
	go func() {
		code, _ := get(t, i.URL+"/io_task?ms=400")
		done <- code
	}()
	time.Sleep(100 * time.Millisecond)
	if err := i.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if code := <-done; code != 200 {
		t.Errorf("in-flight request = %d, want 200", code)
	}
	if err := <-i.Done(); err != nil {
		t.Errorf("Done = %v", err)
	}
	if n := len(i.Telemetry.Recorder().Ended()); n == 0 {
		t.Error("no spans recorded")
	}
}

func TestShutdownCutsOffAfterDrainTimeout(t *testing.T) {
	i, err := app.Start(context.Background(), env(t, "ENVIRONMENT", "test", "DRAIN_TIMEOUT", "200ms"), bootstrap.WithoutGlobals(), bootstrap.WithLogOutput(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	go http.Get(i.URL + "/io_task?ms=5000")
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	err = i.Shutdown(context.Background())
	if err == nil || !strings.Contains(err.Error(), "drain timeout after 200ms") {
		t.Errorf("Shutdown = %v, want a drain timeout", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Shutdown took %v with a 200ms drain timeout", took)
	}
}
