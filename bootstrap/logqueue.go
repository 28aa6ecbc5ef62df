package bootstrap

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/log"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/internal/worker"
)

// Exporting a log record costs more than writing it locally: it must be
// converted to OTLP (by the wire path, or by the slog bridge and the SDK).
// On the request's goroutine that cost was 3 to 4 times the local write
// (see docs/performance.md), so the export handler does only the cheap part
// there: it keeps the slog.Record and the span context in a bounded queue,
// and one goroutine does the conversion and hands the result to the
// backends' processors. A full queue drops the record and counts it as
// dropped by every backend that would have taken it.

// queueTick is how often the queue's goroutine empties the queue while
// records keep coming. Batches leave after OTEL_BLRP_SCHEDULE_DELAY (1 s by
// default), so this adds nothing a reader of the backend would notice; a
// queue half full wakes it at once.
const queueTick = 5 * time.Millisecond

// logEntry is one record waiting: the handler that will convert it (the
// bridge with the logger's attributes and groups), the record and the
// context it was written with, kept for the span it carries (a context's
// values never change, so reading it later reads what the caller had).
// Entries are pooled; the queue holds pointers, so the GC scans only what
// is waiting, not a buffer of records.
type logEntry struct {
	h   slog.Handler
	rec slog.Record
	ctx context.Context
	// with and grouped are the handler's WithAttrs and whether it has a
	// group, for the wire path (logwire.go).
	with    []slog.Attr
	grouped bool
}

var entryPool = sync.Pool{New: func() any { return new(logEntry) }}

// logQueue is the bounded hand-off between the goroutines that log and
// the one that feeds the log pipeline.
type logQueue struct {
	queue chan *logEntry
	kick  chan struct{} // wakes an idle run; capacity 1
	flush chan chan struct{}
	stop  chan struct{} // closed by close
	done  chan struct{} // closed when run returns
	idle  atomic.Bool   // run waits for a kick
	abort atomic.Bool   // close's deadline passed: drop, do not convert

	// closing guards the queue as the batcher's does: once closed is set
	// nothing gets in, so run's last pass sees every entry.
	closing sync.RWMutex
	closed  bool

	drops []*exporters.SignalCounters // every backend behind the queue
	once  sync.Once

	// wire, when set, encodes the records it can and hands them to the
	// backends' processors itself; the others take the bridge.
	wire *wireSinks
}

func newLogQueue(size int, drops []*exporters.SignalCounters, wire *wireSinks) *logQueue {
	q := &logQueue{
		wire:  wire,
		queue: make(chan *logEntry, size),
		kick:  make(chan struct{}, 1),
		flush: make(chan chan struct{}),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
		drops: drops,
	}
	go q.run()
	return q
}

// put queues e without blocking, or drops it and counts the loss.
func (q *logQueue) put(e *logEntry) {
	q.closing.RLock()
	ok := !q.closed
	if ok {
		select {
		case q.queue <- e:
		default:
			ok = false
		}
	}
	q.closing.RUnlock()
	if !ok {
		q.dropped(e)
		return
	}
	// Wake run when it sleeps, or when the queue is half full between
	// two ticks; a CAS keeps it to one wake-up per sleep.
	if q.idle.Load() && q.idle.CompareAndSwap(true, false) || len(q.queue) == cap(q.queue)/2 {
		select {
		case q.kick <- struct{}{}:
		default:
		}
	}
}

func (q *logQueue) dropped(e *logEntry) {
	for _, c := range q.drops {
		c.Dropped(1, false)
	}
	release(e)
}

func release(e *logEntry) {
	*e = logEntry{}
	entryPool.Put(e)
}

// run empties the queue every tick while records come, and sleeps until
// the next one when a tick found none, so an idle service pays nothing.
func (q *logQueue) run() {
	defer close(q.done)
	tick := time.NewTicker(queueTick)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			if q.empty() == 0 {
				tick.Stop()
				q.sleep()
				tick.Reset(queueTick)
			}
		case <-q.kick:
			q.empty()
		case ack := <-q.flush:
			q.empty()
			close(ack)
		case <-q.stop:
			q.empty()
			return
		}
	}
}

// sleep marks run idle and, unless a record slipped in meanwhile, waits
// for a kick, a flush or the stop. put kicks after it queues and sees
// idle set; sleep sets idle before it looks at the queue, so one of the two
// sees the other. The timer is a backstop all the same: a record never
// waits longer than a batch delay's default for the queue's goroutine.
func (q *logQueue) sleep() {
	q.idle.Store(true)
	if len(q.queue) > 0 && q.idle.CompareAndSwap(true, false) {
		return
	}
	backstop := time.NewTimer(time.Second)
	defer backstop.Stop()
	select {
	case <-q.kick:
	case <-backstop.C:
	case ack := <-q.flush:
		q.empty()
		close(ack)
	case <-q.stop:
	}
	q.idle.Store(false)
	q.empty()
}

// empty hands every queued record to the pipeline and returns how many.
func (q *logQueue) empty() int {
	for n := 0; ; n++ {
		select {
		case e := <-q.queue:
			q.emit(e)
		default:
			return n
		}
	}
}

func (q *logQueue) emit(e *logEntry) {
	if q.abort.Load() {
		q.dropped(e)
		return
	}
	if q.wire == nil || e.grouped || !q.wire.emit(e) {
		_ = e.h.Handle(e.ctx, e.rec) // the bridge returns no error
	}
	release(e)
}

// Flush hands every record queued so far to the pipeline, or gives up
// when ctx is done.
func (q *logQueue) Flush(ctx context.Context) error {
	if err := worker.Flush(ctx, q.flush, q.done); err != nil {
		return fmt.Errorf("flush the log queue: %w", err)
	}
	return nil
}

// Close stops the queue: what is queued goes to the pipeline, or, once ctx
// is done, is dropped and counted. It returns when run has finished, so
// every record is accounted for before the processors shut down.
func (q *logQueue) Close(ctx context.Context) error {
	var err error
	q.once.Do(func() {
		q.closing.Lock()
		q.closed = true
		q.closing.Unlock()
		abandon := func() {
			q.abort.Store(true)
			<-q.done // dropping is only counting: quick
		}
		if e := worker.Stop(ctx, q.stop, q.done, abandon); e != nil {
			err = fmt.Errorf("shut the log queue down: %w", e)
		}
	})
	return err
}

// queuedHandler is the export handler in front of a logQueue: Handle keeps
// the record for the queue's goroutine, which encodes it itself (the wire
// path, logwire.go) or runs next (the bridge).
type queuedHandler struct {
	next    slog.Handler
	q       *logQueue
	with    []slog.Attr // WithAttrs's, while there is no group
	grouped bool
}

func (h queuedHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

// Handle queues r, unless one of its values could change after Handle
// returns (a slog.KindAny value such as a map or a pointer, or a
// LogValuer, which slog resolves when the record is handled): those are
// converted here, on the caller's goroutine, as before.
func (h queuedHandler) Handle(ctx context.Context, r slog.Record) error {
	if !deferrable(r) {
		return h.next.Handle(ctx, r)
	}
	e := entryPool.Get().(*logEntry)
	e.h, e.rec, e.ctx, e.with, e.grouped = h.next, r.Clone(), ctx, h.with, h.grouped
	h.q.put(e)
	return nil
}

// WithAttrs keeps attrs for the wire path too (a new slice: handlers
// derived from h share its). Past a group the wire path is not taken.
func (h queuedHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	with := h.with
	if !h.grouped {
		with = slices.Concat(h.with, attrs)
	}
	return queuedHandler{h.next.WithAttrs(attrs), h.q, with, h.grouped}
}

func (h queuedHandler) WithGroup(name string) slog.Handler {
	return queuedHandler{h.next.WithGroup(name), h.q, nil, true}
}

// deferrable reports whether every value of r is a copy the caller cannot
// change: strings, numbers, booleans, times, durations and groups of them.
func deferrable(r slog.Record) bool {
	ok := true
	r.Attrs(func(a slog.Attr) bool {
		ok = immutable(a.Value)
		return ok
	})
	return ok
}

func immutable(v slog.Value) bool {
	switch v.Kind() {
	case slog.KindAny, slog.KindLogValuer:
		return false
	case slog.KindGroup:
		for _, a := range v.Group() {
			if !immutable(a.Value) {
				return false
			}
		}
	}
	return true
}

// queuedProvider is the LoggerProvider when every backend's log processor
// only queues (exporters.Deferrable): Logger is the fan-out's, and
// exportHandler puts the queue in front of the bridge.
type queuedProvider struct {
	log.LoggerProvider
	q *logQueue
}
