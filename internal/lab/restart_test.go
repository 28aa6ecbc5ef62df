package lab

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A killed Jaeger refuses connections, comes back on the same ports with
// empty storage, and keeps its old log beside the new one.
func TestKillAndRestartJaeger(t *testing.T) {
	l := ForTest(t)
	before, err := sendTrace(t, grpcExporter(t, l.JaegerOTLPGRPC, nil), "lab-restart")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.WaitForJaegerTrace(context.Background(), before.traceID, 2); err != nil {
		t.Fatal(err)
	}

	if err := l.KillJaeger(); err != nil {
		t.Fatal(err)
	}
	if c, err := net.DialTimeout("tcp", l.JaegerOTLPGRPC, time.Second); err == nil {
		c.Close()
		t.Fatalf("%s still accepts connections after KillJaeger", l.JaegerOTLPGRPC)
	}
	if err := l.RestartJaeger(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := l.JaegerTrace(context.Background(), before.traceID); err == nil {
		t.Error("the restarted Jaeger still has a trace stored before the kill; want empty storage")
	}
	after, err := sendTrace(t, grpcExporter(t, l.JaegerOTLPGRPC, nil), "lab-restart")
	if err != nil {
		t.Fatalf("export to the restarted Jaeger: %v", err)
	}
	if _, err := l.WaitForJaegerTrace(context.Background(), after.traceID, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(l.Dir, "jaeger.1.log")); err != nil {
		t.Errorf("the killed Jaeger's log was not kept: %v", err)
	}
	if err := l.RestartJaeger(context.Background()); err == nil {
		t.Error("RestartJaeger of a running Jaeger succeeded; want an error")
	}
}

// The collector's files survive a crash and the restarted collector appends
// to them.
func TestKillAndRestartCollector(t *testing.T) {
	l := ForTest(t)
	first, err := sendTrace(t, httpExporter(t, l.CollectorOTLPHTTP, nil), "lab-restart")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.WaitForSpans(context.Background(), SourceOTLP, 2, func(s Span) bool { return s.TraceID == first.traceID }); err != nil {
		t.Fatal(err)
	}
	if err := l.KillCollector(); err != nil {
		t.Fatal(err)
	}
	if _, err := sendTrace(t, httpExporter(t, l.CollectorOTLPHTTP, nil), "lab-restart"); err == nil {
		t.Fatal("export to a killed collector succeeded")
	}
	if err := l.RestartCollector(context.Background()); err != nil {
		t.Fatal(err)
	}
	second, err := sendTrace(t, httpExporter(t, l.CollectorOTLPHTTP, nil), "lab-restart")
	if err != nil {
		t.Fatalf("export to the restarted collector: %v", err)
	}
	spans, err := l.WaitForSpans(context.Background(), SourceOTLP, 4, func(s Span) bool {
		return s.TraceID == first.traceID || s.TraceID == second.traceID
	})
	if err != nil {
		t.Fatalf("want both traces in the file after the restart: %v", err)
	}
	if len(spans) != 4 {
		t.Errorf("%d spans of the two traces, want 4", len(spans))
	}
}

// A paused Jaeger accepts connections and answers nothing until resumed.
func TestPauseJaeger(t *testing.T) {
	l := ForTest(t)
	if err := l.PauseJaeger(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.ResumeJaeger() })
	c, err := net.DialTimeout("tcp", l.JaegerOTLPGRPC, time.Second)
	if err != nil {
		t.Fatalf("a paused Jaeger should still accept connections: %v", err)
	}
	c.Close()
	client := &http.Client{Timeout: 300 * time.Millisecond}
	if resp, err := client.Get(l.JaegerUI + "/api/services"); err == nil {
		resp.Body.Close()
		t.Fatal("a paused Jaeger answered")
	}
	if err := l.ResumeJaeger(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.JaegerServices(context.Background()); err != nil {
		t.Fatalf("the resumed Jaeger does not answer: %v", err)
	}
}

// TestStopAndRestartCollector: an orderly stop keeps what the collector
// acknowledged (its file exporter flushes on the way out; a kill can lose
// it), refuses exports while down, and the restarted collector appends.
func TestStopAndRestartCollector(t *testing.T) {
	l := ForTest(t)
	first, err := sendTrace(t, httpExporter(t, l.CollectorOTLPHTTP, nil), "lab-stop")
	if err != nil {
		t.Fatal(err)
	}
	// At once, before the 100 ms flush interval: the stop must flush it.
	if err := l.StopCollector(); err != nil {
		t.Fatal(err)
	}
	if _, err := sendTrace(t, httpExporter(t, l.CollectorOTLPHTTP, nil), "lab-stop"); err == nil {
		t.Fatal("export to a stopped collector succeeded")
	}
	if err := l.RestartCollector(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := l.WaitForSpans(context.Background(), SourceOTLP, 2, func(s Span) bool { return s.TraceID == first.traceID }); err != nil {
		t.Fatalf("the trace acknowledged before the stop is not in the file: %v", err)
	}
}
