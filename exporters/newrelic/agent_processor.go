package newrelic

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	nr "github.com/newrelic/go-agent/v3/newrelic"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

const (
	// maxLive bounds the spans mirrored at once; beyond it (spans that are
	// never ended, usually) new spans are not mirrored and count as dropped.
	maxLive = 1 << 17
	// maxTxnSpanEvents is how many segment span events the agent keeps for
	// one transaction (its internal.MaxSpanEvents); it drops the rest
	// without a word, so they are counted as dropped here.
	maxTxnSpanEvents = 2000
	// connectPoll is how often the processor looks whether the agent has
	// connected; once it has, connectedPoll.
	connectPoll   = 50 * time.Millisecond
	connectedPoll = time.Second
	// shutdownNoDeadline bounds the agent's final harvest when Shutdown's
	// context has no deadline.
	shutdownNoDeadline = time.Minute
	// shutdownGrace is how long past Shutdown's deadline the agent's own
	// Shutdown may run on in the background; the posts it makes then are
	// aborted at the deadline, so it ends soon after.
	shutdownGrace = time.Second
)

// agentProcessor mirrors sampled spans into the New Relic Go agent: a local
// root span becomes a transaction, started in OnStart, and each span under
// it a segment of that transaction, started in OnStart and ended in OnEnd.
// The agent then computes New Relic's metrics, transaction and error events,
// transaction traces and span events, and harvests them itself.
//
// The agent reads the clock itself: a transaction or segment starts when
// OnStart runs and ends when OnEnd runs, which is when the span starts and
// ends unless the application gave explicit timestamps.
type agentProcessor struct {
	attrs  customAttributes
	app    *nr.Application
	acct   *agentAccounting
	logger *slog.Logger
	// cancel aborts the agent's posts; called once Shutdown is over.
	cancel context.CancelFunc
	// serverless, when set, receives the harvest at ForceFlush and Shutdown
	// (the agent's serverless mode, for tests).
	serverless io.Writer

	connected atomic.Bool
	stopping  atomic.Bool
	stop      chan struct{}
	stopOnce  sync.Once

	live  sync.Map // trace.SpanID -> *agentSpan
	nlive atomic.Int64

	// ready counts spans of ended, sampled transactions that serverless mode
	// has not written yet.
	writeMu sync.Mutex
	ready   int
}

// agentTxn is one transaction: a local root span and the spans under it.
type agentTxn struct {
	mu      sync.Mutex
	txn     *nr.Transaction
	sampled bool // the agent keeps span events for it
	ended   bool
	// threads are the agent's segment stacks; threads[0] is the
	// transaction's own. A segment's parent in New Relic is the segment
	// below it on its thread, or the transaction.
	threads []*agentThread
	spans   []*agentSpan
	// events counts the segment span events the agent keeps, handed the
	// spans handed over (for serverless mode).
	events int
	handed int
}

type agentThread struct {
	t     *nr.Transaction
	stack []*agentSpan
}

// agentSpan is one mirrored span.
type agentSpan struct {
	span   sdktrace.ReadOnlySpan // live until it ends
	txn    *agentTxn
	root   bool
	thread *agentThread
	start  nr.SegmentStartTime
	// closed: ended in the agent, by OnEnd or with its parent. otelEnded:
	// OnEnd has run. Both are guarded by txn.mu.
	closed    bool
	otelEnded bool
}

func newAgentProcessor(app *nr.Application, ca customAttributes, acct *agentAccounting, logger *slog.Logger, cancel context.CancelFunc, serverless io.Writer) *agentProcessor {
	p := &agentProcessor{
		attrs:      ca,
		app:        app,
		acct:       acct,
		logger:     logger,
		cancel:     cancel,
		serverless: serverless,
		stop:       make(chan struct{}),
	}
	if serverless != nil {
		// Serverless mode never connects: it is ready at once.
		p.connected.Store(true)
	} else {
		go p.watch()
	}
	return p
}

// watch follows whether the agent is connected: it drops what it records
// before it has connected (and while it reconnects), so spans are not
// mirrored then. It never waits on the caller's goroutine.
func (p *agentProcessor) watch() {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-timer.C:
		}
		now := p.app.WaitForConnection(0) == nil
		switch was := p.connected.Swap(now); {
		case now && !was:
			p.logger.Info("newrelic agent connected", "backend", Name)
		case !now && was:
			p.logger.Warn("newrelic agent disconnected; spans are dropped until it reconnects", "backend", Name)
		}
		if now {
			timer.Reset(connectedPoll)
		} else {
			timer.Reset(connectPoll)
		}
	}
}

// OnStart implements sdktrace.SpanProcessor.
func (p *agentProcessor) OnStart(_ context.Context, s sdktrace.ReadWriteSpan) {
	sc := s.SpanContext()
	if !sc.IsSampled() || p.stopping.Load() || p.nlive.Load() >= maxLive {
		return
	}
	parent := s.Parent()
	if parent.IsValid() && !parent.IsRemote() && parent.TraceID() == sc.TraceID() {
		if v, ok := p.live.Load(parent.SpanID()); ok {
			if m := p.startSegment(v.(*agentSpan), s); m != nil {
				p.remember(sc.SpanID(), m)
				return
			}
		}
	}
	// A root, a span with a remote parent, or one whose parent is not (or no
	// longer) mirrored: a transaction of its own.
	if !p.connected.Load() {
		return
	}
	p.remember(sc.SpanID(), p.startTxn(s, parent))
}

func (p *agentProcessor) remember(id trace.SpanID, m *agentSpan) {
	p.live.Store(id, m)
	p.nlive.Add(1)
}

func (p *agentProcessor) forget(id trace.SpanID) {
	if _, ok := p.live.LoadAndDelete(id); ok {
		p.nlive.Add(-1)
	}
}

// startTxn starts the transaction of a local root span. It accepts the
// span's trace context as distributed trace headers, so the transaction
// carries the OTel trace ID.
func (p *agentProcessor) startTxn(s sdktrace.ReadWriteSpan, parent trace.SpanContext) *agentSpan {
	txn := p.app.StartTransaction(s.Name())
	hdrs := traceHeaders(s, parent)
	if s.SpanKind() == trace.SpanKindServer {
		txn.SetWebRequest(webRequest(s, hdrs))
	} else {
		txn.AcceptDistributedTraceHeaders(transportOf(s), hdrs)
	}
	main := &agentThread{t: txn}
	lt := &agentTxn{txn: txn, sampled: txn.IsSampled(), threads: []*agentThread{main}}
	m := &agentSpan{span: s, txn: lt, root: true, thread: main}
	lt.spans = append(lt.spans, m)
	return m
}

// startSegment starts the segment of a span under pm. It nests on pm's
// thread when pm is that thread's innermost open segment (or the
// transaction, with no segment open); otherwise, for a span that runs
// beside a sibling or whose parent has ended, it starts on an idle thread,
// where New Relic shows it under the transaction. It returns nil when pm's
// transaction has ended.
func (p *agentProcessor) startSegment(pm *agentSpan, s sdktrace.ReadWriteSpan) *agentSpan {
	lt := pm.txn
	lt.mu.Lock()
	defer lt.mu.Unlock()
	if lt.ended {
		return nil
	}
	th := pm.thread
	onTop := !pm.closed && ((pm.root && len(th.stack) == 0) || (len(th.stack) > 0 && th.stack[len(th.stack)-1] == pm))
	if !onTop {
		th = lt.idleThread()
	}
	m := &agentSpan{span: s, txn: lt, thread: th, start: th.t.StartSegmentNow()}
	th.stack = append(th.stack, m)
	lt.spans = append(lt.spans, m)
	return m
}

// idleThread returns a thread with no open segment, a new one when there is
// none.
func (lt *agentTxn) idleThread() *agentThread {
	for _, th := range lt.threads {
		if len(th.stack) == 0 {
			return th
		}
	}
	th := &agentThread{t: lt.txn.NewGoroutine()}
	lt.threads = append(lt.threads, th)
	return th
}

// OnEnd implements sdktrace.SpanProcessor.
func (p *agentProcessor) OnEnd(s sdktrace.ReadOnlySpan) {
	sc := s.SpanContext()
	if !sc.IsSampled() {
		return
	}
	v, ok := p.live.Load(sc.SpanID())
	if !ok {
		// Not mirrored: the agent was not connected when its transaction
		// would have started, Shutdown had begun, or maxLive was reached.
		p.acct.lost(1)
		return
	}
	m := v.(*agentSpan)
	lt := m.txn
	lt.mu.Lock()
	defer lt.mu.Unlock()
	m.otelEnded = true
	switch {
	case m.closed:
		// Ended with its parent, and counted then.
		p.forget(sc.SpanID())
	case p.stopping.Load():
		// The agent takes nothing once it is shutting down.
		m.closed = true
		p.acct.lost(1)
		p.forget(sc.SpanID())
	case m.root:
		p.endTxn(lt, s)
	default:
		p.endSegmentOf(m, s)
	}
}

// endSegmentOf ends m's segment with s, its ended span. Segments still
// open above it on its thread (children that outlive their parent) are
// ended first, as they are then: the agent's segments nest strictly.
func (p *agentProcessor) endSegmentOf(m *agentSpan, s sdktrace.ReadOnlySpan) {
	th := m.thread
	i := slices.Index(th.stack, m)
	if i < 0 {
		return
	}
	for j := len(th.stack) - 1; j > i; j-- {
		p.closeSegment(th.stack[j], th.stack[j].span)
	}
	p.closeSegment(m, s)
	th.stack = th.stack[:i]
}

// closeSegment ends the innermost open segment of its thread, m, as s
// describes it, and counts it.
func (p *agentProcessor) closeSegment(m *agentSpan, s sdktrace.ReadOnlySpan) {
	endSegment(m.thread.t, m.start, s, p.attrs)
	m.closed = true
	lt := m.txn
	if lt.sampled && lt.events < maxTxnSpanEvents {
		lt.events++
		lt.handed++
		p.acct.handed(1)
	} else {
		p.acct.lost(1)
	}
}

// endTxn ends the transaction with its root span s. Segments still open
// are ended first; the agent would drop them.
func (p *agentProcessor) endTxn(lt *agentTxn, s sdktrace.ReadOnlySpan) {
	for _, th := range lt.threads {
		for j := len(th.stack) - 1; j >= 0; j-- {
			p.closeSegment(th.stack[j], th.stack[j].span)
		}
		th.stack = nil
	}
	finishTransaction(lt.txn, s, p.attrs)
	lt.ended = true
	for _, m := range lt.spans {
		if m.root {
			m.closed = true
		}
		if m.otelEnded {
			p.forget(m.span.SpanContext().SpanID())
		}
		// Spans ended with the transaction but still running in OTel stay
		// remembered until their OnEnd, which must not count them again.
	}
	lt.spans = nil
	if lt.sampled {
		lt.handed++
		p.acct.handed(1)
		if p.serverless != nil {
			p.writeMu.Lock()
			p.ready += lt.handed
			p.writeMu.Unlock()
		}
	} else {
		p.acct.lost(1)
	}
}

// ForceFlush implements sdktrace.SpanProcessor. The Go agent has no flush:
// it harvests on its own schedule and at Shutdown, so ForceFlush returns at
// once. In serverless mode it writes the harvest.
func (p *agentProcessor) ForceFlush(context.Context) error {
	if p.serverless != nil && !p.stopping.Load() {
		p.writeServerless()
	}
	return nil
}

// writeServerless writes what the agent holds to the serverless writer.
func (p *agentProcessor) writeServerless() {
	w, ok := p.app.Private.(interface{ ServerlessWrite(string, io.Writer) })
	if !ok {
		return
	}
	p.writeMu.Lock()
	defer p.writeMu.Unlock()
	start := time.Now()
	w.ServerlessWrite("", p.serverless)
	p.acct.written(p.ready, time.Since(start))
	p.ready = 0
}

// Shutdown implements sdktrace.SpanProcessor. It shuts the agent down,
// which harvests what it holds, and waits for that until ctx's deadline;
// then it aborts what is still being sent and counts every span not
// delivered by then as dropped. Spans that end once Shutdown has begun are
// dropped: the agent takes no data while it shuts down.
func (p *agentProcessor) Shutdown(ctx context.Context) error {
	var err error
	p.stopOnce.Do(func() {
		p.stopping.Store(true)
		close(p.stop)
		if p.serverless != nil {
			p.writeServerless()
		} else {
			// The agent's own bound is set past ctx's deadline, so that
			// done means its final harvest is over; ctx bounds the wait.
			timeout := shutdownNoDeadline
			if dl, ok := ctx.Deadline(); ok {
				timeout = max(time.Until(dl), 0) + shutdownGrace
			}
			done := make(chan struct{})
			go func() {
				defer close(done)
				p.app.Shutdown(timeout)
			}()
			select {
			case <-done:
			case <-ctx.Done():
				err = fmt.Errorf("shutdown %s: %w", Name, ctx.Err())
			}
		}
		p.cancel()
		p.acct.settle()
	})
	return err
}
