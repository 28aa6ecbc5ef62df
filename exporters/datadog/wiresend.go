package datadog

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"time"
)

// wireSender queues completed local traces and sends them to the Agent's
// /v0.4/traces, as dd-trace-go's writer does: a payload when MaxExport
// spans are waiting, every Delay, and on a flush. The spans are encoded
// soon after their chunk completes (every encodeEvery spans), so what waits
// for the payload is bytes, not spans the garbage collector must scan. At
// most MaxQueue spans are held, queued or encoded; a chunk beyond that is
// dropped and counted. One goroutine (run) encodes and sends, so the
// encoder and payload buffer need no lock.
type wireSender struct {
	client             *http.Client
	tracesURL, infoURL string
	acc                accountant
	dropped            func(spans int) // a chunk the full queue could not take
	timeout            time.Duration
	delay              time.Duration
	maxQueue           int
	maxSpans           int

	enc     wireEncoder
	headers http.Header
	// The payload being built: the chunks encoded after a 5-byte array
	// header written when it is sent.
	body                  []byte
	bodyTraces, bodySpans int

	mu      sync.Mutex
	queue   []*wireChunk
	waiting int  // spans in queue
	held    int  // spans queued or encoded, not yet sent
	flush   bool // a flush is asked for
	wake    chan struct{}
}

// encodeEvery is how many queued spans wake the sender to encode them
// (fewer when a payload takes fewer).
const encodeEvery = 64

func newWireSender(client *http.Client, agentURL string, cfg *wireConfig, acc accountant, dropped func(int), b batchLimits) *wireSender {
	h := http.Header{}
	h.Set("Content-Type", "application/msgpack")
	h.Set("Datadog-Meta-Lang", "go")
	h.Set("Datadog-Meta-Lang-Version", runtime.Version()[2:])
	h.Set("Datadog-Meta-Lang-Interpreter", runtime.Compiler+"-"+runtime.GOARCH+"-"+runtime.GOOS)
	h.Set("Datadog-Meta-Tracer-Version", tracerVersion)
	h.Set("Datadog-Client-Computed-Top-Level", "t")
	return &wireSender{
		client: client, tracesURL: agentURL + "/v0.4/traces", infoURL: agentURL + "/info",
		acc: acc, dropped: dropped, timeout: b.timeout, delay: b.delay,
		maxQueue: b.maxQueue, maxSpans: b.maxExport,
		enc: wireEncoder{cfg: cfg}, headers: h, wake: make(chan struct{}, 1),
	}
}

// tracerVersion is the version of dd-trace-go linked in, whose payloads
// the encoder reproduces, sent as Datadog-Meta-Tracer-Version (its
// version package is internal, so it is read from the build info).
var tracerVersion = func() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, m := range info.Deps {
			if m.Path == "github.com/DataDog/dd-trace-go/v2" {
				return m.Version
			}
		}
	}
	return linkedTracerVersion
}()

// linkedTracerVersion is go.mod's dd-trace-go version, for binaries without
// build information (test binaries); TestWireMatchesMirror checks it against
// the header dd-trace-go sends.
const linkedTracerVersion = "v2.12.0"

// batchLimits are the sender's bounds, from the backend's Batch settings.
type batchLimits struct {
	delay, timeout      time.Duration
	maxQueue, maxExport int
}

// probe asks the Agent's /info what it takes, as dd-trace-go does when it
// starts, bounded by infoTimeout. An Agent that does not answer leaves the
// defaults (span events as a JSON tag).
func (w *wireSender) probe(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, infoTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.infoURL, nil)
	if err != nil {
		return
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	var info struct {
		SpanEvents bool `json:"span_events"`
	}
	if resp.StatusCode == http.StatusOK && json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&info) == nil {
		w.enc.cfg.spanEvents.Store(info.SpanEvents)
	}
}

// enqueue queues c, or drops it when MaxQueue spans are held.
func (w *wireSender) enqueue(c *wireChunk) {
	n := len(c.spans)
	w.mu.Lock()
	if w.held+n > w.maxQueue {
		w.mu.Unlock()
		w.dropped(n)
		return
	}
	w.queue = append(w.queue, c)
	w.held += n
	w.waiting += n
	wake := w.waiting >= min(encodeEvery, w.maxSpans)
	w.mu.Unlock()
	if wake {
		w.kick(false)
	}
}

// kick wakes the sender; flush makes it send even a small payload.
func (w *wireSender) kick(flush bool) {
	if flush {
		w.mu.Lock()
		w.flush = true
		w.mu.Unlock()
	}
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// run sends until stop is closed, then sends what is held and returns;
// ctx is cancelled when Shutdown gives up, which ends a send in flight.
func (w *wireSender) run(ctx context.Context, stop <-chan struct{}) {
	tick := time.NewTicker(w.delay)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			w.encodeQueued(ctx, true)
			return
		case <-tick.C:
			w.encodeQueued(ctx, true)
		case <-w.wake:
			w.encodeQueued(ctx, false)
		}
	}
}

// encodeQueued encodes the queued chunks, sending a payload whenever the
// next chunk would take it past MaxExport spans; the last payload is sent
// too when all is set or a flush was asked for.
func (w *wireSender) encodeQueued(ctx context.Context, all bool) {
	w.mu.Lock()
	chunks := w.queue
	w.queue, w.waiting = nil, 0
	if w.flush {
		all, w.flush = true, false
	}
	w.mu.Unlock()
	for i, c := range chunks {
		if w.bodySpans > 0 && w.bodySpans+len(c.spans) > w.maxSpans {
			w.send(ctx)
		}
		if len(w.body) == 0 {
			w.body = append(w.body, 0xdd, 0, 0, 0, 0) // array32 header, count set by send
		}
		w.body = w.enc.appendChunk(w.body, c)
		w.bodyTraces++
		w.bodySpans += len(c.spans)
		chunks[i] = nil
	}
	if all || w.bodySpans >= w.maxSpans {
		w.send(ctx)
	}
}

// send posts the payload built so far; the accountant hears the outcome.
func (w *wireSender) send(ctx context.Context) {
	if w.bodySpans == 0 || ctx.Err() != nil {
		return // after Shutdown gave up, Shutdown counts what is held
	}
	b := w.body
	binary.BigEndian.PutUint32(b[1:5], uint32(w.bodyTraces))
	w.acc.sending(1)
	defer w.acc.sending(-1)
	start := time.Now()
	err := w.post(ctx, b, w.bodyTraces)
	w.acc.payload(w.bodySpans, int64(len(b)), time.Since(start), err, true)
	w.mu.Lock()
	w.held -= w.bodySpans
	w.mu.Unlock()
	w.body, w.bodyTraces, w.bodySpans = b[:0], 0, 0
	if cap(w.body) > maxKeptBuffer {
		w.body = nil // one huge payload does not pin its buffer
	}
}

// maxKeptBuffer is the largest payload buffer kept for the next payload.
const maxKeptBuffer = 4 << 20

func (w *wireSender) post(ctx context.Context, body []byte, traces int) error {
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.tracesURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header = w.headers.Clone()
	req.Header.Set("X-Datadog-Trace-Count", strconv.Itoa(traces))
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxRatesBody))
	_ = resp.Body.Close()
	if resp.StatusCode >= 400 {
		return fmt.Errorf("the Datadog Agent answered %s", resp.Status)
	}
	return nil
}
