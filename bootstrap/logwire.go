package bootstrap

import (
	"os"
	"time"

	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/exporters/otlp"
)

// The wire path. Most records a service writes hold only strings, numbers,
// booleans, times and durations. For those the queue's goroutine skips the
// otelslog bridge, the SDK's record and its exporter's conversion: it
// encodes the record once, straight to its OTLP LogRecord message
// (otlp.AppendSlogRecord, exactly what that chain would send), and hands
// the bytes to every backend's processor (exporters.EncodedLogProcessor),
// which keeps a copy for its next request. Any other record (a group, a
// map, an error, a duplicate key, a value past a vendor's limits) takes
// the bridge and the SDK, as before. The path is on only when every
// backend's log processor takes encoded records (the OTLP-family ones do;
// the New Relic agent's does not, nor is there a queue with the console
// exporter).

// sdkAttrCountLimit is the SDK's default attribute count limit: the wire
// path leaves a record with more attributes to the SDK, which drops some.
const sdkAttrCountLimit = 128

// sdkLimitVariables are the SDK's own attribute limit variables, which
// sdklog reads from the process's environment. The wire path does not
// apply them, so with either set every record takes the SDK.
var sdkLimitVariables = []string{"OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT", "OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT"}

// bridgeScope is the scope the SDK gives the bridge's records.
var bridgeScope = instrumentation.Scope{Name: bridgeName}

// wireSinks is the wire path of a logQueue: the backends' processors, each
// with the resource its LoggerProvider gives records.
type wireSinks struct {
	sinks []wireSink
	lim   otlp.SlogLimits
	buf   []byte // the queue's goroutine's only
}

type wireSink struct {
	p   exporters.EncodedLogProcessor
	res *resource.Resource
}

// newWireSinks returns the wire path to backends' processors, or nil when
// one takes no encoded records or the SDK's limit variables are set. res
// is the service's resource; like sdklog.WithResource, it merges the
// process's OTEL_RESOURCE_ATTRIBUTES in, so records carry the resource
// they would through the SDK.
func newWireSinks(res *resource.Resource, backends []*exporters.Backend) *wireSinks {
	for _, v := range sdkLimitVariables {
		if _, set := os.LookupEnv(v); set {
			return nil
		}
	}
	w := &wireSinks{}
	var lim exporters.EncodedLimits
	for _, b := range backends {
		if b.LogProcessor == nil {
			continue
		}
		p, ok := b.LogProcessor.(exporters.EncodedLogProcessor)
		if !ok {
			return nil
		}
		r := res
		if b.LogResource != nil {
			r = b.LogResource
		}
		r, _ = resource.Merge(resource.Environment(), r) // what the SDK sends, error or not
		w.sinks = append(w.sinks, wireSink{p, r})
		lim = lim.Tighter(p.EncodedLimits())
	}
	if len(w.sinks) == 0 {
		return nil
	}
	w.lim = otlp.SlogLimits{MaxAttrs: sdkAttrCountLimit, MaxKey: lim.MaxKey, MaxValue: lim.MaxValue, MaxRecord: lim.MaxRecord}
	return w
}

// emit encodes e's record and hands it to every sink, or reports false
// when the record must take the bridge.
func (w *wireSinks) emit(e *logEntry) bool {
	var ok bool
	w.buf, ok = otlp.AppendSlogRecord(w.buf[:0], e.with, e.rec, trace.SpanContextFromContext(e.ctx), time.Now(), w.lim)
	if !ok {
		return false
	}
	for _, s := range w.sinks {
		s.p.EmitEncoded(w.buf, s.res, bridgeScope)
	}
	return true
}
