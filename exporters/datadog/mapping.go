package datadog

import (
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// This file maps an OTel span onto Datadog's span model. The names follow
// what Datadog itself produces for OTel spans:
//
//   - operation name: dd-trace-go's OpenTelemetry support (ddtrace/opentelemetry,
//     span.createOperationName), which is also the Agent's OTLP ingest
//     (pkg/trace/transform, GetOTelOperationNameV2);
//   - resource name and span type: the Agent's OTLP ingest (GetOTelResourceV2,
//     GetOTelSpanType), so that `GET /books/{id}` comes from http.route and the
//     native and otlp modes name resources alike;
//   - error fields: the last exception event, as the Agent's OTLP ingest does,
//     under dd-trace-go's keys (error.message, error.type, error.stack).

// Datadog's span tags, as ddtrace/ext names them.
const (
	tagResourceName  = "resource.name"
	tagOperationName = "operation.name"
	tagSpanType      = "span.type"
	tagSpanKind      = "span.kind"
	tagServiceName   = "service.name"
	tagHTTPCode      = "http.status_code"
	tagErrorMsg      = "error.message"
	tagErrorType     = "error.type"
	tagErrorStack    = "error.stack"
	tagError         = "error"
)

// OTel attribute keys the mapping reads.
const (
	attrHTTPRequestMethod = "http.request.method"
	attrHTTPMethodOld     = "http.method"
	attrHTTPRoute         = "http.route"
	attrHTTPStatus        = "http.response.status_code"
	attrDBSystem          = "db.system"
	attrDBSystemName      = "db.system.name"
	attrDBStatement       = "db.statement"
	attrDBQueryText       = "db.query.text"
	attrMsgSystem         = "messaging.system"
	attrMsgOperation      = "messaging.operation"
	attrMsgDestination    = "messaging.destination"
	attrMsgDestName       = "messaging.destination.name"
	attrRPCSystem         = "rpc.system"
	attrRPCService        = "rpc.service"
	attrRPCMethod         = "rpc.method"
	attrFaaSProvider      = "faas.invoked_provider"
	attrFaaSInvokedName   = "faas.invoked_name"
	attrFaaSTrigger       = "faas.trigger"
	attrGraphQLOpType     = "graphql.operation.type"
	attrGraphQLOpName     = "graphql.operation.name"
	attrNetProtocolName   = "network.protocol.name"

	eventException     = "exception"
	attrExceptionMsg   = "exception.message"
	attrExceptionType  = "exception.type"
	attrExceptionStack = "exception.stacktrace"
)

// attrs looks attributes up by key. Spans carry a few dozen attributes at
// most, so a linear scan beats building a map.
type attrs []attribute.KeyValue

// str returns the first non-empty string form among keys.
func (a attrs) str(keys ...string) string {
	for _, k := range keys {
		for _, kv := range a {
			if string(kv.Key) == k {
				if s := kv.Value.String(); s != "" {
					return s
				}
			}
		}
	}
	return ""
}

func (a attrs) lower(keys ...string) string { return strings.ToLower(a.str(keys...)) }

// operationName is dd-trace-go's createOperationName: operation.name when
// set, else a name built from the span kind and the semantic conventions
// present, lower-cased.
//
//codeshape:exempt faithful port of dd-trace-go's createOperationName, one case per rule in its order, checked by the table of TestNames
func operationName(kind trace.SpanKind, a attrs) string {
	if op := a.lower(tagOperationName); op != "" {
		return op
	}
	isClient, isServer := kind == trace.SpanKindClient, kind == trace.SpanKindServer
	if a.str(attrHTTPRequestMethod, attrHTTPMethodOld) != "" {
		switch kind {
		case trace.SpanKindServer:
			return "http.server.request"
		case trace.SpanKindClient:
			return "http.client.request"
		}
	}
	if db := a.lower(attrDBSystem, attrDBSystemName); db != "" && isClient {
		return db + ".query"
	}
	if sys, op := a.lower(attrMsgSystem), a.lower(attrMsgOperation); sys != "" && op != "" {
		switch kind {
		case trace.SpanKindClient, trace.SpanKindServer, trace.SpanKindConsumer, trace.SpanKindProducer:
			return sys + "." + op
		}
	}
	rpc := a.lower(attrRPCSystem)
	if rpc == "aws-api" && isClient {
		if svc := a.lower(attrRPCService); svc != "" {
			return "aws." + svc + ".request"
		}
		return "aws.client.request"
	}
	if rpc != "" && isClient {
		return rpc + ".client.request"
	}
	if rpc != "" && isServer {
		return rpc + ".server.request"
	}
	if p, n := a.lower(attrFaaSProvider), a.lower(attrFaaSInvokedName); p != "" && n != "" && isClient {
		return p + "." + n + ".invoke"
	}
	if t := a.lower(attrFaaSTrigger); t != "" && isServer {
		return t + ".invoke"
	}
	if a.str(attrGraphQLOpType) != "" {
		return "graphql.server.request"
	}
	proto := a.lower(attrNetProtocolName)
	switch {
	case isServer && proto != "":
		return proto + ".server.request"
	case isServer:
		return "server.request"
	case isClient && proto != "":
		return proto + ".client.request"
	case isClient:
		return "client.request"
	}
	return spanKindName(kind)
}

// maxResourceLen is where the Agent truncates resource names.
const maxResourceLen = 5000

// resourceName is the Agent's GetOTelResourceV2: resource.name when set;
// for HTTP the method, plus http.route on server spans (or the span name
// when it is "METHOD /route" and http.route is missing); messaging
// operation and destination; RPC method and service; GraphQL operation
// type and name; a database's query text; else the span name.
func resourceName(name string, kind trace.SpanKind, a attrs) string {
	r := resourceNameUncut(name, kind, a)
	if len(r) > maxResourceLen {
		r = r[:maxResourceLen]
	}
	return r
}

func resourceNameUncut(name string, kind trace.SpanKind, a attrs) string {
	if r := a.str(tagResourceName); r != "" {
		return r
	}
	if m := a.str(attrHTTPRequestMethod, attrHTTPMethodOld); m != "" {
		return httpResourceName(name, kind, a, m)
	}
	if op := a.str(attrMsgOperation); op != "" {
		if dest := a.str(attrMsgDestination, attrMsgDestName); dest != "" {
			return op + " " + dest
		}
		return op
	}
	if m := a.str(attrRPCMethod); m != "" {
		if svc := a.str(attrRPCService); svc != "" {
			return m + " " + svc
		}
		return m
	}
	if t := a.str(attrGraphQLOpType); t != "" {
		if n := a.str(attrGraphQLOpName); n != "" {
			return t + " " + n
		}
		return t
	}
	if a.str(attrDBSystem, attrDBSystemName) != "" {
		if q := a.str(attrDBStatement, attrDBQueryText); q != "" {
			return q
		}
	}
	return name
}

// httpResourceName is the resource of an HTTP span with method m: the
// method and, on a server, the route.
func httpResourceName(name string, kind trace.SpanKind, a attrs, m string) string {
	if m == "_OTHER" {
		m = "HTTP"
	}
	if kind == trace.SpanKindServer {
		if route := a.str(attrHTTPRoute); route != "" {
			return m + " " + route
		}
	}
	// otelhttp wrapping a ServeMux learns the route only after the span
	// started: it names the span "GET /books/{id}" but sets no
	// http.route. That name is the route.
	if rest, ok := strings.CutPrefix(name, m+" "); ok && strings.HasPrefix(rest, "/") {
		return name
	}
	return m
}

// dbSpanTypes is the Agent's table of span types for db.system values; other
// databases are "db".
var dbSpanTypes = map[string]string{
	"redis": "redis", "memcached": "memcached", "mongodb": "mongodb", "cassandra": "cassandra",
	"elasticsearch": "elasticsearch", "opensearch": "opensearch",
	"other_sql": "sql", "mssql": "sql", "mysql": "sql", "oracle": "sql", "db2": "sql", "postgresql": "sql",
	"redshift": "sql", "cloudscape": "sql", "hsqldb": "sql", "maxdb": "sql", "ingres": "sql", "firstsql": "sql",
	"edb": "sql", "cache": "sql", "firebird": "sql", "derby": "sql", "informix": "sql", "mariadb": "sql",
	"sqlite": "sql", "sybase": "sql", "teradata": "sql", "vertica": "sql", "h2": "sql", "coldfusion": "sql",
	"cockroachdb": "sql", "progress": "sql", "hanadb": "sql", "adabas": "sql", "filemaker": "sql",
	"instantdb": "sql", "interbase": "sql", "netezza": "sql", "pervasive": "sql", "pointbase": "sql",
	"clickhouse": "sql",
}

// spanType is the Agent's GetOTelSpanType: span.type when set, web for
// server spans, the database's type or http for client spans, else custom.
func spanType(kind trace.SpanKind, a attrs) string {
	if t := a.str(tagSpanType); t != "" {
		return t
	}
	switch kind {
	case trace.SpanKindServer:
		return "web"
	case trace.SpanKindClient:
		db := a.lower(attrDBSystem, attrDBSystemName)
		if db == "" {
			return "http"
		}
		if t, ok := dbSpanTypes[db]; ok {
			return t
		}
		return "db"
	}
	return "custom"
}

// spanKindName is the span.kind tag dd-trace-go writes: server, client,
// producer, consumer or internal (an unspecified kind counts as internal).
func spanKindName(k trace.SpanKind) string {
	switch k {
	case trace.SpanKindServer, trace.SpanKindClient, trace.SpanKindProducer, trace.SpanKindConsumer:
		return k.String()
	}
	return trace.SpanKindInternal.String()
}

// spanError is what Datadog shows for a failed span.
type spanError struct {
	message, typ, stack string
}

// errorOf reports the error of a span whose status is Error. The last
// exception event supplies message, type and stack (as the Agent's OTLP
// ingest reads them); when no event has a message, the status description
// is the message, else the HTTP status code. Spans with another status are
// not errors, whatever their events say: in OTel an exception event alone
// records a handled error.
func errorOf(s sdktrace.ReadOnlySpan) (spanError, bool) {
	st := s.Status()
	if st.Code != codes.Error {
		return spanError{}, false
	}
	var e spanError
	for _, ev := range s.Events() {
		if ev.Name != eventException {
			continue
		}
		a := attrs(ev.Attributes)
		if m := a.str(attrExceptionMsg); m != "" {
			e.message = m
		}
		if t := a.str(attrExceptionType); t != "" {
			e.typ = t
		}
		if st := a.str(attrExceptionStack); st != "" {
			e.stack = st
		}
	}
	if e.message == "" {
		e.message = st.Description
	}
	if e.message == "" {
		e.message = attrs(s.Attributes()).str(attrHTTPStatus, tagHTTPCode)
	}
	return e, true
}

// httpStatusTag is the value dd-trace-go stores under http.status_code for
// http.response.status_code: its decimal string.
func httpStatusTag(v attribute.Value) string {
	switch v.Type() {
	case attribute.INT64:
		return strconv.FormatInt(v.AsInt64(), 10)
	default:
		return v.String()
	}
}
