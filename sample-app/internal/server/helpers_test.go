package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"

	"log/slog"

	"github.com/otelswitch/otelswitch/internal/testutil"
	"github.com/otelswitch/otelswitch/sample-app/internal/pgtest"
	"github.com/otelswitch/otelswitch/sample-app/internal/server"
	"github.com/otelswitch/otelswitch/sample-app/internal/store"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if err := pgtest.StopShared(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

// app is one in-process instance of the service with in-memory telemetry.
type app struct {
	srv   *server.Server
	ts    *httptest.Server
	store *store.Store
	spans *tracetest.SpanRecorder
	logs  *syncBuffer
}

type appOptions struct {
	service      string
	databaseURL  string // default: a fresh SQLite file
	chain        []string
	recorder     *tracetest.SpanRecorder // shared between instances
	maxBodyBytes int64
}

func newApp(t *testing.T, o appOptions) *app {
	t.Helper()
	if o.service == "" {
		o.service = "books"
	}
	if o.databaseURL == "" {
		o.databaseURL = "sqlite:" + filepath.Join(t.TempDir(), "books.db")
	}
	if o.recorder == nil {
		o.recorder = tracetest.NewSpanRecorder()
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSpanProcessor(o.recorder),
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName(o.service))),
	)
	t.Cleanup(func() { tp.Shutdown(context.Background()) })
	st, err := store.Open(context.Background(), o.databaseURL, store.WithTracerProvider(tp))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	logs := &syncBuffer{}
	srv, err := server.New(server.Config{
		Store:          st,
		ServiceName:    o.service,
		TracerProvider: tp,
		Propagator:     propagation.TraceContext{},
		Logger:         slog.New(slog.NewJSONHandler(logs, nil)),
		ChainTargets:   o.chain,
		MaxBodyBytes:   o.maxBodyBytes,
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &app{srv: srv, ts: ts, store: st, spans: o.recorder, logs: logs}
}

// do sends a request and returns the response with its body read.
func (a *app) do(t *testing.T, method, path, body string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, a.ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := a.ts.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// ended returns the ended spans named name.
func (a *app) ended(name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range a.spans.Ended() {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

// logLines returns the JSON log lines whose msg is msg.
func (a *app) logLines(t *testing.T, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(a.logs.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

func attr(s sdktrace.ReadOnlySpan, key attribute.Key) (attribute.Value, bool) {
	for _, kv := range s.Attributes() {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

type syncBuffer = testutil.SyncBuffer
