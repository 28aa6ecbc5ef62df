package otlpwire

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	"google.golang.org/protobuf/encoding/protowire"
)

// Field numbers of opentelemetry/proto/{collector/logs,logs}/v1.
const (
	requestResourceLogs = 1

	resourceLogsResource  = 1
	resourceLogsScopeLogs = 2
	resourceLogsSchemaURL = 3

	scopeLogsScope      = 1
	scopeLogsLogRecords = 2
	scopeLogsSchemaURL  = 3

	logTime               = 1
	logSeverityNumber     = 2
	logSeverityText       = 3
	logBody               = 5
	logAttributes         = 6
	logDroppedAttributes  = 7
	logFlags              = 8
	logTraceID            = 9
	logSpanID             = 10
	logObservedTime       = 11
	logEventName          = 12
	severityNumberHighest = 24 // SEVERITY_NUMBER_FATAL4
)

// AppendLogRecord appends to b the contents of the LogRecord message the
// SDK's OTLP log exporters make of r (their transform.LogRecord): the body
// always, the trace and span IDs when valid, the rest when set. It is what
// those exporters spend most of their allocations on, done in place.
func AppendLogRecord(b []byte, r *sdklog.Record) []byte {
	b = appendFixed64(b, logTime, unixNano(r.Timestamp().UnixNano()))
	if s := r.Severity(); s >= log.SeverityTrace1 && s <= severityNumberHighest {
		b = appendVarintField(b, logSeverityNumber, uint64(s))
	}
	b = appendString(b, logSeverityText, r.SeverityText())
	var m int
	b, m = begin(b, logBody, 1)
	b = appendValue(b, r.Body())
	b = end(b, m, 1)
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		b = appendKeyValue(b, logAttributes, kv)
		return true
	})
	b = appendCount(b, logDroppedAttributes, r.DroppedAttributes())
	b = appendFixed32(b, logFlags, uint32(r.TraceFlags()))
	if tid := r.TraceID(); tid.IsValid() {
		b = appendBytesField(b, logTraceID, tid[:])
	}
	if sid := r.SpanID(); sid.IsValid() {
		b = appendBytesField(b, logSpanID, sid[:])
	}
	b = appendFixed64(b, logObservedTime, unixNano(r.ObservedTimestamp().UnixNano()))
	return appendString(b, logEventName, r.EventName())
}

// LogRecord is one record encoded by AppendLogRecord, with the resource
// and scope its request must carry.
type LogRecord struct {
	B        []byte
	Resource *resource.Resource
	Scope    instrumentation.Scope
}

// SameGroup reports whether r and o go in the same ResourceLogs and
// ScopeLogs: same scope, and the same resource or an equivalent one (a
// record encoded without the SDK carries a copy of its provider's).
func (r *LogRecord) SameGroup(o *LogRecord) bool {
	if r.Scope != o.Scope {
		return false
	}
	return r.Resource == o.Resource || r.Resource != nil && o.Resource != nil && r.Resource.Equivalent() == o.Resource.Equivalent()
}

// LogEncoder writes ExportLogsServiceRequest messages of encoded records.
// It keeps the encoded resources and scopes as Encoder does. It is safe for
// concurrent use.
type LogEncoder struct {
	enc Encoder
}

// AppendRequest appends to dst a request holding records, in order: each
// run of records that share a resource and scope goes in one ResourceLogs
// with one ScopeLogs, as the SDK groups them (every record of a processor
// has its provider's resource, and slog records one scope).
func (e *LogEncoder) AppendRequest(dst []byte, records []*LogRecord) []byte {
	e.enc.mu.Lock()
	defer e.enc.mu.Unlock()
	for i := 0; i < len(records); {
		j := i + 1
		for j < len(records) && records[j].SameGroup(records[i]) {
			j++
		}
		dst = e.appendResourceLogs(dst, records[i:j])
		i = j
	}
	return dst
}

// appendResourceLogs appends one ResourceLogs of records, which share their
// resource and scope. The resource and scope are left out when empty, as
// the SDK's transform leaves them.
func (e *LogEncoder) appendResourceLogs(dst []byte, records []*LogRecord) []byte {
	res, scope := records[0].Resource, records[0].Scope
	var rl, sl int
	dst, rl = begin(dst, requestResourceLogs, 3)
	if res != nil && res.Len() > 0 {
		dst = appendBytesField(dst, resourceLogsResource, e.enc.resource(res))
	}
	dst, sl = begin(dst, resourceLogsScopeLogs, 3)
	if scope != (instrumentation.Scope{}) {
		dst = appendBytesField(dst, scopeLogsScope, e.enc.scope(scope))
	}
	for _, r := range records {
		dst = protowire.AppendTag(dst, scopeLogsLogRecords, protowire.BytesType)
		dst = protowire.AppendBytes(dst, r.B)
	}
	dst = appendString(dst, scopeLogsSchemaURL, scope.SchemaURL)
	dst = end(dst, sl, 3)
	if res != nil {
		dst = appendString(dst, resourceLogsSchemaURL, res.SchemaURL())
	}
	return end(dst, rl, 3)
}

// LogRecordSize is what a record of n encoded bytes adds to a request: its
// tag and length.
func LogRecordSize(n int) int {
	return 1 + protowire.SizeVarint(uint64(n)) + n
}

// Overhead bounds what a request adds around a run of records like r: the
// ResourceLogs and ScopeLogs framing, the resource and the scope.
func (e *LogEncoder) Overhead(r *LogRecord) int {
	e.enc.mu.Lock()
	defer e.enc.mu.Unlock()
	// Six fields at most (ResourceLogs, its resource, ScopeLogs, its scope,
	// two schema URLs), each a tag and a length of 5 bytes at most.
	const framing = 6 * (1 + 5)
	n := framing + len(e.enc.scope(r.Scope)) + len(r.Scope.SchemaURL)
	if r.Resource != nil {
		n += len(e.enc.resource(r.Resource)) + len(r.Resource.SchemaURL())
	}
	return n
}
