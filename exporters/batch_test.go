package exporters_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/otelswitch/otelswitch/exporters"
)

// blockingExporter holds every export until release is closed or the
// export's context ends, like a backend that accepts and never answers.
type blockingExporter struct {
	release chan struct{}
	mu      sync.Mutex
	got     int
}

func (e *blockingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	select {
	case <-e.release:
		e.mu.Lock()
		e.got += len(spans)
		e.mu.Unlock()
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (e *blockingExporter) Shutdown(context.Context) error { return nil }

func endSpans(t *testing.T, p sdktrace.SpanProcessor, n int) {
	t.Helper()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	tr := tp.Tracer("test")
	for range n {
		_, s := tr.Start(context.Background(), "op")
		s.End()
	}
}

func TestBatchProcessorDeliversEverythingOnShutdown(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	stats := exporters.NewCounters("mem")
	p := exporters.NewBatchProcessor(exp, exporters.WithBatch(exporters.Batch{Delay: time.Hour, MaxQueue: 5000, MaxExport: 64}), exporters.WithExportTimeout(time.Second), exporters.WithCounters(stats))
	endSpans(t, p, 1000)
	// Shutdown resets the in-memory exporter, so count before it.
	if err := p.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := len(exp.GetSpans()); got != 1000 {
		t.Errorf("exported %d spans, want 1000", got)
	}
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := stats.Snapshot()
	if s.SpansExported != 1000 || s.SpansDropped != 0 || s.SpansQueued != 0 {
		t.Errorf("stats = %+v, want 1000 exported, none dropped or queued", s)
	}
}

func TestBatchProcessorCountsEveryLostSpan(t *testing.T) {
	exp := &blockingExporter{release: make(chan struct{})}
	stats := exporters.NewCounters("stuck")
	p := exporters.NewBatchProcessor(exp, exporters.WithBatch(exporters.Batch{Delay: time.Millisecond, MaxQueue: 100, MaxExport: 10}), exporters.WithExportTimeout(time.Hour), exporters.WithCounters(stats))
	const ended = 1000
	endSpans(t, p, ended) // the first batch blocks; the queue fills; the rest is dropped

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := p.Shutdown(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want deadline exceeded", err)
	}
	// The processor's goroutine settles its accounts once the export it was
	// blocked in is cancelled.
	var s exporters.Stats
	for range 100 {
		if s = stats.Snapshot(); s.SpansQueued == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if s.SpansExported != 0 || s.SpansDropped != ended || s.SpansQueued != 0 {
		t.Errorf("stats = %+v, want all %d spans dropped", s, ended)
	}
	if s.FailedExports == 0 || s.LastError == "" {
		t.Errorf("stats = %+v, want the cancelled export counted as failed", s)
	}
}

func TestBatchProcessorIgnoresUnsampledSpans(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	stats := exporters.NewCounters("mem")
	p := exporters.NewBatchProcessor(exp, exporters.WithBatch(exporters.Batch{Delay: time.Hour, MaxQueue: 10, MaxExport: 10}), exporters.WithExportTimeout(time.Second), exporters.WithCounters(stats))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p), sdktrace.WithSampler(sdktrace.NeverSample()))
	_, s := tp.Tracer("t").Start(context.Background(), "op")
	s.End()
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := stats.Snapshot(); got != (exporters.Stats{Backend: "mem"}) {
		t.Errorf("stats = %+v, want nothing counted", got)
	}
}

// Spans that end while Shutdown runs are either delivered or counted as
// dropped; none is left counted as queued.
func TestBatchProcessorAccountsForSpansEndingDuringShutdown(t *testing.T) {
	for range 50 {
		exp := tracetest.NewInMemoryExporter()
		stats := exporters.NewCounters("mem")
		p := exporters.NewBatchProcessor(exp, exporters.WithBatch(exporters.Batch{Delay: time.Millisecond, MaxQueue: 64, MaxExport: 8}), exporters.WithExportTimeout(time.Second), exporters.WithCounters(stats))
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for range 200 {
					_, s := tp.Tracer("t").Start(context.Background(), "op")
					s.End()
				}
			})
		}
		_ = p.Shutdown(context.Background())
		wg.Wait()
		s := stats.Snapshot()
		if s.SpansQueued != 0 || s.SpansExported+s.SpansDropped != 800 {
			t.Fatalf("stats = %+v, want 800 spans exported or dropped and none left queued", s)
		}
	}
}

// A processor built with no options, a zero Batch or nil counters delivers
// what ends, as the SDK's batch processor does with its defaults (the zero
// Batch used to drop every span).
func TestBatchProcessorDefaultsDeliver(t *testing.T) {
	tests := []struct {
		name    string
		opts    func(*exporters.Counters) []exporters.BatchOption
		counted bool
	}{
		{"no options", func(*exporters.Counters) []exporters.BatchOption { return nil }, false},
		{"zero Batch", func(c *exporters.Counters) []exporters.BatchOption {
			return []exporters.BatchOption{exporters.WithBatch(exporters.Batch{}), exporters.WithCounters(c)}
		}, true},
		{"zero export timeout", func(c *exporters.Counters) []exporters.BatchOption {
			return []exporters.BatchOption{exporters.WithExportTimeout(0), exporters.WithCounters(c)}
		}, true},
		{"nil counters and logger", func(*exporters.Counters) []exporters.BatchOption {
			return []exporters.BatchOption{exporters.WithCounters(nil), exporters.WithLogger(nil)}
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exp := tracetest.NewInMemoryExporter()
			stats := exporters.NewCounters("mem")
			p := exporters.NewBatchProcessor(exp, tt.opts(stats)...)
			endSpans(t, p, 1000) // within the default queue of 2048
			if err := p.ForceFlush(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := len(exp.GetSpans()); got != 1000 {
				t.Errorf("exported %d spans, want 1000", got)
			}
			if err := p.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			if s := stats.Snapshot(); tt.counted && (s.SpansExported != 1000 || s.SpansDropped != 0) {
				t.Errorf("stats = %+v, want 1000 exported, none dropped", s)
			}
		})
	}
}
