package otlp

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/exporters/otlp/internal/otlpwire"
)

// sdkLogExporter, when set (by tests), makes NewBackend give OTLP backends
// the SDK's otlploggrpc and otlploghttp exporters behind NewLogProcessor
// instead of the wire log processor, for comparing the two.
var sdkLogExporter bool

// LogLimits are a vendor's limits on the log records it takes, kept by the
// wire log processor.
type LogLimits struct {
	// Record, when set, returns r, or a copy of r changed to keep the
	// vendor's limits. It must not change r, which other backends' processors
	// see too.
	Record func(r *sdklog.Record) *sdklog.Record
	// MaxRequest, when positive, bounds the bytes of each request: a batch
	// that would be larger goes in several.
	MaxRequest int
	// Encoded bounds the records taken already encoded (EmitEncoded): those
	// Record would leave as they are.
	Encoded exporters.EncodedLimits
}

// wireLogs is the log path of every OTLP-family backend, as the wire span
// exporter is for spans: OnEmit encodes each record straight to its
// LogRecord message (otlpwire.AppendLogRecord) into a pooled buffer, on
// the goroutine that emits it, and the processor's goroutine joins the
// queued messages into a request and sends it with the senders spans use.
// The SDK's exporters copy every record into the processor's queue, then
// build protobuf structs of it at export, about ten allocations a record
// (docs/performance.md, "Log export per request").
type wireLogs struct {
	enc    otlpwire.LogEncoder
	send   sender
	limits LogLimits
	buf    []byte // the request; the processor's goroutine's only
	free   chan *otlpwire.LogRecord
}

// newWireLogProcessor returns the counting batch log processor over tr
// that NewBackend gives an OTLP-family backend taking logs.
func newWireLogProcessor(tr transport, counters *exporters.Counters, limits *LogLimits, batch exporters.Batch, opts ...exporters.BatchOption) (sdklog.Processor, error) {
	s, err := newSender(tr, signalCounters(counters, (*exporters.Counters).Logs), logSignal)
	if err != nil {
		return nil, err
	}
	w := &wireLogs{send: s, free: make(chan *otlpwire.LogRecord, 2*max(batch.MaxExport, 1))}
	if limits != nil {
		w.limits = *limits
	}
	return wireLogProcessor{exporters.NewConvertingLogProcessor(w.keep, w.export, s.close, opts...), w}, nil
}

// wireLogProcessor is the processor of newWireLogProcessor. It takes
// records already encoded too (exporters.EncodedLogProcessor).
type wireLogProcessor struct {
	*exporters.ConvertingLogProcessor[*otlpwire.LogRecord]
	w *wireLogs
}

func (p wireLogProcessor) EmitEncoded(rec []byte, res *resource.Resource, scope instrumentation.Scope) {
	m := p.w.record()
	m.B = append(m.B, rec...)
	m.Resource, m.Scope = res, scope
	p.Enqueue(m)
}

func (p wireLogProcessor) EncodedLimits() exporters.EncodedLimits { return p.w.limits.Encoded }

// maxKeptRecord bounds the record buffers kept for reuse: a record is a
// few hundred bytes; a huge one is left to the GC.
const maxKeptRecord = 16 << 10

// record returns an empty record, reusing one sent before when it can.
// Kept records wait in a free list of two batches at most rather than a
// sync.Pool, which every GC empties: on a busy service that is many times
// between two exports, and each record would grow a buffer anew.
func (w *wireLogs) record() *otlpwire.LogRecord {
	select {
	case m := <-w.free:
		return m
	default:
		return &otlpwire.LogRecord{B: make([]byte, 0, 256)}
	}
}

// keep encodes r, limited when the vendor has limits.
func (w *wireLogs) keep(r *sdklog.Record) *otlpwire.LogRecord {
	if w.limits.Record != nil {
		r = w.limits.Record(r)
	}
	m := w.record()
	m.B = otlpwire.AppendLogRecord(m.B, r)
	m.Resource, m.Scope = r.Resource(), r.InstrumentationScope()
	return m
}

// export sends records in one request, or in as many as MaxRequest needs,
// and gives the records back to the pool.
func (w *wireLogs) export(ctx context.Context, records []*otlpwire.LogRecord) error {
	defer w.release(records)
	var errs []error
	for start := 0; start < len(records); {
		end := w.cut(records, start)
		w.buf = w.enc.AppendRequest(w.buf[:0], records[start:end])
		if err := w.send.send(ctx, w.buf); err != nil {
			// The transport may still read a body it failed to send (see
			// otlpwire.Buffer): the next request gets a new one.
			w.buf = nil
			errs = append(errs, err)
		}
		start = end
	}
	if cap(w.buf) > maxPooledBuffer {
		w.buf = nil
	}
	return errors.Join(errs...)
}

// cut returns where the request that starts at records[start] ends: the
// end of records, or before the record that would take it past MaxRequest.
// A request holds one record at least.
func (w *wireLogs) cut(records []*otlpwire.LogRecord, start int) int {
	if w.limits.MaxRequest <= 0 {
		return len(records)
	}
	size := 0
	for i := start; i < len(records); i++ {
		r := records[i]
		if i == start || !r.SameGroup(records[i-1]) {
			size += w.enc.Overhead(r)
		}
		size += otlpwire.LogRecordSize(len(r.B))
		if i > start && size > w.limits.MaxRequest {
			return i
		}
	}
	return len(records)
}

// release gives records back to the free list, as much as it holds.
func (w *wireLogs) release(records []*otlpwire.LogRecord) {
	for _, r := range records {
		if cap(r.B) > maxKeptRecord {
			continue
		}
		r.B, r.Resource, r.Scope = r.B[:0], nil, instrumentation.Scope{}
		select {
		case w.free <- r:
		default:
			return
		}
	}
}

var _ exporters.EncodedLogProcessor = wireLogProcessor{}

// SlogLimits bound the records AppendSlogRecord encodes: at most MaxAttrs
// attributes (the SDK's attribute count limit; past it the SDK drops
// some), keys and string values of at most MaxKey and MaxValue bytes, and
// at most MaxRecord bytes in all. Zero means no bound, but for MaxAttrs.
type SlogLimits struct {
	MaxAttrs, MaxKey, MaxValue, MaxRecord int
}

// AppendSlogRecord appends to b the contents of the LogRecord message that
// the otelslog bridge, the SDK's LoggerProvider and its OTLP exporter make
// of r, when its conversion is plain (see otlpwire.AppendSlogRecord), for
// an EncodedLogProcessor; it returns b and false when not.
func AppendSlogRecord(b []byte, with []slog.Attr, r slog.Record, sc trace.SpanContext, observed time.Time, lim SlogLimits) ([]byte, bool) {
	return otlpwire.AppendSlogRecord(b, with, r, sc, observed, otlpwire.SlogLimits(lim))
}
