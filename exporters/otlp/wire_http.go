package otlp

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	statuspb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/otelswitch/otelswitch/exporters"
)

// userAgent goes with every export, over HTTP and gRPC.
const userAgent = "otelswitch OTLP exporter"

// maxResponseBody bounds what is read of a response: a partial success or
// an error status is small; a proxy's HTML error page is cut.
const maxResponseBody = 64 << 10

// httpSender posts encoded requests to an OTLP/HTTP endpoint with the
// client NewMetricExporter's HTTP exporter gets: the target's TLS policy,
// the export timeout, and wire counting.
type httpSender struct {
	client  *http.Client
	url     string
	shown   string // the URL for errors
	headers http.Header
	gzip    bool
	noRetry bool // Settings.NoRetry: one attempt, for the doctor
	sig     wireSignal
}

func newHTTPSender(tr transport, counters *exporters.SignalCounters, sig wireSignal) (*httpSender, error) {
	t := tr.target
	h := http.Header{}
	for k, v := range t.Headers {
		h.Set(k, string(v))
	}
	h.Set("Content-Type", "application/x-protobuf")
	h.Set("User-Agent", userAgent)
	gz := t.Compression == Gzip
	if gz {
		h.Set("Content-Encoding", "gzip")
	}
	return &httpSender{
		client:  tr.httpClient(counters),
		url:     t.URL.String(),
		shown:   t.URL.Redacted(),
		headers: h,
		gzip:    gz,
		noRetry: t.noRetry,
		sig:     sig,
	}, nil
}

var gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(io.Discard) }}

var gzipBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (h *httpSender) send(ctx context.Context, body []byte) error {
	if h.gzip {
		buf := gzipBuffers.Get().(*bytes.Buffer)
		buf.Reset()
		defer func() {
			if buf.Cap() <= maxPooledBuffer {
				gzipBuffers.Put(buf)
			}
		}()
		zw := gzipWriters.Get().(*gzip.Writer)
		zw.Reset(buf)
		_, err := zw.Write(body)
		if err == nil {
			err = zw.Close()
		}
		zw.Reset(io.Discard)
		gzipWriters.Put(zw)
		if err != nil {
			return fmt.Errorf("gzip: %w", err)
		}
		body = buf.Bytes()
	}
	for attempt := 1; ; attempt++ {
		retry, wait, err := h.post(ctx, body)
		if !retry || h.noRetry {
			return err
		}
		if wait <= 0 {
			wait = retryDelay(attempt)
		}
		if werr := waitToRetry(ctx, wait, err); werr != nil {
			return werr
		}
	}
}

// post sends body once. It says whether the answer is one to retry, and
// after how long when the server said (Retry-After).
func (h *httpSender) post(ctx context.Context, body []byte) (retry bool, wait time.Duration, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, bytes.NewReader(body))
	if err != nil {
		return false, 0, err
	}
	req.Header = h.headers.Clone()
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	resp, err := h.client.Do(req)
	if err != nil {
		return false, 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if err != nil && resp.StatusCode/100 != 2 {
		return false, 0, fmt.Errorf("failed to send to %s: %s (reading the body: %w)", h.shown, resp.Status, err)
	}
	if resp.StatusCode/100 == 2 {
		return false, 0, partialFromHTTP(resp.Header.Get("Content-Type"), data, h.sig)
	}
	err = fmt.Errorf("failed to send to %s: %s (body: %s)", h.shown, resp.Status, errorBody(resp.Header.Get("Content-Type"), data))
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true, retryAfter(resp.Header.Get("Retry-After")), err
	}
	return false, 0, err
}

// partialFromHTTP reads a success response: an ExportTraceServiceResponse
// whose partial_success, when set, says how much was rejected.
func partialFromHTTP(contentType string, data []byte, sig wireSignal) error {
	if len(data) == 0 || !strings.HasPrefix(contentType, "application/x-protobuf") {
		return nil
	}
	var resp collectortrace.ExportTraceServiceResponse
	if err := proto.Unmarshal(data, &resp); err != nil {
		return fmt.Errorf("reading the export response: %w", err)
	}
	return partialError(resp.GetPartialSuccess(), sig)
}

// partialError reads the partial success of any signal's export response
// as the trace one: ExportLogsServiceResponse has the same fields under the
// same numbers (partial_success 1: rejected count 1, error_message 2).
func partialError(ps *collectortrace.ExportTracePartialSuccess, sig wireSignal) error {
	if ps == nil || (ps.GetRejectedSpans() == 0 && ps.GetErrorMessage() == "") {
		return nil
	}
	return partialSuccess{rejected: ps.GetRejectedSpans(), message: ps.GetErrorMessage(), items: sig.items}
}

// errorBody renders an error response's body: the message of a
// google.rpc.Status, as OTLP servers answer, or the text.
func errorBody(contentType string, data []byte) string {
	if strings.HasPrefix(contentType, "application/x-protobuf") {
		var st statuspb.Status
		if proto.Unmarshal(data, &st) == nil && st.GetMessage() != "" {
			return st.GetMessage()
		}
	}
	s := strings.TrimSpace(string(data))
	if s == "" {
		return "(empty)"
	}
	return strings.ToValidUTF8(s, "?")
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil && s >= 0 {
		return time.Duration(min(s, int64(time.Hour/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), time.Millisecond)
	}
	return 0
}

func (h *httpSender) close(context.Context) error {
	h.client.CloseIdleConnections()
	return nil
}
