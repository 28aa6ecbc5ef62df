package newrelic

import (
	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/exporters/otlp"
)

// logLimits are New Relic's limits for the wire log processor. Records it
// takes encoded (from bootstrap's slog handler, which encodes only strings,
// numbers, booleans, times and durations) must have keys and strings that
// limitKeyValue leaves alone, and be far from the size where limitRecord
// cuts the body.
var logLimits = &otlp.LogLimits{
	Record:     limitLogRecord,
	MaxRequest: payloadBudget,
	Encoded:    exporters.EncodedLimits{MaxKey: maxNameBytes, MaxValue: maxValueBytes, MaxRecord: 64 << 10},
}

// limitLogRecord is limitRecord for the wire log processor, which encodes
// each record as it is emitted and splits requests itself (LogLimits'
// MaxRequest): it returns r when r keeps every limit, and a limited copy
// when not, since the SDK hands the same record to every processor.
func limitLogRecord(r *sdklog.Record) *sdklog.Record {
	if keepsLimits(r, payloadBudget) {
		return r
	}
	c := r.Clone()
	limitRecord(&c, payloadBudget)
	return &c
}

// keepsLimits reports whether limitRecord would leave r as it is.
func keepsLimits(r *sdklog.Record, budget int) bool {
	ok := true
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		_, keep, changed := limitKeyValue(kv)
		ok = keep && !changed
		return ok
	})
	return ok && recordSize(r)+requestOverhead+4096 <= budget
}

// recordSize bounds one LogRecord as a repeated field of its ScopeLogs.
func recordSize(r *sdklog.Record) int {
	n := 2*scalarSize + // time and observed time
		scalarSize + lenField(len(r.SeverityText())) +
		lenField(anyValueSize(r.Body())) +
		scalarSize + scalarSize + // dropped attributes, flags
		lenField(16) + lenField(8) + // trace and span ID
		lenField(len(r.EventName()))
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		n += attributeSize(kv)
		return true
	})
	return lenField(n)
}

// limitRecord applies the attribute limits to r and cuts a body that would
// keep r alone over budget.
func limitRecord(r *sdklog.Record, budget int) {
	var kvs []attribute.KeyValue
	changed := false
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		v, keep, ch := limitKeyValue(kv)
		changed = changed || ch
		if keep {
			kvs = append(kvs, v)
		}
		return true
	})
	if changed {
		r.SetAttributes(kvs...)
	}
	over := recordSize(r) + requestOverhead + 4096 - budget
	if over <= 0 {
		return
	}
	body := r.Body()
	text := body.AsString()
	if body.Type() != attribute.STRING {
		text = body.String()
	}
	cut, _ := truncate(text, max(len(text)-over, 0))
	r.SetBody(attribute.StringValue(cut))
}
