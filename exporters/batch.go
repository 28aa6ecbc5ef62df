package exporters

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// NewBatchProcessor returns a span processor that queues ended, sampled spans
// and sends them to exp in batches from one goroutine, like the SDK's batch
// processor, but counts every span it cannot deliver in stats: OnEnd never
// blocks, and a full queue drops the span and says so.
//
// Each export is bounded by exportTimeout. Shutdown sends what is queued
// until its context is done; what is left then is dropped and counted.
func NewBatchProcessor(exp sdktrace.SpanExporter, b Batch, exportTimeout time.Duration, stats *Counters, logger *slog.Logger) sdktrace.SpanProcessor {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &batchProcessor{
		exporter: exp,
		batch:    b,
		timeout:  exportTimeout,
		stats:    stats,
		logger:   logger,
		queue:    make(chan sdktrace.ReadOnlySpan, b.MaxQueue),
		flush:    make(chan chan struct{}),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
		ctx:      ctx,
		cancel:   cancel,
	}
	go p.run()
	return p
}

type batchProcessor struct {
	exporter sdktrace.SpanExporter
	batch    Batch
	timeout  time.Duration
	stats    *Counters
	logger   *slog.Logger

	queue chan sdktrace.ReadOnlySpan
	flush chan chan struct{}
	stop  chan struct{} // closed by Shutdown
	done  chan struct{} // closed when run returns

	// ctx is cancelled when Shutdown's deadline passes, which aborts the
	// export in flight.
	ctx    context.Context
	cancel context.CancelFunc

	// closing guards the queue: once Shutdown sets closed, no OnEnd can
	// enqueue, so the final drain sees every span that got in.
	closing sync.RWMutex
	closed  bool

	stopOnce sync.Once
	failing  bool // run's view: the last export failed (for logging once)
}

func (p *batchProcessor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

func (p *batchProcessor) OnEnd(s sdktrace.ReadOnlySpan) {
	if !s.SpanContext().IsSampled() {
		return
	}
	p.closing.RLock()
	defer p.closing.RUnlock()
	if p.closed {
		p.stats.Dropped(1, false)
		return
	}
	select {
	case p.queue <- s:
		p.stats.Enqueued(1)
	default:
		p.stats.Dropped(1, false)
	}
}

func (p *batchProcessor) run() {
	defer close(p.done)
	timer := time.NewTimer(p.batch.Delay)
	defer timer.Stop()
	buf := make([]sdktrace.ReadOnlySpan, 0, p.batch.MaxExport)
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
func (p *batchProcessor) drain(buf []sdktrace.ReadOnlySpan) []sdktrace.ReadOnlySpan {
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

func (p *batchProcessor) export(spans []sdktrace.ReadOnlySpan) {
	ctx, cancel := context.WithTimeout(p.ctx, p.timeout)
	defer cancel()
	start := time.Now()
	err := p.exporter.ExportSpans(ctx, spans)
	p.stats.Exported(len(spans), time.Since(start), err)
	// Say so when a backend starts and stops failing, not on every batch.
	switch {
	case err != nil && !p.failing:
		p.failing = true
		p.logger.Warn("telemetry export failing; spans are being dropped",
			"backend", p.stats.backend, "spans", len(spans), "error", err.Error())
	case err == nil && p.failing:
		p.failing = false
		p.logger.Info("telemetry export recovered", "backend", p.stats.backend)
	}
}

// ForceFlush sends everything queued and waits for it, or for ctx.
func (p *batchProcessor) ForceFlush(ctx context.Context) error {
	ack := make(chan struct{})
	select {
	case p.flush <- ack:
	case <-p.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("flush %s: %w", p.stats.backend, ctx.Err())
	}
	select {
	case <-ack:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("flush %s: %w", p.stats.backend, ctx.Err())
	}
}

// Shutdown sends what is queued, then shuts the exporter down. When ctx is
// done first, the export in flight is abandoned and the rest is dropped.
func (p *batchProcessor) Shutdown(ctx context.Context) error {
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
		err = errors.Join(err, p.exporter.Shutdown(ctx))
	})
	return err
}
