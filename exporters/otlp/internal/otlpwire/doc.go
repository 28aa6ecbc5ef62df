// Package otlpwire writes OTLP ExportTraceServiceRequest messages straight
// from the SDK's ended spans, in protobuf wire format, with
// google.golang.org/protobuf/encoding/protowire appends into a caller's
// buffer.
//
// The SDK's OTLP exporters first build the generated proto structs (a
// pointer per span, attribute, value, event and link), then marshal them:
// most of their CPU and nearly all their allocations per span go to that
// intermediate form (docs/performance.md, "Where the export CPU goes").
// Encoding the wire bytes directly skips it: each span is written once,
// each resource and instrumentation scope is encoded once and its bytes
// reused for every batch that carries it, and a nested message's length is
// written after its contents, moving them only when the length takes more
// bytes than reserved.
//
// The output is what the SDK's own transform produces (the differential
// tests decode it with the official OTLP protos and compare it with the
// request otlptracehttp sends), with two differences, both towards the
// specification: links carry their trace state, which the SDK's transform
// leaves out, and strings that are not valid UTF-8 are sent with the bad
// bytes replaced by U+FFFD where the SDK fails the whole export (proto3
// strings must be UTF-8).
//
// Log records are done the same way (logs.go): AppendLogRecord writes an
// SDK log record's LogRecord message, AppendSlogRecord writes the one the
// otelslog bridge and the SDK would make of a plain slog record, and
// LogEncoder joins encoded records into an ExportLogsServiceRequest. Their
// differential tests (exporters/otlp, wire_logs_test.go) compare them with
// the SDK's log exporters and the bridge.
package otlpwire
