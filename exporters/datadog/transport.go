package datadog

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/tinylib/msgp/msgp"
)

// infoTimeout bounds dd-trace-go's /info probe. tracer.Start waits for it
// (about 10 s against an agent that accepts connections and never answers);
// dd-trace-go polls /info again later, so a probe that gives up early only
// delays the agent's optional features.
const infoTimeout = 500 * time.Millisecond

// hiddenEndpoints are the Agent endpoints the transport hides from
// dd-trace-go's /info probe:
//
//   - /v1.0/traces, the newer trace intake dd-trace-go prefers when the Agent
//     advertises it. Its payload interns strings in a table; the v0.4 payload
//     (an array of traces, each an array of spans) can be counted span by
//     span.
//   - /v0.7/config, remote configuration, which could change tags, sampling
//     or features behind otelswitch's configuration. dd-trace-go offers no
//     option to turn it off (only DD_REMOTE_CONFIGURATION_ENABLED).
var hiddenEndpoints = []string{"/v1.0/traces", "/v0.7/config"}

// newHTTPClient returns the client dd-trace-go talks to the Agent with:
// TLS 1.2 or later, a Unix socket when the agent is one, each request
// bounded by timeout, and agentTransport in front to count what the Agent
// accepts.
func newHTTPClient(a Agent, timeout time.Duration, acc accountant) *http.Client {
	return &http.Client{
		Timeout:   timeout,
		Transport: &agentTransport{next: agentRoundTripper(a, timeout), acc: acc},
	}
}

// agentRoundTripper connects to the Agent: TLS 1.2 or later, never through
// a proxy, its Unix socket when it is one.
func agentRoundTripper(a Agent, timeout time.Duration) *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	tr.Proxy = nil // the Agent is local or on the node; never through a proxy
	if sock := a.Socket(); sock != "" {
		dialer := &net.Dialer{Timeout: timeout}
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, "unix", sock)
		}
	}
	return tr
}

// accountant receives the outcome of every trace payload.
type accountant interface {
	// sending is called with +1 before a payload goes out and -1 after.
	sending(delta int)
	// payload records one trace payload of spans spans (-1 when it could
	// not be counted) and bytes bytes; final is false when dd-trace-go will
	// send the same payload again.
	payload(spans int, bytes int64, took time.Duration, err error, final bool)
}

// agentTransport sees every request dd-trace-go makes to the Agent.
type agentTransport struct {
	next http.RoundTripper
	acc  accountant
}

func (t *agentTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	switch {
	case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/info"):
		return t.info(r)
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/traces"):
		return t.traces(r)
	}
	return t.next.RoundTrip(r)
}

// info bounds the /info probe and removes hiddenEndpoints from the
// endpoints the Agent advertises.
func (t *agentTransport) info(r *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(r.Context(), infoTimeout)
	resp, err := t.next.RoundTrip(r.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	defer cancel()
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusOK {
		body = withoutHidden(body)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// withoutHidden returns the /info document without hiddenEndpoints among its
// endpoints, or body unchanged when it is not such a document.
func withoutHidden(body []byte) []byte {
	var doc map[string]json.RawMessage
	if json.Unmarshal(body, &doc) != nil {
		return body
	}
	var endpoints []string
	if json.Unmarshal(doc["endpoints"], &endpoints) != nil {
		return body
	}
	kept := endpoints[:0]
	for _, e := range endpoints {
		if !slices.Contains(hiddenEndpoints, e) {
			kept = append(kept, e)
		}
	}
	raw, err := json.Marshal(kept)
	if err != nil {
		return body
	}
	doc["endpoints"] = raw
	out, err := json.Marshal(doc)
	if err != nil {
		return body
	}
	return out
}

// traces sends one trace payload and reports its outcome.
func (t *agentTransport) traces(r *http.Request) (*http.Response, error) {
	spans := -1
	req := r.Clone(r.Context())
	if r.Body != nil && r.GetBody != nil {
		// dd-trace-go's payload rewinds through GetBody: count its spans in
		// one pass, rewind, and send it, without copying it.
		if strings.HasSuffix(r.URL.Path, "/v0.4/traces") {
			if n, err := countSpansFrom(r.Body); err == nil {
				spans = n
			}
		}
		body, err := r.GetBody()
		if err != nil {
			return nil, err
		}
		req.Body = body
	} else if r.Body != nil {
		body, err := io.ReadAll(r.Body)
		_ = r.Body.Close()
		if err != nil {
			return nil, err
		}
		if n, err := countSpans(body); err == nil && strings.HasSuffix(r.URL.Path, "/v0.4/traces") {
			spans = n
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}

	t.acc.sending(1)
	defer t.acc.sending(-1)
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	took := time.Since(start)
	final, outcome := true, err
	switch {
	case err != nil:
		// dd-trace-go sends the payload again, once, after a connection torn
		// down under it.
		final = !transientConnError(err)
	case resp.StatusCode >= 400:
		// dd-trace-go reads the status itself; this is for the accounting.
		outcome = fmt.Errorf("the Datadog Agent answered %s", resp.Status)
	}
	t.acc.payload(spans, max(req.ContentLength, 0), took, outcome, final)
	return resp, err
}

// countSpansFrom counts the spans in a v0.4 trace payload read from r.
func countSpansFrom(r io.Reader) (int, error) {
	mr := msgp.NewReader(r)
	traces, err := mr.ReadArrayHeader()
	if err != nil {
		return 0, err
	}
	total := 0
	for range traces {
		spans, err := mr.ReadArrayHeader()
		if err != nil {
			return 0, err
		}
		for range spans {
			if err := mr.Skip(); err != nil {
				return 0, err
			}
		}
		total += int(spans)
	}
	return total, nil
}

// countSpans counts the spans in a v0.4 trace payload: a msgpack array of
// traces, each an array of spans.
func countSpans(b []byte) (int, error) {
	traces, b, err := msgp.ReadArrayHeaderBytes(b)
	if err != nil {
		return 0, err
	}
	total := 0
	for range traces {
		var spans uint32
		spans, b, err = msgp.ReadArrayHeaderBytes(b)
		if err != nil {
			return 0, err
		}
		for range spans {
			if b, err = msgp.Skip(b); err != nil {
				return 0, err
			}
		}
		total += int(spans)
	}
	return total, nil
}

// transientConnError is dd-trace-go's isTransientConnError: the errors after
// which it sends the same payload again.
func transientConnError(err error) bool {
	if errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ENOTCONN) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "broken pipe") || strings.Contains(s, "connection reset by peer")
}
