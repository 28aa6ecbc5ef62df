package lab

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCollectorSpansFrom reads a growing file in steps: a half-written
// line waits for its newline, and no line is read twice.
func TestCollectorSpansFrom(t *testing.T) {
	l := &Lab{Dir: t.TempDir()}
	ctx := context.Background()
	if spans, off, err := l.CollectorSpansFrom(ctx, SourceOTLP, 0); err != nil || spans != nil || off != 0 {
		t.Fatalf("before the file exists: %v, %d, %v; want nothing, 0, nil", spans, off, err)
	}
	if n, err := l.CollectorFileSize(SourceOTLP); n != 0 || err != nil {
		t.Fatalf("CollectorFileSize before the file exists = %d, %v", n, err)
	}
	path := l.CollectorFile(SourceOTLP)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	// collectorLines ends with a half-written line.
	if err := os.WriteFile(path, []byte(collectorLines), 0o644); err != nil {
		t.Fatal(err)
	}
	spans, off, err := l.CollectorSpansFrom(ctx, SourceOTLP, 0)
	if err != nil || len(spans) != 2 {
		t.Fatalf("first read: %d spans, %v; want 2", len(spans), err)
	}
	half := strings.LastIndex(collectorLines, "\n") + 1
	if off != int64(half) {
		t.Errorf("offset %d; want %d, the start of the half-written line", off, half)
	}
	if spans, again, err := l.CollectorSpansFrom(ctx, SourceOTLP, off); err != nil || len(spans) != 0 || again != off {
		t.Errorf("nothing new: %d spans, offset %d, %v; want none, %d", len(spans), again, err, off)
	}

	// The exporter finishes the line and writes another.
	first := collectorLines[:strings.Index(collectorLines, "\n")+1]
	rest := strings.TrimPrefix(first, `{"resourceSpans":[{"resource":`)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(rest + first); err != nil {
		t.Fatal(err)
	}
	f.Close()
	spans, off2, err := l.CollectorSpansFrom(ctx, SourceOTLP, off)
	if err != nil || len(spans) != 4 {
		t.Fatalf("second read: %d spans, %v; want the 4 of the two new lines", len(spans), err)
	}
	size, err := l.CollectorFileSize(SourceOTLP)
	if err != nil || off2 != size {
		t.Errorf("offset %d after reading everything; file size %d, %v", off2, size, err)
	}

	// A broken line is reported with where it starts, and not skipped.
	if err := os.WriteFile(path, []byte(first+"nope\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, at, err := l.CollectorSpansFrom(ctx, SourceOTLP, 0)
	if err == nil || at != int64(len(first)) || !strings.Contains(err.Error(), "at byte") {
		t.Errorf("broken line: offset %d, %v; want an error at byte %d", at, err, len(first))
	}
}

func TestAttachWithoutALab(t *testing.T) {
	free, err := freePorts()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		opts []Option
		want string
		is   error
	}{
		{"no dir", nil, "Attach needs WithDir", nil},
		{"nothing running", []Option{WithDir(t.TempDir()), withPorts(free)}, "Jaeger does not answer", ErrNotRunning},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l, err := Attach(context.Background(), tt.opts...)
			if err == nil || l != nil || !strings.Contains(err.Error(), tt.want) || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Errorf("Attach = %v, %v; want an error with %q", l, err, tt.want)
			}
		})
	}
}

// TestAttach attaches to a running lab, reads back through it what was
// sent to the lab, and leaves the lab running when it closes.
func TestAttach(t *testing.T) {
	dir := t.TempDir()
	started := ForTest(t, WithDir(dir), WithSecretToken("s3cret"))
	ctx := context.Background()

	if _, err := Attach(ctx, WithDir(t.TempDir()), withPorts(started.ports)); err == nil || !strings.Contains(err.Error(), "otelcol.yaml") {
		t.Errorf("Attach with another directory = %v; want an error about its otelcol.yaml", err)
	}
	l, err := Attach(ctx, WithDir(dir), WithSecretToken("s3cret"), withPorts(started.ports))
	if err != nil {
		t.Fatal(err)
	}
	if l.JaegerUI != started.JaegerUI || l.ElasticBearerGRPC != started.ElasticBearerGRPC || l.DatadogAgent != started.DatadogAgent ||
		l.SecretToken != "s3cret" || l.Dir != dir {
		t.Errorf("attached lab %+v differs from the started one %+v", l, started)
	}

	before := time.Now()
	s, err := sendTrace(t, grpcExporter(t, l.JaegerOTLPGRPC, nil), "attach-test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.WaitForJaegerTrace(ctx, s.traceID, 2); err != nil {
		t.Fatal(err)
	}
	// JaegerTraces with Between sees the trace inside its window and not before.
	for _, w := range []struct {
		name       string
		start, end time.Time
		want       int
	}{
		{"around", before.Add(-time.Second), time.Now().Add(time.Second), 1},
		{"before", before.Add(-time.Hour), before.Add(-time.Minute), 0},
	} {
		got, err := l.JaegerTraces(ctx, "attach-test", Between(w.start, w.end), Limit(10))
		if err != nil || len(got) != w.want {
			t.Errorf("%s: %d traces, %v; want %d", w.name, len(got), err, w.want)
		}
	}

	if err := l.Close(); err != nil {
		t.Errorf("closing the attached lab: %v", err)
	}
	if _, err := Attach(ctx, WithDir(dir), withPorts(started.ports)); err != nil {
		t.Errorf("the lab stopped when the attached handle closed: %v", err)
	}
}

// withPorts aims Attach or Start at given ports.
func withPorts(p portSet) Option {
	return optionFunc(func(c config) config { c.ports = &p; return c })
}
