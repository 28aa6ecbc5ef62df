package otlp

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/exporters/otlp/internal/otlpwire"
)

// sdkSpanExporter, when set (by tests), makes NewSpanExporter build the
// SDK's otlptracegrpc and otlptracehttp exporters instead of the wire
// exporter, for comparing the two.
var sdkSpanExporter bool

// newWireSpanExporter returns the span exporter every OTLP-family backend
// uses: spans encoded straight to OTLP bytes by otlpwire into pooled
// buffers, sent over gRPC or HTTP by a sender that passes the bytes
// through. It costs a fraction of the SDK's exporter, which builds proto
// structs for every span before marshalling them (docs/performance.md).
func newWireSpanExporter(tr transport, counters *exporters.SignalCounters) (sdktrace.SpanExporter, error) {
	s, err := newSender(tr, counters, traceSignal)
	if err != nil {
		return nil, err
	}
	e := &wireExporter{send: s, timeout: tr.timeout}
	e.enc.Shared = sharedSpans
	e.leave = sharedSpans.Join()
	return e, nil
}

// sharedSpans lets the wire exporters of a fan-out encode each span once
// (otlpwire.Shared): with one OTLP-family backend it is off; with several,
// the first to export a span leaves its bytes for the others. It is
// process-wide because NewSpanExporter knows nothing of the Init it serves;
// spans are known by identity, so pipelines do not mix, and the copies
// held are bounded.
var sharedSpans = &otlpwire.Shared{}

// wireSignal is what a sender sends: the gRPC method of its OTLP service,
// and what a partial success counts, for the error that reports one.
type wireSignal struct {
	method string
	items  string
}

var (
	traceSignal = wireSignal{"/opentelemetry.proto.collector.trace.v1.TraceService/Export", "spans"}
	logSignal   = wireSignal{"/opentelemetry.proto.collector.logs.v1.LogsService/Export", "log records"}
)

// newSender returns the sender of tr's protocol for sig. The transport
// masks credentials in what a server sends back, for these senders as for
// the SDK's exporters.
func newSender(tr transport, counters *exporters.SignalCounters, sig wireSignal) (sender, error) {
	var s sender
	var err error
	switch tr.target.Protocol {
	case GRPC:
		s, err = newGRPCSender(tr, counters, sig)
	case HTTPProtobuf:
		s, err = newHTTPSender(tr, counters, sig)
	default:
		return nil, errProtocol(tr.target.Protocol)
	}
	if err != nil {
		return nil, mask(err, tr.creds)
	}
	return s, nil
}

// sender delivers one encoded export request (ExportTraceServiceRequest,
// ExportLogsServiceRequest).
type sender interface {
	// send delivers body, retrying what the OTLP specification says is
	// retryable while ctx allows. It must not keep body once it returns.
	send(ctx context.Context, body []byte) error
	close(ctx context.Context) error
}

// wireExporter is an sdktrace.SpanExporter over otlpwire and a sender.
type wireExporter struct {
	enc     otlpwire.Encoder
	send    sender
	timeout time.Duration
	stopped atomic.Bool
	leave   func() // leaves sharedSpans
}

// maxPooledBuffer bounds the gzip buffers kept for reuse (otlpwire bounds
// its own the same way).
const maxPooledBuffer = 4 << 20

// errShutdown is what an export after Shutdown returns.
var errShutdown = errors.New("the exporter is shut down")

func (e *wireExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if e.stopped.Load() {
		return errShutdown
	}
	if len(spans) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	// In a fan-out, buf may be the very bytes the other backends send.
	buf := e.enc.Encode(spans)
	err := e.send.send(ctx, buf.B)
	buf.Release(err == nil)
	return err
}

func (e *wireExporter) Shutdown(ctx context.Context) error {
	if e.stopped.Swap(true) {
		return nil
	}
	e.leave()
	return e.send.close(ctx)
}

// retryDelay is how long to wait before attempt (counted from 1) when the
// server gave no delay: exponential from 100 ms, capped at 5 s, with
// jitter, as the OTLP specification asks of clients.
func retryDelay(attempt int) time.Duration {
	d := 100 * time.Millisecond << min(attempt-1, 6)
	d = min(d, 5*time.Second)
	return d/2 + rand.N(d/2+1)
}

// waitToRetry waits d, or returns an error saying why it will not: ctx is
// done, or its deadline comes before the retry could be made. last is the
// error that is being retried.
func waitToRetry(ctx context.Context, d time.Duration, last error) error {
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < d {
		return fmt.Errorf("%w (not retried: a retry after %v would pass the export deadline)", last, d.Round(time.Millisecond))
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("%w (retry abandoned: %w)", last, context.Cause(ctx))
	case <-timer.C:
		return nil
	}
}

// partialSuccess is what a server that accepted only part of an export
// says, as the SDK's exporters report it.
type partialSuccess struct {
	rejected int64
	message  string
	items    string // what was rejected: spans, log records
}

func (p partialSuccess) Error() string {
	msg := p.message
	if msg == "" {
		msg = "empty message"
	}
	return fmt.Sprintf("OTLP partial success: %s (%d %s rejected)", msg, p.rejected, p.items)
}
