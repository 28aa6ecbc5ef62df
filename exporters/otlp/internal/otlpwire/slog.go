package otlpwire

import (
	"log/slog"
	"math"
	"time"

	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/encoding/protowire"
)

// SlogLimits bound the records AppendSlogRecord encodes: at most MaxAttrs
// attributes (the SDK's attribute count limit; past it the SDK drops some),
// keys and string values of at most MaxKey and MaxValue bytes, and at most
// MaxRecord bytes in all. Zero means no bound, but for MaxAttrs.
type SlogLimits struct {
	MaxAttrs, MaxKey, MaxValue, MaxRecord int
}

// maxSlogAttrs bounds the attributes of a record AppendSlogRecord encodes,
// whatever the limits: it checks keys are unique pair by pair.
const maxSlogAttrs = 32

// AppendSlogRecord appends to b the contents of the LogRecord message that
// the otelslog bridge, the SDK's LoggerProvider and its OTLP exporter make
// of r, written through a handler given the attributes with (WithAttrs,
// no WithGroup), inside the span sc, and observed at observed. It does so
// only for the records whose conversion is plain: every attribute has a
// key of its own and a string, number, boolean, time or duration, within
// lim. For any other (groups, maps, errors, LogValuers, a duplicate or
// empty key, ...), and when the result would exceed lim.MaxRecord, it
// returns b as it was and false: the record must take the bridge.
func AppendSlogRecord(b []byte, with []slog.Attr, r slog.Record, sc trace.SpanContext, observed time.Time, lim SlogLimits) ([]byte, bool) {
	if !plainSlog(with, r, lim) {
		return b, false
	}
	start := len(b)
	b = appendFixed64(b, logTime, unixNano(r.Time.UnixNano()))
	// The bridge's severity: slog's levels are 4 apart, OpenTelemetry's
	// severities too, with DEBUG at 5 rather than -4.
	if s := int64(r.Level) + 9; s >= 1 && s <= severityNumberHighest {
		b = appendVarintField(b, logSeverityNumber, uint64(s))
	}
	b = appendString(b, logSeverityText, r.Level.String())
	var m int
	b, m = begin(b, logBody, 1)
	b = appendStringField(b, anyString, r.Message)
	b = end(b, m, 1)
	for _, a := range with {
		b = appendSlogAttr(b, a)
	}
	r.Attrs(func(a slog.Attr) bool {
		b = appendSlogAttr(b, a)
		return true
	})
	b = appendFixed32(b, logFlags, uint32(sc.TraceFlags()))
	if tid := sc.TraceID(); tid.IsValid() {
		b = appendBytesField(b, logTraceID, tid[:])
	}
	if sid := sc.SpanID(); sid.IsValid() {
		b = appendBytesField(b, logSpanID, sid[:])
	}
	b = appendFixed64(b, logObservedTime, unixNano(observed.UnixNano()))
	if lim.MaxRecord > 0 && len(b)-start > lim.MaxRecord {
		return b[:start], false
	}
	return b, true
}

// plainSlog reports whether AppendSlogRecord may encode the attributes
// with and r's: few enough, each plain, keys set and unique.
func plainSlog(with []slog.Attr, r slog.Record, lim SlogLimits) bool {
	n := len(with) + r.NumAttrs()
	if n > maxSlogAttrs || n > lim.MaxAttrs {
		return false
	}
	var keys [maxSlogAttrs]string
	keysOf(with, keys[:0])
	i, ok := len(with), true
	r.Attrs(func(a slog.Attr) bool {
		keys[i], ok = a.Key, plainAttr(a, lim)
		i++
		return ok
	})
	for _, a := range with {
		ok = ok && plainAttr(a, lim)
	}
	return ok && unique(keys[:n])
}

func keysOf(attrs []slog.Attr, keys []string) []string {
	for _, a := range attrs {
		keys = append(keys, a.Key)
	}
	return keys
}

// plainAttr reports whether the bridge converts a to a single attribute of
// a scalar value that the SDK and lim leave as it is.
func plainAttr(a slog.Attr, lim SlogLimits) bool {
	if a.Key == "" || lim.MaxKey > 0 && len(a.Key) > lim.MaxKey {
		return false
	}
	switch a.Value.Kind() {
	case slog.KindString:
		return lim.MaxValue <= 0 || len(a.Value.String()) <= lim.MaxValue
	case slog.KindInt64, slog.KindUint64, slog.KindFloat64, slog.KindBool, slog.KindDuration, slog.KindTime:
		return true
	}
	return false
}

// unique reports whether no two keys are equal (the SDK keeps the last of
// equal keys and counts nothing, so such records take the bridge).
func unique(keys []string) bool {
	for i := 1; i < len(keys); i++ {
		for j := range i {
			if keys[i] == keys[j] {
				return false
			}
		}
	}
	return true
}

// appendSlogAttr appends a, a plain attribute, as a LogRecord attribute,
// converted as the bridge converts it.
func appendSlogAttr(b []byte, a slog.Attr) []byte {
	var m, v int
	b, m = begin(b, logAttributes, 1)
	b = appendString(b, keyValueKey, a.Key)
	b, v = begin(b, keyValueValue, 1)
	switch val := a.Value; val.Kind() {
	case slog.KindString:
		b = appendStringField(b, anyString, val.String())
	case slog.KindInt64:
		b = appendVarintField(b, anyInt, uint64(val.Int64()))
	case slog.KindUint64:
		// The bridge keeps what int64 holds and makes the rest a double.
		if u := val.Uint64(); u > math.MaxInt64 {
			b = appendFixed64Field(b, anyDouble, math.Float64bits(float64(u)))
		} else {
			b = appendVarintField(b, anyInt, u)
		}
	case slog.KindFloat64:
		b = appendFixed64Field(b, anyDouble, math.Float64bits(val.Float64()))
	case slog.KindBool:
		b = appendVarintField(b, anyBool, protowire.EncodeBool(val.Bool()))
	case slog.KindDuration:
		b = appendVarintField(b, anyInt, uint64(val.Duration().Nanoseconds()))
	case slog.KindTime:
		b = appendVarintField(b, anyInt, uint64(val.Time().UnixNano()))
	}
	b = end(b, v, 1)
	return end(b, m, 1)
}
