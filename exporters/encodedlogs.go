package exporters

import (
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
)

// EncodedLogProcessor is a log processor that also takes records already
// encoded as OTLP LogRecord messages: a log handler that can encode a
// record itself (bootstrap's, for most slog records) then skips the
// otelslog bridge, the SDK's record and the exporter's conversion. The
// OTLP-family backends' processors are.
type EncodedLogProcessor interface {
	sdklog.Processor
	// EmitEncoded queues a copy of rec, the contents of a LogRecord
	// message, to be sent with res and scope. It never blocks (a full
	// queue drops the record and counts it) and does not keep rec.
	EmitEncoded(rec []byte, res *resource.Resource, scope instrumentation.Scope)
	// EncodedLimits says which records the processor takes encoded; the
	// others must reach it through OnEmit, where its vendor's limits apply.
	EncodedLimits() EncodedLimits
}

// EncodedLimits bound the records an EncodedLogProcessor takes encoded:
// attribute keys and string values of at most MaxKey and MaxValue bytes,
// records of at most MaxRecord bytes. Zero means no bound.
type EncodedLimits struct {
	MaxKey, MaxValue, MaxRecord int
}

// Tighter returns the bounds that keep both l's and o's.
func (l EncodedLimits) Tighter(o EncodedLimits) EncodedLimits {
	return EncodedLimits{tighter(l.MaxKey, o.MaxKey), tighter(l.MaxValue, o.MaxValue), tighter(l.MaxRecord, o.MaxRecord)}
}

func tighter(a, b int) int {
	switch {
	case a <= 0:
		return b
	case b <= 0:
		return a
	}
	return min(a, b)
}
