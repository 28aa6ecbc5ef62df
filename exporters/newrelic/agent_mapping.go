package newrelic

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	nr "github.com/newrelic/go-agent/v3/newrelic"
	"github.com/newrelic/go-agent/v3/newrelic/sqlparse"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Attribute keys read by the mapping: the stable OTel semantic conventions
// first, then the older names instrumentations still send.
const (
	attrHTTPMethod      = "http.request.method"
	attrHTTPMethodOld   = "http.method"
	attrHTTPRoute       = "http.route"
	attrHTTPStatus      = "http.response.status_code"
	attrHTTPStatusOld   = "http.status_code"
	attrURLFull         = "url.full"
	attrURLFullOld      = "http.url"
	attrURLScheme       = "url.scheme"
	attrURLSchemeOld    = "http.scheme"
	attrURLPath         = "url.path"
	attrURLTargetOld    = "http.target"
	attrServerAddress   = "server.address"
	attrServerPort      = "server.port"
	attrNetPeerName     = "net.peer.name"
	attrUserAgent       = "user_agent.original"
	attrUserAgentOld    = "http.user_agent"
	attrDBSystem        = "db.system.name"
	attrDBSystemOld     = "db.system"
	attrDBQuery         = "db.query.text"
	attrDBStatementOld  = "db.statement"
	attrDBOperation     = "db.operation.name"
	attrDBOperationOld  = "db.operation"
	attrDBCollection    = "db.collection.name"
	attrDBTableOld      = "db.sql.table"
	attrDBMongoColl     = "db.mongodb.collection"
	attrDBNamespace     = "db.namespace"
	attrDBNameOld       = "db.name"
	attrRPCSystem       = "rpc.system"
	attrRPCService      = "rpc.service"
	attrRPCMethod       = "rpc.method"
	attrMsgSystem       = "messaging.system"
	attrMsgDestination  = "messaging.destination.name"
	attrMsgTemporary    = "messaging.destination.temporary"
	attrErrorType       = "error.type"
	attrExceptionType   = "exception.type"
	attrExceptionMsg    = "exception.message"
	exceptionEventName  = "exception"
	attrOTelSpanID      = "otel.span_id"
	defaultErrorClass   = "Error"
	maxUserAttributes   = 64  // the Go agent's limit of custom attributes per event
	maxAttributeKeySize = 255 // longer keys are refused by the Go agent
)

// spanAttrs looks attributes up by key.
type spanAttrs []attribute.KeyValue

func (a spanAttrs) value(keys ...string) (attribute.Value, bool) {
	for _, k := range keys {
		for _, kv := range a {
			if string(kv.Key) == k {
				return kv.Value, true
			}
		}
	}
	return attribute.Value{}, false
}

// str returns the first of keys that holds a non-empty value, as text.
func (a spanAttrs) str(keys ...string) string {
	for _, k := range keys {
		if v, ok := a.value(k); ok {
			if s := v.String(); s != "" {
				return s
			}
		}
	}
	return ""
}

// int returns the first of keys that holds an integer, or a string of one.
func (a spanAttrs) int(keys ...string) (int, bool) {
	for _, k := range keys {
		v, ok := a.value(k)
		if !ok {
			continue
		}
		switch v.Type() {
		case attribute.INT64:
			return int(v.AsInt64()), true
		case attribute.STRING:
			if n, err := strconv.Atoi(v.AsString()); err == nil {
				return n, true
			}
		}
	}
	return 0, false
}

func (a spanAttrs) has(keys ...string) bool { return a.str(keys...) != "" }

// spanView is what the mapping reads of a span, ended or still running.
type spanView interface {
	Name() string
	SpanKind() trace.SpanKind
	SpanContext() trace.SpanContext
	Attributes() []attribute.KeyValue
	Status() sdktrace.Status
	Events() []sdktrace.Event
}

// transactionName is what New Relic calls the transaction: for a server
// span with a route, the method and route, as New Relic's own net/http
// instrumentation names Go 1.22 patterns (GET /books/{id}); otherwise the
// span name, which OpenTelemetry keeps low in cardinality. The agent
// prefixes WebTransaction/Go/ or OtherTransaction/Go/.
func transactionName(s spanView) string {
	a := spanAttrs(s.Attributes())
	if s.SpanKind() == trace.SpanKindServer {
		if route := a.str(attrHTTPRoute); route != "" {
			method := a.str(attrHTTPMethod, attrHTTPMethodOld)
			if method == "" || strings.HasPrefix(route, method+" ") {
				return route
			}
			return method + " " + route
		}
	}
	return s.Name()
}

// traceHeaders are the W3C trace context headers a transaction accepts, so
// that the agent takes the OTel trace ID: the span's remote or unmirrored
// parent, with its tracestate (a New Relic entry from an upstream agent is
// honoured as such). The agent takes a trace ID only with a parent span ID;
// a trace root is given its own span ID as parent.
func traceHeaders(s spanView, parent trace.SpanContext) http.Header {
	sc := s.SpanContext()
	pid, state := sc.SpanID(), sc.TraceState()
	if parent.IsValid() && parent.TraceID() == sc.TraceID() {
		pid, state = parent.SpanID(), parent.TraceState()
	}
	h := http.Header{}
	h.Set(nr.DistributedTraceW3CTraceParentHeader, fmt.Sprintf("00-%s-%s-%s", sc.TraceID(), pid, sc.TraceFlags()))
	if ts := state.String(); ts != "" {
		h.Set(nr.DistributedTraceW3CTraceStateHeader, ts)
	}
	return h
}

// webRequest describes a server span's request as the agent records it
// (request.method, request.uri, request.headers.host, request.headers.
// userAgent), with the trace context headers in hdrs.
func webRequest(s spanView, hdrs http.Header) nr.WebRequest {
	a := spanAttrs(s.Attributes())
	scheme := a.str(attrURLScheme, attrURLSchemeOld)
	host := a.str(attrServerAddress)
	if ua := a.str(attrUserAgent, attrUserAgentOld); ua != "" {
		hdrs.Set("User-Agent", ua)
	}
	// request.uri is the path, as the agent records it from a server's
	// *http.Request; the host goes in request.headers.host.
	path := a.str(attrURLPath)
	if path == "" {
		path, _, _ = strings.Cut(a.str(attrURLTargetOld), "?")
	}
	if full := a.str(attrURLFull, attrURLFullOld); full != "" {
		if u, err := url.Parse(full); err == nil {
			path = cmpOr(path, u.Path)
			scheme = cmpOr(scheme, u.Scheme)
			host = cmpOr(host, u.Hostname())
		}
	}
	transport := nr.TransportHTTP
	if strings.EqualFold(scheme, "https") {
		transport = nr.TransportHTTPS
	}
	return nr.WebRequest{
		Header:    hdrs,
		URL:       &url.URL{Path: path},
		Method:    a.str(attrHTTPMethod, attrHTTPMethodOld),
		Transport: transport,
		Host:      host,
	}
}

// transportOf is how a transaction that is not a web one says its trace
// context arrived.
func transportOf(s spanView) nr.TransportType {
	if s.SpanKind() == trace.SpanKindConsumer {
		return nr.TransportQueue
	}
	return nr.TransportOther
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// hostPort joins host and server.port when there is a port.
func hostPort(host string, a spanAttrs) string {
	if host == "" {
		return ""
	}
	if port, ok := a.int(attrServerPort); ok && port > 0 {
		return net.JoinHostPort(host, strconv.Itoa(port))
	}
	return host
}

// finishTransaction applies a local root span's final name, attributes,
// response code and errors to its transaction, and ends it.
func finishTransaction(txn *nr.Transaction, s spanView, ca customAttributes) {
	a := spanAttrs(s.Attributes())
	txn.SetName(transactionName(s))
	ca.add(txn.AddAttribute, s)
	if s.SpanKind() == trace.SpanKindServer {
		if code, ok := a.int(attrHTTPStatus, attrHTTPStatusOld); ok && code > 0 {
			// Records http.statusCode; the agent notices an error for the
			// codes New Relic counts as errors, as its own instrumentation
			// does.
			txn.SetWebResponse(nil).WriteHeader(code)
		}
	}
	for _, e := range spanErrors(s) {
		txn.NoticeError(e)
	}
	txn.End()
}

// segmentEnder is what every kind of segment does.
type segmentEnder interface {
	AddAttribute(key string, val any)
	End()
}

// endSegment ends the segment started at start on thread for s, as the kind
// of segment New Relic's own instrumentation would have made for it: a
// datastore segment for a database span, an external segment for an HTTP or
// RPC client span, a message producer segment for a producer span, a plain
// segment otherwise. The segment must be the thread's innermost open one.
func endSegment(thread *nr.Transaction, start nr.SegmentStartTime, s spanView, ca customAttributes) {
	a := spanAttrs(s.Attributes())
	kind := s.SpanKind()
	var seg segmentEnder
	switch {
	case kind != trace.SpanKindServer && a.has(attrDBSystem, attrDBSystemOld):
		seg = datastoreSegment(start, s, a)
	case kind == trace.SpanKindClient && a.has(attrHTTPMethod, attrHTTPMethodOld, attrURLFull, attrURLFullOld):
		seg = httpSegment(start, a)
	case kind == trace.SpanKindClient && a.has(attrRPCSystem):
		seg = &nr.ExternalSegment{
			StartTime: start,
			Host:      hostPort(a.str(attrServerAddress, attrNetPeerName), a),
			Library:   a.str(attrRPCSystem),
			Procedure: strings.Trim(a.str(attrRPCService)+"/"+a.str(attrRPCMethod), "/"),
		}
	case kind == trace.SpanKindProducer && a.has(attrMsgSystem):
		temp, _ := a.value(attrMsgTemporary)
		seg = &nr.MessageProducerSegment{
			StartTime:            start,
			Library:              a.str(attrMsgSystem),
			DestinationType:      nr.MessageQueue,
			DestinationName:      a.str(attrMsgDestination),
			DestinationTemporary: temp.Type() == attribute.BOOL && temp.AsBool(),
		}
	default:
		seg = &nr.Segment{StartTime: start, Name: s.Name()}
	}
	ca.add(seg.AddAttribute, s)
	for _, e := range spanErrors(s) {
		// The error is put on the innermost open segment: this one.
		thread.NoticeError(e)
	}
	seg.End()
}

// datastoreSegment maps a database client span: product from db.system,
// the collection and operation from their attributes or, as New Relic's
// SQL drivers do, parsed out of the query.
func datastoreSegment(start nr.SegmentStartTime, s spanView, a spanAttrs) *nr.DatastoreSegment {
	ds := &nr.DatastoreSegment{
		StartTime:          start,
		Product:            datastoreProduct(a.str(attrDBSystem, attrDBSystemOld)),
		Collection:         a.str(attrDBCollection, attrDBTableOld, attrDBMongoColl),
		Operation:          a.str(attrDBOperation, attrDBOperationOld),
		ParameterizedQuery: a.str(attrDBQuery, attrDBStatementOld),
		Host:               a.str(attrServerAddress, attrNetPeerName),
		DatabaseName:       a.str(attrDBNamespace, attrDBNameOld),
	}
	if port, ok := a.int(attrServerPort); ok && port > 0 {
		ds.PortPathOrID = strconv.Itoa(port)
	}
	if q := ds.ParameterizedQuery; q != "" && (ds.Operation == "" || ds.Collection == "") {
		var parsed nr.DatastoreSegment
		sqlparse.ParseQuery(&parsed, q)
		ds.Operation = cmpOr(ds.Operation, parsed.Operation)
		ds.Collection = cmpOr(ds.Collection, parsed.Collection)
	}
	if ds.Operation == "" {
		ds.Operation = s.Name()
	}
	return ds
}

// datastoreProducts maps OTel db.system values to New Relic's product names.
var datastoreProducts = map[string]nr.DatastoreProduct{
	"postgresql":           nr.DatastorePostgres,
	"mysql":                nr.DatastoreMySQL,
	"mariadb":              nr.DatastoreMySQL,
	"sqlite":               nr.DatastoreSQLite,
	"mssql":                nr.DatastoreMSSQL,
	"microsoft.sql_server": nr.DatastoreMSSQL,
	"oracle":               nr.DatastoreOracle,
	"oracle.db":            nr.DatastoreOracle,
	"redis":                nr.DatastoreRedis,
	"mongodb":              nr.DatastoreMongoDB,
	"cassandra":            nr.DatastoreCassandra,
	"couchdb":              nr.DatastoreCouchDB,
	"dynamodb":             nr.DatastoreDynamoDB,
	"aws.dynamodb":         nr.DatastoreDynamoDB,
	"elasticsearch":        nr.DatastoreElasticsearch,
	"memcached":            nr.DatastoreMemcached,
	"db2":                  nr.DatastoreIBMDB2,
	"ibm.db2":              nr.DatastoreIBMDB2,
	"derby":                nr.DatastoreDerby,
	"firebird":             nr.DatastoreFirebird,
	"informix":             nr.DatastoreInformix,
	"neptune":              nr.DatastoreNeptune,
	"riak":                 nr.DatastoreRiak,
	"solr":                 nr.DatastoreSolr,
	"snowflake":            nr.DatastoreSnowflake,
	"aerospike":            nr.DatastoreAerospike,
}

func datastoreProduct(system string) nr.DatastoreProduct {
	if p, ok := datastoreProducts[strings.ToLower(system)]; ok {
		return p
	}
	return nr.DatastoreProduct(system)
}

// httpSegment maps an HTTP client span: the URL from url.full, or from
// server.address, server.port and url.path; the method as the procedure.
func httpSegment(start nr.SegmentStartTime, a spanAttrs) *nr.ExternalSegment {
	ext := &nr.ExternalSegment{
		StartTime: start,
		Procedure: a.str(attrHTTPMethod, attrHTTPMethodOld),
		Library:   "http",
	}
	full := a.str(attrURLFull, attrURLFullOld)
	if u, err := url.Parse(full); full != "" && err == nil && u.Host != "" {
		u.User = nil // never credentials
		ext.URL = u.String()
	} else if host := a.str(attrServerAddress, attrNetPeerName); host != "" {
		u := url.URL{Scheme: cmpOr(a.str(attrURLScheme, attrURLSchemeOld), "http"), Host: hostPort(host, a), Path: a.str(attrURLPath)}
		ext.URL = u.String()
	}
	if code, ok := a.int(attrHTTPStatus, attrHTTPStatusOld); ok && code > 0 {
		ext.SetStatusCode(code)
	}
	return ext
}

// spanErrors are the errors of a span as New Relic records them: one per
// exception event, with its type as the class; or, for a span whose status
// is Error without an exception event, one with the status description as
// message and error.type, else "Error", as class. A server span whose HTTP
// response code is at least 400 and that has no exception event has none:
// the agent notices the response code itself.
func spanErrors(s spanView) []nr.Error {
	var errs []nr.Error
	for _, ev := range s.Events() {
		if ev.Name != exceptionEventName {
			continue
		}
		ea := spanAttrs(ev.Attributes)
		class := cmpOr(ea.str(attrExceptionType), defaultErrorClass)
		errs = append(errs, noticed(class, cmpOr(ea.str(attrExceptionMsg), class)))
	}
	if len(errs) > 0 || s.Status().Code != codes.Error {
		return errs
	}
	a := spanAttrs(s.Attributes())
	if s.SpanKind() == trace.SpanKindServer {
		if code, ok := a.int(attrHTTPStatus, attrHTTPStatusOld); ok && code >= 400 {
			return nil
		}
	}
	class := cmpOr(a.str(attrErrorType), defaultErrorClass)
	return []nr.Error{noticed(class, cmpOr(s.Status().Description, class))}
}

// noticed is an error for Transaction.NoticeError. Its stack is empty, not
// nil: the agent would otherwise record the stack of the goroutine that
// ended the span, which is the processor's, not the application's.
func noticed(class, message string) nr.Error {
	return nr.Error{Class: class, Message: message, Stack: []uintptr{}}
}

// customAttributes decides which span attributes become custom
// attributes: none in high-security mode, where the agent refuses them all
// (and would log each refusal), else those NEW_RELIC_ATTRIBUTES_EXCLUDE and
// NEW_RELIC_ATTRIBUTES_INCLUDE let through.
type customAttributes struct {
	off    bool
	filter *attributeFilter
}

// add copies the span's attributes, and its OTel span ID as otel.span_id,
// as custom attributes, within the agent's limits: at most 64, keys up to
// 255 bytes, values a string (cut by the agent to 255 bytes), a number or a
// boolean; other values go as their text. Attributes the rules exclude are
// left out first, so that they do not use up the 64.
func (ca customAttributes) add(add func(string, any), s spanView) {
	if ca.off {
		return
	}
	n := 0
	if ca.filter.keep(attrOTelSpanID) {
		add(attrOTelSpanID, s.SpanContext().SpanID().String())
		n++
	}
	for _, kv := range s.Attributes() {
		if n >= maxUserAttributes {
			return
		}
		if len(kv.Key) > maxAttributeKeySize || kv.Key == "" || !ca.filter.keep(string(kv.Key)) {
			continue
		}
		add(string(kv.Key), attrValue(kv.Value))
		n++
	}
}

func attrValue(v attribute.Value) any {
	switch v.Type() {
	case attribute.BOOL:
		return v.AsBool()
	case attribute.INT64:
		return v.AsInt64()
	case attribute.FLOAT64:
		if f := v.AsFloat64(); !math.IsNaN(f) && !math.IsInf(f, 0) {
			return f
		}
		return v.String()
	case attribute.STRING:
		return v.AsString()
	default:
		return v.String()
	}
}
