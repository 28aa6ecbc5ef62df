package exporters

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/otelswitch/otelswitch/internal/worker"
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
//
// The queue holds pointers to pooled copies: a channel of records would be
// one object of MaxQueue records (584 bytes each) that the GC scans whole
// on every cycle, however little is queued.
func NewLogProcessor(exp sdklog.Exporter, opts ...BatchOption) sdklog.Processor {
	c := newBatchConfig(DefaultLogDelay, opts)
	buf := make([]sdklog.Record, 0, c.batch.MaxExport)
	// export runs on the batcher's goroutine only, so buf is reused; the
	// exporter does not keep the records past Export.
	export := func(ctx context.Context, recs []*sdklog.Record) error {
		for _, r := range recs {
			buf = append(buf, *r)
			*r = sdklog.Record{}
			recordPool.Put(r)
		}
		err := exp.Export(ctx, buf)
		clear(buf)
		buf = buf[:0]
		return err
	}
	keep := func(r *sdklog.Record) *sdklog.Record {
		c := recordPool.Get().(*sdklog.Record)
		*c = r.Clone()
		return c
	}
	return NewConvertingLogProcessor(keep, export, exp.Shutdown, opts...)
}

var recordPool = sync.Pool{New: func() any { return new(sdklog.Record) }}

// NewConvertingLogProcessor is NewLogProcessor for an exporter that takes
// records in a form of its own, T: OnEmit turns each record into a T with
// keep (on the caller's goroutine: the SDK reuses the record once OnEmit
// returns) and queues it, and export sends batches of them, on the
// processor's goroutine. The queue, its bound, the counting, ForceFlush and
// Shutdown are NewLogProcessor's. Like it, the processor is Deferrable.
func NewConvertingLogProcessor[T any](keep func(*sdklog.Record) T, export func(context.Context, []T) error, shutdown func(context.Context) error, opts ...BatchOption) *ConvertingLogProcessor[T] {
	c := newBatchConfig(DefaultLogDelay, opts)
	return &ConvertingLogProcessor[T]{newBatcher(export, shutdown, c, c.counters.Logs()), keep}
}

// ConvertingLogProcessor is NewConvertingLogProcessor's processor.
type ConvertingLogProcessor[T any] struct {
	*batcher[T]
	keep func(*sdklog.Record) T
}

// OnEmit queues what keep makes of r.
func (p *ConvertingLogProcessor[T]) OnEmit(_ context.Context, r *sdklog.Record) error {
	p.enqueue(p.keep(r))
	return nil
}

// Enqueue queues item as OnEmit queues what it makes of a record, for an
// exporter that can make items without the SDK's record. It never blocks:
// a full queue drops item and counts it.
func (p *ConvertingLogProcessor[T]) Enqueue(item T) { p.enqueue(item) }

func (p *ConvertingLogProcessor[T]) deferrable() {}

// Deferrable reports whether p only queues what OnEmit hands it, so a
// record may reach it from another goroutine than the one that wrote it, a
// few milliseconds later, and be exported just the same: true for
// NewLogProcessor's and NewConvertingLogProcessor's. A processor that acts
// on the caller's state, such as the New Relic agent's (it records on the
// live transaction), is not.
func Deferrable(p sdklog.Processor) bool {
	_, ok := p.(interface{ deferrable() })
	return ok
}

// Enabled implements sdklog's FilterProcessor: every record is wanted.
func (p *ConvertingLogProcessor[T]) Enabled(context.Context, sdklog.EnabledParameters) bool {
	return true
}

// batcher is the queue behind both processors: items of type T wait in a
// bounded slice and one goroutine exports them in batches.
//
// A slice under a mutex rather than a channel: the exporting goroutine is
// woken once per full batch (or by the timer), not once per item, which
// on a busy service costs more than the enqueue itself (docs/performance.md,
// "Per request").
type batcher[T any] struct {
	exportFn   func(context.Context, []T) error
	shutdownFn func(context.Context) error
	batch      Batch
	timeout    time.Duration
	stats      *SignalCounters
	logger     *slog.Logger

	// mu guards queue and closed. Once Shutdown sets closed, nothing can
	// be enqueued, so the final drain sees every item that got in.
	mu     sync.Mutex
	queue  []T // at most batch.MaxQueue items
	closed bool

	full  chan struct{} // a batch is ready (capacity 1: one wake-up pending at most)
	flush chan chan struct{}
	stop  chan struct{} // closed by Shutdown
	done  chan struct{} // closed when run returns

	// ctx is cancelled when Shutdown's deadline passes, which aborts the
	// export in flight.
	ctx    context.Context
	cancel context.CancelFunc

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
		queue:      make([]T, 0, min(b.MaxQueue, 1024)),
		full:       make(chan struct{}, 1),
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
// counts it. It wakes the exporting goroutine only when a batch is ready.
func (p *batcher[T]) enqueue(item T) {
	p.mu.Lock()
	if p.closed || len(p.queue) >= p.batch.MaxQueue {
		p.mu.Unlock()
		p.stats.Dropped(1, false)
		return
	}
	p.queue = append(p.queue, item)
	n := len(p.queue)
	p.mu.Unlock()
	p.stats.Enqueued(1)
	if n == p.batch.MaxExport {
		select {
		case p.full <- struct{}{}:
		default: // a wake-up is already pending
		}
	}
}

// take moves up to one batch from the queue into buf and reports whether
// a full batch remains queued.
func (p *batcher[T]) take(buf []T) ([]T, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := min(len(p.queue), p.batch.MaxExport-len(buf))
	buf = append(buf, p.queue[:n]...)
	rest := copy(p.queue, p.queue[n:])
	clear(p.queue[rest:])
	p.queue = p.queue[:rest]
	return buf, rest >= p.batch.MaxExport
}

func (p *batcher[T]) run() {
	defer close(p.done)
	timer := time.NewTimer(p.batch.Delay)
	defer timer.Stop()
	buf := make([]T, 0, p.batch.MaxExport)
	for {
		select {
		case <-p.full:
			// Send full batches while there are any; a part batch waits
			// for the timer.
			for more := true; more; {
				buf, more = p.take(buf)
				if len(buf) < p.batch.MaxExport {
					break
				}
				buf = p.send(buf)
			}
			timer.Reset(p.batch.Delay)
		case <-timer.C:
			buf, _ = p.take(buf)
			buf = p.send(buf)
			timer.Reset(p.batch.Delay)
		case ack := <-p.flush:
			buf = p.drain(buf)
			timer.Reset(p.batch.Delay)
			close(ack)
		case <-p.stop:
			p.drain(buf)
			return
		}
	}
}

// send exports buf, when it holds anything, and returns it empty.
func (p *batcher[T]) send(buf []T) []T {
	if len(buf) > 0 {
		p.export(buf)
		clear(buf)
	}
	return buf[:0]
}

// drain sends everything queued so far, in batches, and returns buf empty.
// Once the processor's context is cancelled it drops instead of sending.
func (p *batcher[T]) drain(buf []T) []T {
	for {
		buf, _ = p.take(buf)
		if len(buf) == 0 {
			return buf
		}
		if p.ctx.Err() != nil {
			p.stats.Dropped(len(buf), true)
			clear(buf)
			buf = buf[:0]
			continue
		}
		buf = p.send(buf)
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
	if err := worker.Flush(ctx, p.flush, p.done); err != nil {
		return fmt.Errorf("flush %s %s: %w", p.stats.backend, p.stats.signal, err)
	}
	return nil
}

// Shutdown sends what is queued, then shuts the exporter down. When ctx is
// done first, the export in flight is abandoned and the rest is dropped.
func (p *batcher[T]) Shutdown(ctx context.Context) error {
	var err error
	p.stopOnce.Do(func() {
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
		if e := worker.Stop(ctx, p.stop, p.done, p.cancel); e != nil {
			err = fmt.Errorf("shutdown %s: %w", p.stats.backend, e)
		}
		p.cancel()
		err = errors.Join(err, p.shutdownFn(ctx))
	})
	return err
}
