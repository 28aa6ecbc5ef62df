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
	attrDBNamespace       = "db.namespace"
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

// namingKeys are the attributes operationName, resourceName and spanType
// read: the only ones of a resource that can change a span's names.
var namingKeys = map[string]bool{
	tagOperationName: true, tagResourceName: true, tagSpanType: true,
	attrHTTPRequestMethod: true, attrHTTPMethodOld: true, attrHTTPRoute: true,
	attrDBSystem: true, attrDBStatement: true, attrDBQueryText: true,
	attrMsgSystem: true, attrMsgOperation: true, attrMsgDestination: true, attrMsgDestName: true,
	attrRPCSystem: true, attrRPCService: true, attrRPCMethod: true,
	attrFaaSProvider: true, attrFaaSInvokedName: true, attrFaaSTrigger: true,
	attrGraphQLOpType: true, attrGraphQLOpName: true, attrNetProtocolName: true,
}

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
	if op := protocolOperationName(kind, a); op != "" {
		return op
	}
	if op := rpcOperationName(kind, a); op != "" {
		return op
	}
	return genericOperationName(kind, a)
}

// protocolOperationName names HTTP, database and messaging spans, the
// Agent's first rules after operation.name; "" when none applies.
func protocolOperationName(kind trace.SpanKind, a attrs) string {
	if a.str(attrHTTPRequestMethod, attrHTTPMethodOld) != "" {
		switch kind {
		case trace.SpanKindServer:
			return "http.server.request"
		case trace.SpanKindClient:
			return "http.client.request"
		}
	}
	// The Agent reads db.system only: a span with only the newer
	// db.system.name is a generic client.request there, and so here.
	if db := a.lower(attrDBSystem); db != "" && kind == trace.SpanKindClient {
		return db + ".query"
	}
	if sys, op := a.lower(attrMsgSystem), a.lower(attrMsgOperation); sys != "" && op != "" {
		switch kind {
		case trace.SpanKindClient, trace.SpanKindServer, trace.SpanKindConsumer, trace.SpanKindProducer:
			return sys + "." + op
		}
	}
	return ""
}

// rpcOperationName names RPC and AWS SDK spans; "" when none applies.
func rpcOperationName(kind trace.SpanKind, a attrs) string {
	rpc := a.lower(attrRPCSystem)
	isClient := kind == trace.SpanKindClient
	switch {
	case rpc == "aws-api" && isClient:
		if svc := a.lower(attrRPCService); svc != "" {
			return "aws." + svc + ".request"
		}
		return "aws.client.request"
	case rpc != "" && isClient:
		return rpc + ".client.request"
	case rpc != "" && kind == trace.SpanKindServer:
		return rpc + ".server.request"
	}
	return ""
}

// genericOperationName is the rest of the Agent's rules: FaaS, GraphQL,
// the network protocol of a server or client, else the kind.
func genericOperationName(kind trace.SpanKind, a attrs) string {
	isClient, isServer := kind == trace.SpanKindClient, kind == trace.SpanKindServer
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
	return kindOperationName(kind)
}

// kindOperationName is the Agent's last resort: the span kind as OTel's
// collector spells it (Internal, Producer, Consumer), an unspecified kind
// counting as Internal. dd-trace-go's own OTel API lower-cases it; the Agent
// does not, and both modes follow the Agent.
func kindOperationName(kind trace.SpanKind) string {
	switch kind {
	case trace.SpanKindProducer:
		return "Producer"
	case trace.SpanKindConsumer:
		return "Consumer"
	case trace.SpanKindServer:
		return "Server"
	case trace.SpanKindClient:
		return "Client"
	}
	return "Internal"
}

// maxResourceLen is where the Agent truncates resource names.
const maxResourceLen = 5000

// resourceName is the Agent's GetOTelResourceV2: resource.name when set;
// for HTTP the method, plus http.route on server spans (without
// http.route, the method alone, as the Agent does); messaging
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
		return httpResourceName(kind, a, m)
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
	if a.str(attrDBSystem) != "" {
		if q := a.str(attrDBStatement, attrDBQueryText); q != "" {
			return q
		}
	}
	return name
}

// httpResourceName is the resource of an HTTP span with method m: the
// method and, on a server, the route.
func httpResourceName(kind trace.SpanKind, a attrs, m string) string {
	if m == "_OTHER" {
		m = "HTTP"
	}
	if kind == trace.SpanKindServer {
		if route := a.str(attrHTTPRoute); route != "" {
			return m + " " + route
		}
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
		db := a.lower(attrDBSystem)
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

// ddTagKeys is the Agent's renaming of OTel attributes to Datadog's tag
// names (datadog-agent pkg/opentelemetry-mapping-go/otlp/attributes,
// HTTPMappings, v0.73 to v0.82): the Agent sends the attribute under the
// Datadog name only.
var ddTagKeys = map[string]string{
	"client.address":               "http.client_ip",
	"http.response.body.size":      "http.response.content_length",
	attrHTTPStatus:                 tagHTTPCode,
	"http.request.body.size":       "http.request.content_length",
	"http.request.header.referrer": "http.referrer",
	attrHTTPRequestMethod:          "http.method",
	attrHTTPRoute:                  "http.route",
	"network.protocol.version":     "http.version",
	"server.address":               "http.server_name",
	"url.full":                     "http.url",
	"user_agent.original":          "http.useragent",
}

// ddTagKey is the tag an attribute becomes, as the Agent names it: the
// table above, and request headers under http.request.headers.
func ddTagKey(k string) string {
	if dd, ok := ddTagKeys[k]; ok {
		return dd
	}
	if h, ok := strings.CutPrefix(k, "http.request.header."); ok {
		return "http.request.headers." + h
	}
	return k
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
// is the message, else an HTTP status code given as a string. Spans with another status are
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
		e.message = stringStatusCode(s.Attributes())
	}
	return e, true
}

// stringStatusCode is the HTTP status code when an attribute carries it as
// a string. The Agent's OTLP mapping falls back to the status code only then
// (it looks among the string tags; an integer code becomes a metric), so an
// error span with an integer code and no message has no message in either
// mode.
func stringStatusCode(kvs []attribute.KeyValue) string {
	for _, k := range []string{attrHTTPStatus, tagHTTPCode} {
		for _, kv := range kvs {
			if string(kv.Key) == k && kv.Value.Type() == attribute.STRING && kv.Value.AsString() != "" {
				return kv.Value.AsString()
			}
		}
	}
	return ""
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
