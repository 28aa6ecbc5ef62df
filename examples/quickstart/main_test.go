package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/otelswitch/otelswitch/internal/lab"
)

// TestFlushesOnSIGTERM is the deploy the issue describes: three requests,
// SIGTERM half a second later, and every span must reach the real Jaeger.
// The production profile batches for 5 s, so only the flush on SIGTERM can
// have sent them.
func TestFlushesOnSIGTERM(t *testing.T) {
	l := lab.ForTest(t)
	bin := filepath.Join(t.TempDir(), "quickstart")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	addr := freeAddr(t)
	service := fmt.Sprintf("quickstart-%d", time.Now().UnixNano())
	cmd := exec.Command(bin)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"ENVIRONMENT=production", "TELEMETRY_BACKEND=jaeger", "JAEGER_ENDPOINT=" + l.JaegerOTLPGRPC,
		"OTEL_SERVICE_NAME=" + service, "ADDR=" + addr,
	}
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
	})

	waitListening(t, addr, exited, &stderr)
	for i := range 3 {
		resp, err := http.Get("http://" + addr + "/")
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET / = %d", resp.StatusCode)
		}
	}
	time.Sleep(500 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("quickstart exited with %v\n%s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("quickstart did not exit after SIGTERM\n%s", stderr.String())
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var spans int
	for ctx.Err() == nil {
		traces, err := l.JaegerTraces(ctx, service)
		spans = 0
		for _, tr := range traces {
			spans += len(tr.Spans)
		}
		if err == nil && spans >= 3 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if spans != 3 {
		t.Fatalf("Jaeger holds %d spans of %s, want 3\n%s", spans, service, stderr.String())
	}
	if !strings.Contains(stderr.String(), "otelswitch started") {
		t.Errorf("no startup line:\n%s", stderr.String())
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	return lis.Addr().String()
}

// waitListening waits for the port without sending a request, which would
// make a span of its own.
func waitListening(t *testing.T, addr string, exited <-chan error, stderr *strings.Builder) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			t.Fatalf("quickstart exited early: %v\n%s", err, stderr.String())
		default:
		}
		if c, err := net.Dial("tcp", addr); err == nil {
			_ = c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("quickstart never listened on %s\n%s", addr, stderr.String())
}
