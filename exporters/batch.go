package exporters

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// NewBatchProcessor returns a span processor that queues ended, sampled spans
// and sends them to exp in batches from one goroutine, like the SDK's batch
// processor, but counts every span it cannot deliver in stats: OnEnd never
// blocks, and a full queue drops the span and says so.
//
// Options set the queue, the batches, the bound on each export and where
// counts and failures go; unset, they are the SDK's defaults (DefaultSpanDelay,
// DefaultMaxQueue, DefaultMaxExport, DefaultExportTimeout). Shutdown sends what
// is queued until its context is done; what is left then is dropped and
// counted.
func NewBatchProcessor(exp sdktrace.SpanExporter, opts ...BatchOption) sdktrace.SpanProcessor {
	c := newBatchConfig(DefaultSpanDelay, opts)
	return &batchProcessor{newBatcher(exp.ExportSpans, exp.Shutdown, c, c.counters.Spans())}
}

type batchProcessor struct {
	*batcher[sdktrace.ReadOnlySpan]
}

func (p *batchProcessor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

func (p *batchProcessor) OnEnd(s sdktrace.ReadOnlySpan) {
	if s.SpanContext().IsSampled() {
		p.enqueue(s)
	}
}

// NewLogProcessor returns a log processor that does for log records what
// NewBatchProcessor does for spans, counting in the Logs() counters: OnEmit
// never blocks, a full queue drops the record and counts it, and Shutdown
// keeps to its context's deadline. The defaults are the log SDK's: as for
// spans but DefaultLogDelay.
func NewLogProcessor(exp sdklog.Exporter, opts ...BatchOption) sdklog.Processor {
	c := newBatchConfig(DefaultLogDelay, opts)
	return &logProcessor{newBatcher(exp.Export, exp.Shutdown, c, c.counters.Logs())}
}

type logProcessor struct {
	*batcher[sdklog.Record]
}

// OnEmit queues a copy of r: the SDK reuses r once OnEmit returns.
func (p *logProcessor) OnEmit(_ context.Context, r *sdklog.Record) error {
	p.enqueue(r.Clone())
	return nil
}

// Enabled implements sdklog's FilterProcessor: every record is wanted.
func (p *logProcessor) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }

// batcher is the queue behind both processors: items of type T wait in a
// bounded channel and one goroutine exports them in batches.
type batcher[T any] struct {
	exportFn   func(context.Context, []T) error
	shutdownFn func(context.Context) error
	batch      Batch
	timeout    time.Duration
	stats      *SignalCounters
	logger     *slog.Logger

	queue chan T
	flush chan chan struct{}
	stop  chan struct{} // closed by Shutdown
	done  chan struct{} // closed when run returns

	// ctx is cancelled when Shutdown's deadline passes, which aborts the
	// export in flight.
	ctx    context.Context
	cancel context.CancelFunc

	// closing guards the queue: once Shutdown sets closed, nothing can be
	// enqueued, so the final drain sees every item that got in.
	closing sync.RWMutex
	closed  bool

	stopOnce sync.Once
	failing  bool // run's view: the last export failed (for logging once)
}

func newBatcher[T any](export func(context.Context, []T) error, shutdown func(context.Context) error, c batchConfig, stats *SignalCounters) *batcher[T] {
	b := c.batch
	ctx, cancel := context.WithCancel(context.Background())
	p := &batcher[T]{
		exportFn:   export,
		shutdownFn: shutdown,
		batch:      b,
		timeout:    c.exportTimeout,
		stats:      stats,
		logger:     c.logger,
		queue:      make(chan T, b.MaxQueue),
		flush:      make(chan chan struct{}),
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
		ctx:        ctx,
		cancel:     cancel,
	}
	go p.run()
	return p
}

// enqueue never blocks: a full queue, or a stopped one, drops the item and
// counts it.
func (p *batcher[T]) enqueue(item T) {
	p.closing.RLock()
	defer p.closing.RUnlock()
	if p.closed {
		p.stats.Dropped(1, false)
		return
	}
	select {
	case p.queue <- item:
		p.stats.Enqueued(1)
	default:
		p.stats.Dropped(1, false)
	}
}

func (p *batcher[T]) run() {
	defer close(p.done)
	timer := time.NewTimer(p.batch.Delay)
	defer timer.Stop()
	buf := make([]T, 0, p.batch.MaxExport)
	send := func() {
		if len(buf) > 0 {
			p.export(buf)
			clear(buf)
			buf = buf[:0]
		}
		timer.Reset(p.batch.Delay)
	}
	for {
		select {
		case s := <-p.queue:
			buf = append(buf, s)
			if len(buf) >= p.batch.MaxExport {
				send()
			}
		case <-timer.C:
			send()
		case ack := <-p.flush:
			buf = p.drain(buf)
			send()
			close(ack)
		case <-p.stop:
			p.drain(buf)
			return
		}
	}
}

// drain sends everything queued so far, in batches, and returns buf empty.
// Once the processor's context is cancelled it drops instead of sending.
func (p *batcher[T]) drain(buf []T) []T {
	for {
		select {
		case s := <-p.queue:
			buf = append(buf, s)
			if len(buf) < p.batch.MaxExport {
				continue
			}
		default:
		}
		if len(buf) == 0 {
			return buf
		}
		if p.ctx.Err() != nil {
			p.stats.Dropped(len(buf), true)
		} else {
			p.export(buf)
		}
		clear(buf)
		buf = buf[:0]
	}
}

func (p *batcher[T]) export(items []T) {
	ctx, cancel := context.WithTimeout(p.ctx, p.timeout)
	defer cancel()
	start := time.Now()
	err := p.exportFn(ctx, items)
	p.stats.Exported(len(items), time.Since(start), err)
	// Say so when a backend starts and stops failing, not on every batch.
	switch {
	case err != nil && !p.failing:
		p.failing = true
		p.logger.Warn("telemetry export failing; "+p.stats.signal+" are being dropped",
			"backend", p.stats.backend, "signal", p.stats.signal, "count", len(items), "error", err.Error())
	case err == nil && p.failing:
		p.failing = false
		p.logger.Info("telemetry export recovered", "backend", p.stats.backend, "signal", p.stats.signal)
	}
}

// ForceFlush sends everything queued and waits for it, or for ctx.
func (p *batcher[T]) ForceFlush(ctx context.Context) error {
	ack := make(chan struct{})
	select {
	case p.flush <- ack:
	case <-p.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("flush %s %s: %w", p.stats.backend, p.stats.signal, ctx.Err())
	}
	select {
	case <-ack:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("flush %s %s: %w", p.stats.backend, p.stats.signal, ctx.Err())
	}
}

// Shutdown sends what is queued, then shuts the exporter down. When ctx is
// done first, the export in flight is abandoned and the rest is dropped.
func (p *batcher[T]) Shutdown(ctx context.Context) error {
	var err error
	p.stopOnce.Do(func() {
		p.closing.Lock()
		p.closed = true
		p.closing.Unlock()
		close(p.stop)
		select {
		case <-p.done:
		case <-ctx.Done():
			p.cancel()
			err = fmt.Errorf("shutdown %s: %w", p.stats.backend, ctx.Err())
		}
		p.cancel()
		err = errors.Join(err, p.shutdownFn(ctx))
	})
	return err
}
