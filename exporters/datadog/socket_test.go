package datadog_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/exporters/datadog"
	"github.com/otelswitch/otelswitch/internal/lab"
	"github.com/otelswitch/otelswitch/internal/testutil"
)

// socketDir returns a short directory for Unix sockets, whose paths are
// limited to about 100 bytes.
func socketDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "dd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// forward serves a Unix stream socket at path that forwards every
// connection to addr over TCP, as a Datadog Agent's apm.socket would
// reach its trace intake, and counts the connections.
func forward(t *testing.T, path, addr string) *atomic.Int64 {
	t.Helper()
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	n := new(atomic.Int64)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			go func() {
				defer c.Close()
				up, err := net.Dial("tcp", addr)
				if err != nil {
					return
				}
				defer up.Close()
				go func() { _, _ = io.Copy(up, c) }()
				_, _ = io.Copy(c, up)
			}()
		}
	}()
	return n
}

// dogStatsD listens on a Unix datagram socket at path, as the Agent's
// dsd.socket does, and returns the datagrams received.
func dogStatsD(t *testing.T, path string) func() []string {
	t.Helper()
	pc, err := net.ListenPacket("unixgram", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	var mu sync.Mutex
	var got []string
	go func() {
		buf := make([]byte, 65536)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			mu.Lock()
			got = append(got, string(buf[:n]))
			mu.Unlock()
		}
	}()
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), got...)
	}
}

// TestSocketDiscovery resolves the Agent as dd-trace-go does: with no
// variable naming it, the Unix sockets when they exist; a variable wins.
func TestSocketDiscovery(t *testing.T) {
	dir := socketDir(t)
	apm, dsd := filepath.Join(dir, "apm.socket"), filepath.Join(dir, "dsd.socket")
	socks := datadog.Sockets{APM: apm, DogStatsD: dsd}
	resolve := func(env map[string]string) datadog.Agent {
		t.Helper()
		c, err := fromEnv(testutil.Env(env).Lookup)
		if err != nil {
			t.Fatal(err)
		}
		a, err := c.WithSockets(socks).Agent()
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	if a := resolve(nil); a.URL.String() != "http://localhost:8126" || a.DogStatsD != "localhost:8125" {
		t.Errorf("no sockets: %s, %s", a.URL, a.DogStatsD)
	}
	if (datadog.Factory{Sockets: socks}).Detect(testutil.Env(nil).Lookup) {
		t.Error("detected with no socket and no variable")
	}
	forward(t, apm, "127.0.0.1:1")
	dogStatsD(t, dsd)
	for _, tt := range []struct {
		env           map[string]string
		agent, statsd string
	}{
		{nil, "unix://" + apm, "unix://" + dsd},
		{map[string]string{"DD_AGENT_HOST": "10.0.0.7"}, "http://10.0.0.7:8126", "unix://" + dsd},
		{map[string]string{"DD_TRACE_AGENT_PORT": "9126"}, "http://localhost:9126", "unix://" + dsd},
		{map[string]string{"DD_TRACE_AGENT_URL": "http://agent:8126", "DD_DOGSTATSD_PORT": "9125"}, "http://agent:8126", "localhost:9125"},
		{map[string]string{"DD_AGENT_HOST": "agent", "DD_DOGSTATSD_HOST": "statsd"}, "http://agent:8126", "statsd:8125"},
		{map[string]string{"DD_DOGSTATSD_URL": "unix:///run/dsd.sock"}, "unix://" + apm, "unix:///run/dsd.sock"},
	} {
		if a := resolve(tt.env); a.URL.String() != tt.agent || a.DogStatsD != tt.statsd {
			t.Errorf("%v: agent %s, dogstatsd %s; want %s, %s", tt.env, a.URL, a.DogStatsD, tt.agent, tt.statsd)
		}
	}
	if !(datadog.Factory{Sockets: socks}).Detect(testutil.Env(nil).Lookup) {
		t.Error("the Agent's socket does not select datadog")
	}
	for env, want := range map[string]string{
		"DD_DOGSTATSD_URL=localhost": `DD_DOGSTATSD_URL="localhost": want host:port`,
		"DD_DOGSTATSD_URL=unix://":   `DD_DOGSTATSD_URL="unix://": no socket path`,
		"DD_DOGSTATSD_PORT=0":        `DD_DOGSTATSD_PORT=0: want a port from 1 to 65535`,
	} {
		k, v, _ := strings.Cut(env, "=")
		if _, err := fromEnv(testutil.Env(map[string]string{k: v}).Lookup); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v; want %q", env, err, want)
		}
	}
}

// TestLabNativeDefaultSocket: with no agent variable set and the Agent's
// sockets present, native mode sends through apm.socket, here a real Unix
// socket forwarding to the lab's trace intake, and dd-trace-go's own
// metrics go to dsd.socket; Telemetry.Config shows both.
func TestLabNativeDefaultSocket(t *testing.T) {
	l := lab.ForTest(t)
	dir := socketDir(t)
	apm, dsd := filepath.Join(dir, "apm.socket"), filepath.Join(dir, "dsd.socket")
	conns := forward(t, apm, l.DatadogAgent)
	datagrams := dogStatsD(t, dsd)

	s := settings(t, map[string]string{"DD_ENV": "lab"})
	b, err := datadog.Factory{Sockets: datadog.Sockets{APM: apm, DogStatsD: dsd}}.New(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(b.Config)
	if !strings.Contains(string(raw), `"endpoint":"unix://`+apm+`"`) || !strings.Contains(string(raw), `"dogstatsd":"unix://`+dsd+`"`) {
		t.Errorf("config %s; want both sockets", raw)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(b.SpanProcessor), sdktrace.WithResource(s.Resource))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	waitStarted(t, b)
	tree := makeTree(tp)
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans, err := l.WaitForSpans(context.Background(), lab.SourceDatadog, 4, func(s lab.Span) bool { return s.TraceID == tree.TraceID })
	if err != nil {
		t.Fatal(err)
	}
	sameTree(t, byID(spans, tree.TraceID), tree)
	if conns.Load() == 0 {
		t.Error("no connection through the socket")
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(datagrams()) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if len(datagrams()) == 0 {
		t.Error("dd-trace-go sent no DogStatsD datagram to dsd.socket")
	} else {
		t.Logf("first datagram: %q", datagrams()[0])
	}
}

// TestNativeThroughDefaultSockets: with the sockets present and no agent
// variable, dd-trace-go posts through apm.socket and its own metrics
// (datadog.tracer.*) arrive on dsd.socket. The lab test below proves the
// spans themselves reach a trace intake this way.
func TestNativeThroughDefaultSockets(t *testing.T) {
	agent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("{}")) }))
	defer agent.Close()
	dir := socketDir(t)
	apm, dsd := filepath.Join(dir, "apm.socket"), filepath.Join(dir, "dsd.socket")
	conns := forward(t, apm, agent.Listener.Addr().String())
	datagrams := dogStatsD(t, dsd)
	s := settings(t, nil)
	b, err := datadog.Factory{Sockets: datadog.Sockets{APM: apm, DogStatsD: dsd}}.New(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(b.SpanProcessor))
	waitStarted(t, b)
	_, span := tp.Tracer("t").Start(context.Background(), "op")
	span.End()
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(datagrams()) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := datagrams(); len(got) == 0 || !strings.HasPrefix(got[0], "datadog.tracer.") {
		t.Errorf("datagrams on dsd.socket: %q; want dd-trace-go's datadog.tracer.* metrics", got)
	}
	if conns.Load() == 0 {
		t.Error("no connection through apm.socket")
	}
}

// TestIdentityLegacyEnvAnd128BitLogging: a legacy deployment.environment in
// the resource becomes env, as dd-trace-go maps it, and
// DD_TRACE_128_BIT_TRACEID_LOGGING_ENABLED logs 128-bit IDs in hex.
func TestIdentityLegacyEnvAnd128BitLogging(t *testing.T) {
	s := settings(t, nil)
	s.Resource = resource.NewSchemaless(attribute.String("deployment.environment", "prod-eu"), attribute.String("deployment.environment.name", "production"))
	c, err := fromEnv(testutil.Env(map[string]string{"DD_TRACE_128_BIT_TRACEID_LOGGING_ENABLED": "true"}).Lookup)
	if err != nil {
		t.Fatal(err)
	}
	id := datadog.ResolveIdentity(c, s)
	if id.Env != "prod-eu" {
		t.Errorf("env = %q, want the legacy deployment.environment", id.Env)
	}
	tid, _ := trace.TraceIDFromHex("6b0445ae00000000475f43d67920d18f")
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: [8]byte{1}})
	attrs := func(id datadog.Identity) string {
		for _, a := range datadog.Correlate(id)(sc) {
			if a.Key == "dd.trace_id" {
				return a.Value.String()
			}
		}
		return ""
	}
	if got := attrs(id); got != "6b0445ae00000000475f43d67920d18f" {
		t.Errorf("128-bit logging: dd.trace_id = %q", got)
	}
	id.TraceID128 = false
	if got := attrs(id); got != "5142903887914652047" {
		t.Errorf("default: dd.trace_id = %q, want the low 64 bits in decimal", got)
	}
	low, _ := trace.TraceIDFromHex("0000000000000000475f43d67920d18f")
	id.TraceID128 = true
	sc = trace.NewSpanContext(trace.SpanContextConfig{TraceID: low, SpanID: [8]byte{1}})
	if got := attrs(id); got != "5142903887914652047" {
		t.Errorf("64-bit ID with 128-bit logging: dd.trace_id = %q, want decimal as dd-trace-go", got)
	}
}
