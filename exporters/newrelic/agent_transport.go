package newrelic

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"sync"
	"time"

	"github.com/otelswitch/otelswitch/exporters"
)

// The collector methods the accounting looks at, as the Go agent names them
// in the method query parameter of its posts.
const (
	methodSpanEvents = "span_event_data"
	methodLogEvents  = "log_event_data"
	methodPreconnect = "preconnect"
	methodConnect    = "connect"
)

var errAgentStopped = errors.New("newrelic agent: the backend has shut down")

// agentTransport is the Go agent's http.RoundTripper. It bounds each post
// to the collector by the export timeout, aborts them all when Shutdown's
// deadline passes, and reports each post to the accounting, which reads
// the span events out of span_event_data payloads.
type agentTransport struct {
	base    http.RoundTripper
	timeout time.Duration
	// ctx is cancelled when the backend has shut down.
	ctx  context.Context
	acct *agentAccounting
}

func newAgentTransport(ctx context.Context, timeout time.Duration, rootCAs *x509.CertPool, acct *agentAccounting) *agentTransport {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	// The Go agent's own transport, with TLS 1.2 at least as everywhere in
	// otelswitch.
	base := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   timeout,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          10,
		MaxIdleConnsPerHost:   10,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ExpectContinueTimeout: time.Second,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: rootCAs},
	}
	return &agentTransport{base: base, timeout: timeout, ctx: ctx, acct: acct}
}

// RoundTrip implements http.RoundTripper.
func (t *agentTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		body, err = io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
	}
	method := req.URL.Query().Get("method")
	if t.ctx.Err() != nil {
		return nil, errAgentStopped
	}
	ctx, cancel := context.WithTimeout(req.Context(), t.timeout)
	stop := context.AfterFunc(t.ctx, cancel)
	release := func() { stop(); cancel() }
	out := req.Clone(ctx)
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.ContentLength = int64(len(body))
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }

	start := time.Now()
	resp, err := t.base.RoundTrip(out)
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	t.acct.post(method, body, status, err, time.Since(start))
	if err != nil {
		release()
		return nil, err
	}
	resp.Body = &releasingBody{ReadCloser: resp.Body, release: release}
	return resp, nil
}

// releasingBody frees the request's context once the agent has read the
// response.
type releasingBody struct {
	io.ReadCloser
	once    sync.Once
	release func()
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.release)
	return err
}

// agentAccounting keeps the backend's Counters in agent mode. A span counts
// as queued when it has been handed to the agent as part of a sampled
// transaction. It counts as exported when the span_event_data post that
// carries it is accepted, and as dropped when that post fails for good,
// when the agent's span event reservoir leaves it out (events_seen larger
// than the events sent), or when it is still queued once Shutdown is over.
type agentAccounting struct {
	stats  *exporters.Counters
	logger *slog.Logger

	mu      sync.Mutex
	final   bool
	failing bool
}

// spanEventCounts reads the events sent and the events seen out of a
// span_event_data body: gzip of [run_id, {"reservoir_size", "events_seen"},
// [events...]].
func spanEventCounts(body []byte) (sent, seen int, err error) {
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return 0, 0, err
	}
	var payload []json.RawMessage
	if err := json.NewDecoder(zr).Decode(&payload); err != nil {
		return 0, 0, err
	}
	if len(payload) != 3 {
		return 0, 0, fmt.Errorf("span_event_data: %d elements, want 3", len(payload))
	}
	var meta struct {
		Seen int `json:"events_seen"`
	}
	var events []json.RawMessage
	if err := json.Unmarshal(payload[1], &meta); err != nil {
		return 0, 0, err
	}
	if err := json.Unmarshal(payload[2], &events); err != nil {
		return 0, 0, err
	}
	return len(events), max(meta.Seen, len(events)), nil
}

// retained reports whether the Go agent keeps a payload to send again with
// the next harvest after this outcome: on a transport error and on 408,
// 429, 500 and 503 (its rpmResponse.ShouldSaveHarvestData).
func retained(status int, err error) bool {
	if err != nil {
		return true
	}
	switch status {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusServiceUnavailable:
		return true
	}
	return false
}

// post records one post of the agent to the collector.
func (a *agentAccounting) post(method string, body []byte, status int, err error, took time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.final {
		return
	}
	a.stats.AddBytes(int64(len(body)))
	ok := err == nil && (status == http.StatusOK || status == http.StatusAccepted)
	if !ok && err == nil {
		err = fmt.Errorf("%s: response code %d", method, status)
	}
	switch method {
	case methodSpanEvents:
		a.postSpans(body, ok, status, err, took)
	case methodLogEvents:
		a.postLogs(body, ok, status, err, took)
	case methodPreconnect, methodConnect:
		// The agent logs its connect failures itself, and retries them.
	}
}

// postSpans counts one span_event_data post; a.mu is held.
func (a *agentAccounting) postSpans(body []byte, ok bool, status int, err error, took time.Duration) {
	sent, seen, perr := spanEventCounts(body)
	if perr != nil {
		a.logger.Warn("newrelic agent: unreadable span_event_data payload; its spans are not counted", "error", perr.Error())
		return
	}
	if ok {
		a.stats.Exported(sent, took, nil)
		if seen > sent {
			// The agent's reservoir kept a sample of the events.
			a.stats.Dropped(seen-sent, true)
		}
	} else {
		a.stats.Exported(0, took, err)
		if !retained(status, err) {
			a.stats.Dropped(seen, true)
		}
	}
	a.logOutcome(ok, seen, err)
}

// postLogs counts one log_event_data post; a.mu is held.
func (a *agentAccounting) postLogs(body []byte, ok bool, status int, err error, took time.Duration) {
	n, perr := logEventCount(body)
	if perr != nil {
		a.logger.Warn("newrelic agent: unreadable log_event_data payload; its records are not counted", "error", perr.Error())
		return
	}
	logs := a.stats.Logs()
	if ok {
		logs.Exported(n, took, nil)
		return
	}
	logs.Exported(0, took, err)
	if !retained(status, err) {
		logs.Dropped(n, true)
	}
}

// logEventCount reads how many records a log_event_data body carries:
// gzip of [{"common": {...}, "logs": [records...]}].
func logEventCount(body []byte) (int, error) {
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	var payload []struct {
		Logs []json.RawMessage `json:"logs"`
	}
	if err := json.NewDecoder(zr).Decode(&payload); err != nil {
		return 0, err
	}
	n := 0
	for _, p := range payload {
		n += len(p.Logs)
	}
	return n, nil
}

// logOutcome says so when span posts start and stop failing.
func (a *agentAccounting) logOutcome(ok bool, spans int, err error) {
	switch {
	case !ok && !a.failing:
		a.failing = true
		a.logger.Warn("telemetry export failing; spans are being dropped", "backend", Name, "mode", ModeAgent, "spans", spans, "error", err.Error())
	case ok && a.failing:
		a.failing = false
		a.logger.Info("telemetry export recovered", "backend", Name, "mode", ModeAgent)
	}
}

// settle ends the accounting: whatever is still queued never reached New
// Relic. Posts that finish later are not counted.
func (a *agentAccounting) settle() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.final {
		return
	}
	a.final = true
	st := a.stats.Snapshot()
	if q := st.SpansQueued; q > 0 {
		a.stats.Dropped(int(q), true)
	}
	if q := st.Logs.Queued; q > 0 {
		a.stats.Logs().Dropped(int(q), true)
	}
}

// handedLog records a log record handed to the agent's log forwarding.
func (a *agentAccounting) handedLog() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.final {
		a.stats.Logs().Enqueued(1)
	} else {
		a.stats.Logs().Dropped(1, false)
	}
}

// handed records n spans handed to the agent in a sampled transaction.
func (a *agentAccounting) handed(n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.final {
		a.stats.Enqueued(n)
	}
}

// lost records n spans that will never reach New Relic as spans.
func (a *agentAccounting) lost(n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.final {
		a.stats.Dropped(n, false)
	}
}

// written records n queued spans written out in serverless mode.
func (a *agentAccounting) written(n int, took time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.final && n > 0 {
		a.stats.Exported(n, took, nil)
	}
}

// licenseParam matches the licence key parameter of a collector URL.
var licenseParam = regexp.MustCompile(`(license_key=)[^&\s"]*`)

// agentLogger passes the Go agent's log lines to the library's logger:
// errors and warnings as warnings, the rest at debug level.
type agentLogger struct{ l *slog.Logger }

func (a agentLogger) log(level slog.Level, msg string, fields map[string]any) {
	if !a.l.Enabled(context.Background(), level) {
		return
	}
	args := make([]any, 0, 2*len(fields))
	for k, v := range fields {
		if str, ok := v.(string); ok {
			// The agent logs collector URLs with the first and last two
			// characters of the licence key; none of it is printed here.
			v = licenseParam.ReplaceAllString(str, "${1}[REDACTED]")
		}
		args = append(args, k, v)
	}
	a.l.Log(context.Background(), level, "newrelic agent: "+msg, args...)
}

func (a agentLogger) Error(msg string, fields map[string]any) { a.log(slog.LevelWarn, msg, fields) }
func (a agentLogger) Warn(msg string, fields map[string]any)  { a.log(slog.LevelWarn, msg, fields) }
func (a agentLogger) Info(msg string, fields map[string]any)  { a.log(slog.LevelDebug, msg, fields) }
func (a agentLogger) Debug(msg string, fields map[string]any) { a.log(slog.LevelDebug, msg, fields) }
func (a agentLogger) DebugEnabled() bool {
	return a.l.Enabled(context.Background(), slog.LevelDebug)
}
