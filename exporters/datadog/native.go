package datadog

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/DataDog/dd-trace-go/v2/ddtrace/ext"
	"github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/internal/worker"
)

// ErrTracerInUse is returned when native mode is asked for while
// another Telemetry in the process still runs it: dd-trace-go's tracer is
// process-wide, so two could not keep their spans apart.
var ErrTracerInUse = errors.New("datadog: native mode is already running in this process (dd-trace-go's tracer is process-wide); shut the other Telemetry down first, or use DATADOG_MODE=otlp")

// maxLive bounds the spans mirrored at once. dd-trace-go keeps at most 100
// 000 spans of one trace; beyond this many open spans (spans that were never
// ended, usually) new spans are mirrored when they end instead, each on its
// own.
const maxLive = 1 << 17

// owner serialises dd-trace-go's process-wide tracer between native
// backends: one runs at a time, and the next starts dd-trace-go only once
// the previous one has stopped it, so a late tracer.Stop can never stop a
// newer tracer.
var owner struct {
	mu     sync.Mutex
	active *nativeProcessor
	// stopped is closed when the most recent backend's tracer has stopped.
	stopped <-chan struct{}
}

// nativeProcessor mirrors every sampled span into dd-trace-go: it starts a
// dd-trace-go span in OnStart, with the OTel span's trace ID, span ID,
// parent and start time, and finishes it in OnEnd with the Datadog mapping
// of the span's name, attributes, events, links and status. dd-trace-go
// then groups the spans into traces, marks local roots and top-level spans,
// and sends them as it would its own.
type nativeProcessor struct {
	stats  *exporters.Counters
	logger *slog.Logger
	opts   []tracer.StartOption

	// wire, when set, sends the spans itself (wireencode.go, wiresend.go):
	// dd-trace-go is then off the span path, and runs beside it for what
	// it still does: runtime metrics and its own health metrics through
	// DogStatsD.
	wire     *wireSender
	wireCfg  *wireConfig
	ddFailed bool // tracer.Start failed in the wire path

	ready    atomic.Bool // tracer.Start has returned and the tracer is ours
	failed   atomic.Bool // tracer.Start failed or never ran: spans are dropped
	stopping atomic.Bool // Shutdown has begun: nothing more goes to dd-trace-go
	started  chan struct{}
	stopReq  chan struct{}
	abandon  chan struct{} // closed when Shutdown's deadline passes
	done     chan struct{} // closed once tracer.Stop has returned, or Start never ran
	stopOnce sync.Once
	startErr error // set before started is closed

	live  liveSpans // until its local trace completes
	nlive atomic.Int64

	// rules and holds are set when the Datadog sampling variables decide
	// (otelSampler): the local traces they decided are held until their
	// root ends, then mirrored with the root's final decision (release).
	rules *otelSampler
	holds *holds

	// pending holds spans that ended before dd-trace-go had started, at most
	// maxPending; they are mirrored once it has.
	pendingMu  sync.Mutex
	pending    []sdktrace.ReadOnlySpan
	maxPending int

	// Accounting. Every span handed over is counted as queued (Enqueued).
	// The transport counts each payload the Agent answers as exported or
	// dropped. Whatever is still queued once dd-trace-go has stopped, or
	// when Shutdown's deadline passes, is dropped.
	acctMu    sync.Mutex
	final     bool
	completed atomic.Int64 // spans in local traces that have completed, which dd-trace-go can send
	resolved  atomic.Int64 // spans in payloads with a final outcome
	inflight  atomic.Int64 // payloads being sent
	failing   bool

	sendStop, sendDone chan struct{} // the wire sender's
}

// mirrored is one OTel span's record while its local trace is open: its
// dd-trace-go span in the mirroring path, its index among the local
// trace's records in the wire path.
type mirrored struct {
	dd    *tracer.Span
	local *localTrace
	idx   int
}

// localTrace is the part of a trace that runs in this process, sent as one
// chunk once every span in it has finished.
type localTrace struct {
	mu       sync.Mutex
	open     int
	finished int
	ids      []trace.SpanID
	recs     []wireRecord // wire path: the spans in start order
	wire     bool
	final    Decision // wire path: the root's final decision, when hasFinal
	hasFinal bool

	// The first spans' records live in the local trace itself: a request's
	// few spans cost one allocation, not one per span and slice.
	idsBuf  [localSpans]trace.SpanID
	recsBuf [localSpans]wireRecord
	msBuf   [localSpans]mirrored
	nms     int
	spent   bool // a chunk was sent: the inline records are the sender's
}

// localSpans is how many spans' records a localTrace holds inline.
const localSpans = 2

// add records a started span and returns its record.
func (lt *localTrace) add(id trace.SpanID) *mirrored {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	lt.open++
	if lt.ids == nil && !lt.spent {
		lt.ids, lt.recs = lt.idsBuf[:0], lt.recsBuf[:0]
	}
	lt.ids = append(lt.ids, id)
	if lt.wire {
		lt.recs = append(lt.recs, wireRecord{})
	}
	var m *mirrored
	if lt.nms < localSpans {
		m = &lt.msBuf[lt.nms]
		lt.nms++
	} else {
		m = &mirrored{}
	}
	m.local, m.idx = lt, len(lt.ids)-1
	return m
}

// finish records the span at idx as finished (s, in the wire path); when
// it was the last open one, it returns the size of the chunk now sent, the
// spans to forget and, in the wire path, the chunk's records.
func (lt *localTrace) finish(idx int, s sdktrace.ReadOnlySpan) (chunk int, ids []trace.SpanID, recs []wireRecord) {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	if lt.wire {
		lt.recs[idx].span = s
	}
	lt.open--
	lt.finished++
	if lt.open > 0 {
		return 0, nil, nil
	}
	chunk, ids, recs = lt.finished, lt.ids, lt.recs
	lt.finished, lt.ids, lt.recs, lt.spent = 0, nil, nil, true
	return chunk, ids, recs
}

func newNativeProcessor(s exporters.Settings, stats *exporters.Counters) *nativeProcessor {
	logger := s.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &nativeProcessor{
		stats:      stats,
		logger:     logger,
		started:    make(chan struct{}),
		stopReq:    make(chan struct{}),
		abandon:    make(chan struct{}),
		done:       make(chan struct{}),
		maxPending: max(s.Batch.MaxQueue, 1),
	}
}

// launch takes dd-trace-go's process-wide tracer and starts it with opts in
// the background. It fails with ErrTracerInUse while another backend holds
// the tracer.
func (p *nativeProcessor) launch(opts []tracer.StartOption) error {
	p.opts = append(opts, tracer.WithLogger(ddLogger{p.logger}))
	owner.mu.Lock()
	if owner.active != nil {
		owner.mu.Unlock()
		return ErrTracerInUse
	}
	prev := owner.stopped
	owner.active, owner.stopped = p, p.done
	owner.mu.Unlock()

	go p.run(prev)
	return nil
}

// run starts dd-trace-go away from the caller's goroutine (tracer.Start
// waits on the Agent's /info), and stops it when Shutdown asks.
func (p *nativeProcessor) run(prev <-chan struct{}) {
	defer close(p.done)
	// A Shutdown that comes before dd-trace-go has started still has spans
	// to deliver when some ended meanwhile: start, send them, stop. Only
	// with nothing pending, or once Shutdown's deadline has passed, is the
	// start skipped.
	giveUp := func() bool {
		select {
		case <-p.abandon:
			return true
		case <-p.stopReq:
			return !p.hasPending()
		default:
			return false
		}
	}
	if prev != nil {
		select {
		case <-prev:
		case <-p.abandon:
		case <-p.stopReq:
			if p.hasPending() {
				select {
				case <-prev:
				case <-p.abandon:
				}
			}
		}
	}
	if giveUp() {
		p.startErr = errors.New("shut down before dd-trace-go started")
		p.fail()
		close(p.started)
		return
	}
	if err := p.begin(); err != nil {
		p.startErr = err
		p.fail()
		close(p.started)
		p.logger.Warn("datadog: dd-trace-go did not start; spans are being dropped", "error", err.Error())
		return
	}
	p.ready.Store(true)
	p.replayPending()
	close(p.started)
	<-p.stopReq
	p.end()
}

// begin starts what sends the spans: dd-trace-go in the mirroring path;
// in the wire path the sender, after asking the Agent's /info what it
// takes, then dd-trace-go for its metrics (a failure there leaves the
// spans flowing).
func (p *nativeProcessor) begin() error {
	if p.wire == nil {
		return tracer.Start(p.opts...)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.sendStop, p.sendDone = make(chan struct{}), make(chan struct{})
	go func() {
		defer cancel()
		select {
		case <-p.abandon: // Shutdown gave up: end the send in flight
		case <-p.sendDone:
		}
	}()
	p.wire.probe(ctx)
	go func() {
		defer close(p.sendDone)
		p.wire.run(ctx, p.sendStop)
	}()
	if err := tracer.Start(p.opts...); err != nil {
		p.ddFailed = true
		p.logger.Warn("datadog: dd-trace-go did not start; no runtime metrics", "error", err.Error())
	}
	return nil
}

// end stops what begin started; the sender sends what is queued first.
func (p *nativeProcessor) end() {
	if p.wire != nil {
		close(p.sendStop)
		<-p.sendDone
	}
	if !p.ddFailed {
		tracer.Stop()
	}
}

func (p *nativeProcessor) hasPending() bool {
	p.pendingMu.Lock()
	defer p.pendingMu.Unlock()
	return len(p.pending) > 0
}

// OnStart implements sdktrace.SpanProcessor.
func (p *nativeProcessor) OnStart(_ context.Context, s sdktrace.ReadWriteSpan) {
	if p.holds.start(s) {
		return // mirrored when its root ends
	}
	if !s.SpanContext().IsSampled() || !p.ready.Load() || p.stopping.Load() || p.nlive.Load() >= maxLive {
		return
	}
	p.start(s, nil, nil)
}

// start begins s's dd-trace-go span. extra, when set, is searched for the
// parent before the live spans (replayed spans' parents are there). final,
// when set, is the decision a root s was finally given (release).
func (p *nativeProcessor) start(s sdktrace.ReadOnlySpan, extra map[trace.SpanID]*mirrored, final *Decision) *mirrored {
	pm := p.parentOf(s, extra)
	id := s.SpanContext().SpanID()
	var m *mirrored
	if p.wire != nil {
		m = p.wireStart(s, pm, final)
	} else if m = mirrorStart(s, pm, final); m == nil {
		return nil // tracing disabled in dd-trace-go
	}
	if extra != nil {
		extra[id] = m
	} else {
		p.live.store(id, m)
		p.nlive.Add(1)
	}
	return m
}

// mirrorStart starts s's dd-trace-go span under its mirrored parent pm,
// else in a new local trace (chunkContext).
func mirrorStart(s sdktrace.ReadOnlySpan, pm *mirrored, final *Decision) *mirrored {
	sid := s.SpanContext().SpanID()
	cfg := tracer.StartSpanConfig{
		SpanID:    binary.BigEndian.Uint64(sid[:]),
		StartTime: s.StartTime(),
	}
	local := &localTrace{}
	if pm != nil {
		cfg.Parent, local = pm.dd.Context(), pm.local
	} else {
		cfg.Parent = tracer.FromGenericCtx(chunkContext(s, final))
	}
	if svc := attrs(s.Attributes()).str(tagServiceName); svc != "" {
		// dd-trace-go decides top-level spans when they start, by service.
		cfg.Tags = map[string]any{ext.ServiceName: svc}
	}
	// The operation name is set when the span ends, from its final
	// attributes.
	dd := tracer.StartSpan(s.Name(), tracer.WithStartSpanConfig(&cfg))
	if dd == nil {
		return nil
	}
	m := local.add(s.SpanContext().SpanID())
	m.dd = dd
	return m
}

// wireStart records s in its parent's local trace, or, without pm, in a
// new one with final as its decision when set. What dd-trace-go decides
// when a span starts (its service, whether it is top-level) is worked out
// when the chunk is encoded (wireEncoder.services), from the final
// attributes.
func (p *nativeProcessor) wireStart(s sdktrace.ReadOnlySpan, pm *mirrored, final *Decision) *mirrored {
	id := s.SpanContext().SpanID()
	if pm != nil {
		return pm.local.add(id)
	}
	lt := &localTrace{wire: true}
	if final != nil {
		lt.final, lt.hasFinal = *final, true
	}
	return lt.add(id)
}

// parentOf returns the record of s's parent when the parent is mirrored
// (s joins its local trace), else nil: s starts a new local trace, as
// dd-trace-go starts one for a context it extracted from headers (a root,
// a remote parent, or a local one that is not mirrored).
func (p *nativeProcessor) parentOf(s sdktrace.ReadOnlySpan, extra map[trace.SpanID]*mirrored) *mirrored {
	sc, parent := s.SpanContext(), s.Parent()
	if parent.IsValid() && !parent.IsRemote() && parent.TraceID() == sc.TraceID() {
		pm := extra[parent.SpanID()]
		if pm == nil {
			pm = p.live.load(parent.SpanID())
		}
		return pm
	}
	return nil
}

// chunkContext is the context a local trace starting with s starts under:
// the OTel trace ID and sampling decision (final, when set, replacing it).
func chunkContext(s sdktrace.ReadOnlySpan, final *Decision) *parentContext {
	pc := &parentContext{}
	pc.setChunk(s, final)
	return pc
}

// setChunk makes c chunkContext(s, final) in place.
func (c *parentContext) setChunk(s sdktrace.ReadOnlySpan, final *Decision) {
	c.set(s.SpanContext(), s.Parent())
	if final != nil {
		c.decide(*final)
	}
}

// OnEnd implements sdktrace.SpanProcessor.
func (p *nativeProcessor) OnEnd(s sdktrace.ReadOnlySpan) {
	if spans, held, full := p.holds.end(s); held {
		if full && s.SpanContext().IsSampled() {
			p.stats.Dropped(1, false)
		}
		if spans != nil {
			p.release(spans)
		}
		return
	}
	if !s.SpanContext().IsSampled() {
		return
	}
	if p.stopping.Load() || p.failed.Load() {
		p.stats.Dropped(1, false)
		return
	}
	var m *mirrored
	if m = p.live.load(s.SpanContext().SpanID()); m == nil {
		if !p.ready.Load() && p.addPending(s) {
			return
		}
		// Started before dd-trace-go was ready, or beyond maxLive.
		if m = p.start(s, nil, nil); m == nil {
			p.stats.Dropped(1, false)
			return
		}
	}
	p.stats.Enqueued(1)
	p.finish(m, s)
}

// fail drops the pending spans: dd-trace-go will not send them.
func (p *nativeProcessor) fail() {
	p.pendingMu.Lock()
	defer p.pendingMu.Unlock()
	p.failed.Store(true)
	if n := len(p.pending); n > 0 {
		p.stats.Dropped(n, true)
	}
	p.pending = nil
}

// addPending keeps s until dd-trace-go has started. It returns false when
// dd-trace-go became ready meanwhile, so the caller mirrors s itself.
func (p *nativeProcessor) addPending(s sdktrace.ReadOnlySpan) bool {
	p.pendingMu.Lock()
	defer p.pendingMu.Unlock()
	if p.ready.Load() {
		return false
	}
	if p.failed.Load() || len(p.pending) >= p.maxPending {
		p.stats.Dropped(1, false)
		return true
	}
	p.pending = append(p.pending, s)
	p.stats.Enqueued(1)
	return true
}

// replayPending mirrors the spans that ended while dd-trace-go was starting.
func (p *nativeProcessor) replayPending() {
	p.pendingMu.Lock()
	spans := p.pending
	p.pending = nil
	p.pendingMu.Unlock()
	p.mirrorEnded(spans, nil)
}

// mirrorEnded mirrors spans that have all ended: started in start order, so
// parents come first and share their local trace with their children, then
// finished in end order. A root among them starts with final, when set.
func (p *nativeProcessor) mirrorEnded(spans []sdktrace.ReadOnlySpan, final *Decision) {
	if len(spans) == 0 {
		return
	}
	slices.SortStableFunc(spans, func(a, b sdktrace.ReadOnlySpan) int { return a.StartTime().Compare(b.StartTime()) })
	started := make(map[trace.SpanID]*mirrored, len(spans))
	ms := make([]*mirrored, len(spans))
	for i, s := range spans {
		ms[i] = p.start(s, started, final)
	}
	order := make([]int, len(spans))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return spans[a].EndTime().Compare(spans[b].EndTime()) })
	for _, i := range order {
		if ms[i] == nil {
			p.stats.Dropped(1, true)
			continue
		}
		p.finish(ms[i], spans[i])
	}
}

// release mirrors a held trace once its root, spans' last, has ended:
// dd-trace-go's second look at the root (Sampler.Finish) gives the final
// decision, which the root starts with in dd-trace-go and so the whole chunk
// carries, as dd-trace-go sends it. A trace dropped at its start and still
// dropped sends nothing, as before; one a rule keeps only now is sent whole.
func (p *nativeProcessor) release(spans []sdktrace.ReadOnlySpan) {
	root := spans[len(spans)-1]
	start := decisionOf(root.SpanContext().TraceState())
	final := p.rules.dd.Finish(start, p.rules.span(root.SpanContext().TraceID(), root.Name(), root.SpanKind(), root.Attributes()), time.Now())
	if start.Priority <= 0 && final.Priority <= 0 {
		return
	}
	if p.stopping.Load() || p.failed.Load() {
		p.stats.Dropped(len(spans), false)
		return
	}
	if !p.ready.Load() {
		// dd-trace-go is starting: the spans wait with the others, and the
		// root with its decision at start.
		for _, s := range spans {
			if !p.addPending(s) {
				p.stats.Enqueued(1)
				p.mirrorEnded([]sdktrace.ReadOnlySpan{s}, nil)
			}
		}
		return
	}
	p.stats.Enqueued(len(spans))
	p.mirrorEnded(spans, &final)
}

// finish ends m's span; once its local trace is complete, the wire path
// queues the chunk (dd-trace-go sends its own).
func (p *nativeProcessor) finish(m *mirrored, s sdktrace.ReadOnlySpan) {
	if p.wire == nil {
		mirrorFinish(m.dd, s)
	}
	chunk, ids, recs := m.local.finish(m.idx, s)
	if chunk == 0 {
		return
	}
	p.completed.Add(int64(chunk))
	for _, id := range ids {
		if p.live.remove(id) {
			p.nlive.Add(-1)
		}
	}
	if p.wire != nil {
		c := &wireChunk{spans: recs}
		if m.local.hasFinal {
			c.final = &m.local.final
		}
		p.wire.enqueue(c)
	}
}

// mirrorFinish applies the Datadog mapping to dd and finishes it.
func mirrorFinish(dd *tracer.Span, s sdktrace.ReadOnlySpan) {
	kind := s.SpanKind()
	a := withRoute(s.Name(), kind, attrs(s.Attributes()))
	n := namingAttrs(a, s.Resource())
	dd.SetOperationName(operationName(kind, n))
	dd.SetTag(ext.ResourceName, resourceName(s.Name(), kind, n))
	dd.SetTag(ext.SpanType, spanType(kind, n))
	dd.SetTag(ext.SpanKind, spanKindName(kind))
	setAttributeTags(ddSink{dd}, a)
	setErrorTags(ddSink{dd}, s, a)
	for _, ev := range s.Events() {
		evAttrs := make(map[string]any, len(ev.Attributes))
		for _, kv := range ev.Attributes {
			evAttrs[string(kv.Key)] = kv.Value.AsInterface()
		}
		dd.AddEvent(ev.Name, tracer.WithSpanEventTimestamp(ev.Time), tracer.WithSpanEventAttributes(evAttrs))
	}
	for _, l := range s.Links() {
		dd.AddLink(spanLink(l))
	}
	dd.Finish(tracer.FinishTime(s.EndTime()))
}

// ddSink sets the mapping's tags on a dd-trace-go span.
type ddSink struct{ dd *tracer.Span }

func (d ddSink) setValue(k string, v attribute.Value) { d.dd.SetTag(k, v.AsInterface()) }
func (d ddSink) setString(k, v string)                { d.dd.SetTag(k, v) }
func (d ddSink) setError()                            { d.dd.SetTag(ext.Error, true) }

// namingAttrs are what the names are read from: the span's attributes,
// then its resource's, as the Agent's OTLP mapping reads them (its
// OTelSpanAccessor: a key on the span wins, one only on the resource still
// counts).
func namingAttrs(a attrs, res *resource.Resource) attrs {
	if res == nil || res.Len() == 0 {
		return a
	}
	return append(a[:len(a):len(a)], res.Attributes()...)
}

// setAttributeTags sets the span's attributes as tags under the names the
// Agent gives them (ddTagKey); an attribute already mapped to Datadog's
// name does not overwrite one the span carries itself. db.namespace is also
// db.name, as the Agent adds it.
func setAttributeTags(dd tagSink, a attrs) {
	for _, kv := range a {
		k := string(kv.Key)
		switch k {
		case tagOperationName, tagResourceName, tagSpanType:
			continue // applied by finish
		case attrHTTPStatus:
			if a.str(tagHTTPCode) == "" {
				dd.setString(ext.HTTPCode, httpStatusTag(kv.Value))
			}
			continue
		}
		key := ddTagKey(k)
		if key != k && a.str(key) != "" {
			continue
		}
		dd.setValue(key, kv.Value)
	}
	if ns := a.str(attrDBNamespace); ns != "" && a.str("db.name") == "" {
		dd.setString("db.name", ns)
	}
}

// setErrorTags marks dd as an error when s ended in one, with its message,
// type and stack.
func setErrorTags(dd tagSink, s sdktrace.ReadOnlySpan, a attrs) {
	e, ok := errorOf(s)
	if !ok {
		return
	}
	dd.setError()
	for _, f := range []struct{ key, value string }{
		{tagErrorMsg, e.message}, {tagErrorType, e.typ}, {tagErrorStack, e.stack},
	} {
		// An attribute the application set itself wins, as in dd-trace-go.
		if f.value != "" && a.str(f.key) == "" {
			dd.setString(f.key, f.value)
		}
	}
}

func spanLink(l sdktrace.Link) tracer.SpanLink {
	tid, sid := l.SpanContext.TraceID(), l.SpanContext.SpanID()
	var attrs map[string]string
	if len(l.Attributes) > 0 {
		attrs = make(map[string]string, len(l.Attributes))
		for _, kv := range l.Attributes {
			attrs[string(kv.Key)] = kv.Value.String()
		}
	}
	return tracer.SpanLink{
		TraceID:     binary.BigEndian.Uint64(tid[8:]),
		TraceIDHigh: binary.BigEndian.Uint64(tid[:8]),
		SpanID:      binary.BigEndian.Uint64(sid[:]),
		Attributes:  attrs,
		Tracestate:  l.SpanContext.TraceState().String(),
		// The high bit says the flags are set, as dd-trace-go's OTel support
		// writes them.
		Flags: uint32(l.SpanContext.TraceFlags()) | 1<<31,
	}
}

// sending implements accountant.
func (p *nativeProcessor) sending(delta int) { p.inflight.Add(int64(delta)) }

// payload implements accountant.
func (p *nativeProcessor) payload(spans int, bytes int64, took time.Duration, err error, final bool) {
	p.stats.AddBytes(bytes)
	p.acctMu.Lock()
	defer p.acctMu.Unlock()
	if p.final {
		return
	}
	n := max(spans, 0)
	if !final {
		n = 0 // dd-trace-go sends it again; its spans stay queued
	} else if spans > 0 {
		p.resolved.Add(int64(spans))
	}
	p.stats.Exported(n, took, err)
	switch {
	case err != nil && !p.failing:
		p.failing = true
		p.logger.Warn("telemetry export failing; spans are being dropped", "backend", "datadog", "spans", n, "error", err.Error())
	case err == nil && p.failing:
		p.failing = false
		p.logger.Info("telemetry export recovered", "backend", "datadog")
	}
}

// ForceFlush asks dd-trace-go to send every completed local trace and waits
// until the Agent has answered for them, or for ctx. Spans whose local trace
// is still open cannot be sent yet: dd-trace-go sends a trace's spans
// together. When dd-trace-go has nothing in flight and sends nothing more
// after being asked a few times, it has dropped the rest itself (its queue
// was full), and ForceFlush returns; Shutdown counts those spans.
func (p *nativeProcessor) ForceFlush(ctx context.Context) error {
	select {
	case <-p.started:
	case <-p.done:
	case <-ctx.Done():
		return fmt.Errorf("flush datadog: dd-trace-go has not connected to the Agent yet: %w", ctx.Err())
	}
	if !p.ready.Load() || p.stopping.Load() {
		return nil
	}
	const (
		poll      = 10 * time.Millisecond
		reflush   = 20  // polls between flush requests
		idleLimit = 100 // polls without progress or a payload in flight
	)
	target := p.completed.Load()
	tick := time.NewTicker(poll)
	defer tick.Stop()
	last, idle := p.resolved.Load(), 0
	for i := 0; p.resolved.Load() < target; i++ {
		if i%reflush == 0 {
			// dd-trace-go's worker may take a completed trace off its queue
			// after a flush request, so ask again now and then.
			p.flushAsync()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("flush datadog: %w", ctx.Err())
		case <-p.done:
			return nil
		case <-tick.C:
		}
		if r := p.resolved.Load(); r != last || p.inflight.Load() > 0 {
			last, idle = r, 0
		} else if idle++; idle >= idleLimit {
			return nil
		}
	}
	return nil
}

// flushAsync asks the sender to send what it holds without waiting on the
// caller's goroutine: tracer.Flush blocks until its worker takes the request.
func (p *nativeProcessor) flushAsync() {
	if p.wire != nil {
		p.wire.kick(true)
		return
	}
	go tracer.Flush()
}

// Shutdown stops dd-trace-go, which sends what it holds, and waits for it
// or for ctx: against an Agent that never answers tracer.Stop takes as long
// as the export timeout, and Shutdown returns at its deadline regardless.
// Spans that did not reach the Agent by then are counted as dropped.
func (p *nativeProcessor) Shutdown(ctx context.Context) error {
	var err error
	p.stopOnce.Do(func() {
		p.stopping.Store(true)
		// Sampled spans of traces whose root never ended never reach the
		// Agent, as dd-trace-go never sends an unfinished trace's chunk.
		if n := p.holds.drain(); n > 0 {
			p.stats.Dropped(n, false)
		}
		owner.mu.Lock()
		if owner.active == p {
			owner.active = nil
		}
		owner.mu.Unlock()
		if e := worker.Stop(ctx, p.stopReq, p.done, func() { close(p.abandon) }); e != nil {
			err = fmt.Errorf("shutdown datadog: %w", e)
		}
		p.settle()
	})
	return err
}

// settle ends the accounting: whatever is queued now never reached the
// Agent.
func (p *nativeProcessor) settle() {
	p.acctMu.Lock()
	defer p.acctMu.Unlock()
	p.final = true
	if q := p.stats.Snapshot().SpansQueued; q > 0 {
		p.stats.Dropped(int(q), true)
	}
}

// set makes c the parent dd-trace-go gives a span that starts a local
// trace: the OTel trace ID, the parent's span ID (zero for a root), the
// sampling decision as a priority, and what the Datadog propagator kept in
// the dd tracestate member.
func (c *parentContext) set(sc, parent trace.SpanContext) {
	state := sc.TraceState()
	var pid uint64
	if parent.IsValid() {
		sid := parent.SpanID()
		pid = binary.BigEndian.Uint64(sid[:])
		state = parent.TraceState()
	}
	st := parseState(state.Get(traceStateKey), sc.IsSampled())
	*c = parentContext{
		traceID:  sc.TraceID(),
		spanID:   pid,
		priority: float64(st.priority),
		origin:   st.origin,
	}
	if len(st.tags) > 0 {
		c.tags = make(map[string]string, len(st.tags))
		for _, t := range st.tags {
			c.tags[t.key] = t.value
		}
	}
}

// parentContext implements the interfaces tracer.FromGenericCtx reads a
// foreign span context through: ddtrace.SpanContext, plus the sampling
// decision and the v1 adapter's origin and propagating tags, which is how
// dd-trace-go's own OpenTelemetry support hands it OTel contexts.
type parentContext struct {
	traceID  trace.TraceID
	spanID   uint64
	priority float64
	origin   string
	tags     map[string]string
}

func (c *parentContext) SpanID() uint64                            { return c.spanID }
func (c *parentContext) TraceID() string                           { return hex.EncodeToString(c.traceID[:]) }
func (c *parentContext) TraceIDBytes() [16]byte                    { return c.traceID }
func (c *parentContext) TraceIDLower() uint64                      { return binary.BigEndian.Uint64(c.traceID[8:]) }
func (c *parentContext) ForeachBaggageItem(func(k, v string) bool) {}

// SamplingDecision is dd-trace-go's decisionKeep (2) or decisionDrop (1).
func (c *parentContext) SamplingDecision() uint32 {
	if c.priority > 0 {
		return 2
	}
	return 1
}

// decide makes d the decision c hands dd-trace-go: its priority, and its
// decision maker as the _dd.p.dm propagating tag (none below priority 1).
func (c *parentContext) decide(d Decision) {
	c.priority = float64(d.Priority)
	if c.tags == nil {
		c.tags = map[string]string{}
	}
	delete(c.tags, propagatingPrefix+"dm")
	if d.DecisionMaker != "" && d.Priority > 0 {
		c.tags[propagatingPrefix+"dm"] = d.DecisionMaker
	}
}

// Priority is the sampling priority, kept as dd-trace-go's sampling
// priority tag.
func (c *parentContext) Priority() *float64                 { p := c.priority; return &p }
func (c *parentContext) Origin() string                     { return c.origin }
func (c *parentContext) PropagatingTags() map[string]string { return c.tags }
func (c *parentContext) Tags() map[string]string            { return nil }

// ddLogger sends dd-trace-go's log lines to the library's logger: errors and
// warnings as warnings, the rest at debug level.
type ddLogger struct{ l *slog.Logger }

func (d ddLogger) Log(msg string) {
	msg = strings.TrimSpace(msg)
	switch {
	case strings.Contains(msg, " ERROR: "), strings.Contains(msg, " WARN: "):
		d.l.Warn("dd-trace-go: " + msg)
	default:
		d.l.Debug("dd-trace-go: " + msg)
	}
}

// liveSpans maps the span IDs of open local traces to their records,
// sharded so that concurrent requests rarely wait on one another.
type liveSpans struct {
	shards [16]struct {
		mu sync.Mutex
		m  map[trace.SpanID]*mirrored
	}
}

func (l *liveSpans) shard(id trace.SpanID) int { return int(id[7] & 15) }

func (l *liveSpans) load(id trace.SpanID) *mirrored {
	sh := &l.shards[l.shard(id)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.m[id]
}

func (l *liveSpans) store(id trace.SpanID, m *mirrored) {
	sh := &l.shards[l.shard(id)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.m == nil {
		sh.m = map[trace.SpanID]*mirrored{}
	}
	sh.m[id] = m
}

// remove forgets id and reports whether it was there.
func (l *liveSpans) remove(id trace.SpanID) bool {
	sh := &l.shards[l.shard(id)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	_, ok := sh.m[id]
	delete(sh.m, id)
	return ok
}
