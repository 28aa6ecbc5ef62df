package bootstrap

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/otelswitch/otelswitch/exporters"
)

// countingHandler counts the records it handles.
type countingHandler struct {
	slog.Handler
	mu *sync.Mutex
	n  *int
}

func (h countingHandler) Handle(context.Context, slog.Record) error {
	h.mu.Lock()
	*h.n++
	h.mu.Unlock()
	return nil
}

func (h countingHandler) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return *h.n
}

// stoppedQueue is a logQueue whose goroutine has not started, so a test
// decides when records leave it.
func stoppedQueue(size int, drops ...*exporters.SignalCounters) *logQueue {
	return &logQueue{
		queue: make(chan *logEntry, size), kick: make(chan struct{}, 1), flush: make(chan chan struct{}),
		stop: make(chan struct{}), done: make(chan struct{}), drops: drops,
	}
}

func entry(h slog.Handler, msg string) *logEntry {
	e := entryPool.Get().(*logEntry)
	e.h, e.rec, e.ctx = h, slog.NewRecord(time.Now(), slog.LevelInfo, msg, 0), context.Background()
	return e
}

// A full queue drops the record without blocking and counts it for every
// backend behind the queue; Close hands what is queued to the pipeline;
// a record written after Close is dropped and counted too.
func TestLogQueueCountsEveryDrop(t *testing.T) {
	a, b := exporters.NewCounters("a"), exporters.NewCounters("b")
	q := stoppedQueue(4, a.Logs(), b.Logs())
	h := countingHandler{slog.DiscardHandler, &sync.Mutex{}, new(int)}
	for i := range 10 {
		q.put(entry(h, "r"+string(rune('0'+i))))
	}
	if got := a.Snapshot().Logs.Dropped; got != 6 || b.Snapshot().Logs.Dropped != 6 {
		t.Fatalf("dropped %d and %d of 10 written into a queue of 4, want 6 each", got, b.Snapshot().Logs.Dropped)
	}
	go q.run()
	if err := q.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if h.count() != 4 {
		t.Errorf("%d records reached the pipeline, want the 4 queued", h.count())
	}
	q.put(entry(h, "late"))
	if got := a.Snapshot().Logs.Dropped; got != 7 || h.count() != 4 {
		t.Errorf("after Close: dropped %d, handled %d; want 7 and 4", got, h.count())
	}
}

// Past Close's deadline the queue drops what it still holds, counted, and
// Close returns only when the queue's goroutine has finished with every
// record, so the processors shut down after it.
func TestLogQueueCloseAtTheDeadline(t *testing.T) {
	c := exporters.NewCounters("a")
	q := stoppedQueue(8, c.Logs())
	h := countingHandler{slog.DiscardHandler, &sync.Mutex{}, new(int)}
	for range 8 {
		q.put(entry(h, "r"))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	q.abort.Store(true) // as Close does once ctx is done; run has not started
	go q.run()
	_ = q.Close(ctx) // nil or ctx's error: run may finish before Close looks
	if got := c.Snapshot().Logs.Dropped; got != 8 || h.count() != 0 {
		t.Errorf("dropped %d, handled %d of 8 queued past the deadline; want all 8 dropped", got, h.count())
	}
}

// A queue goroutine that went idle is woken by the next record, by put
// itself (not the one-second backstop): put clears idle as it kicks.
func TestLogQueueWakesForALateRecord(t *testing.T) {
	q := newLogQueue(16, nil, nil)
	defer func() { _ = q.Close(context.Background()) }()
	h := countingHandler{slog.DiscardHandler, &sync.Mutex{}, new(int)}
	if !waitFor(5*time.Second, q.idle.Load) {
		t.Fatal("the queue's goroutine never went idle with nothing to do")
	}
	q.put(entry(h, "late"))
	if q.idle.Load() {
		t.Error("put left the idle queue asleep")
	}
	if !waitFor(5*time.Second, func() bool { return h.count() == 1 }) {
		t.Errorf("the record written after the queue went idle was not handled (%d)", h.count())
	}
}

func waitFor(d time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// The memory bound in docs/reliability.md charges a queued record one
// logEntry in the 384-byte size class (plus attributes past slog's five
// inline ones); keep it there.
func TestLogEntrySize(t *testing.T) {
	if n := unsafe.Sizeof(logEntry{}); n > 384 {
		t.Errorf("a logEntry is %d bytes; docs/reliability.md's bound says at most 384", n)
	}
}
