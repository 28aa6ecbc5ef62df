package datadog

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/DataDog/dd-trace-go/v2/ddtrace/ext"
	"github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"
	"github.com/tinylib/msgp/msgp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// This file encodes the SDK's spans straight into the Datadog Agent's v0.4
// trace payload, with what dd-trace-go adds to the spans it sends (see
// ddtrace/tracer: spanStart and startSpan for the tags set when a span
// starts, Span.finish and trace.finishedOneLocked for those set when it
// ends, span_msgp.go for the encoding). The differential test
// (wire_diff_test.go) compares it field by field with what dd-trace-go sends
// for the same spans.

// Tags dd-trace-go sets on the spans it sends.
const (
	keySamplingPriority = "_sampling_priority_v1"
	keyTopLevel         = "_dd.top_level"
	keyProfiling        = "_dd.profiling.enabled"
	keySchemaVersion    = "_dd.trace_span_attribute_schema"
	keyOrigin           = "_dd.origin"
	keyTraceID128       = "_dd.p.tid"
	keyProcessID        = "process_id"
	keyLanguage         = "language"
	keySvcSource        = "_dd.svc_src"
	keyBaseService      = "_dd.base_service"
	keyPeerSource       = "_dd.peer.service.source"
	keySpanLinks        = "_dd.span_links"
	keyEvents           = "events"
	keyProcessTags      = "_dd.tags.process"
	keyOTLPExport       = "_dd.sdk.otlp_export"
)

// wireConfig is what the encoder adds to every span: the tracer-wide
// configuration dd-trace-go was started with.
type wireConfig struct {
	service, env, version string
	globalTags            []strTag // runtime-id and DD_TAGS
	gitTags               []strTag // on each chunk's first span
	processTags           string   // _dd.tags.process, on each chunk's first span
	pid                   float64
	// spanEvents is set once the Agent's /info says it takes span events
	// as a field of the span rather than as a JSON tag.
	spanEvents atomic.Bool
}

// wireRecord is one span of a chunk: the span once it ended, and what
// dd-trace-go decides when a span starts, worked out by services: its
// service (inherited from its local parent unless the span names its own)
// and whether it is top-level.
type wireRecord struct {
	span      sdktrace.ReadOnlySpan // set when the span ends
	service   string
	svcSource string
	top       bool
}

// wireChunk is a completed local trace: its spans in start order (the
// first is the local root, whose context the chunk's is: chunkContext)
// and the root's final decision, when the rules looked again.
type wireChunk struct {
	spans []wireRecord
	final *Decision
}

// wireEncoder builds and encodes spans; one per sending goroutine.
type wireEncoder struct {
	cfg    *wireConfig
	span   wireSpan
	json   []byte
	routed attrs // scratch: a span's attributes with http.route added
	naming attrs // scratch: the attributes the names are read from
	// res and resNaming cache, for the last resource seen, its attributes
	// the mapping reads names from (namingKeys).
	res       *resource.Resource
	resNaming attrs
	pc        parentContext // the chunk's context
}

// appendChunk appends c as one trace of the payload.
func (e *wireEncoder) appendChunk(b []byte, c *wireChunk) []byte {
	b = msgp.AppendArrayHeader(b, uint32(len(c.spans)))
	e.pc.setChunk(c.spans[0].span, c.final)
	e.services(c.spans)
	for i := range c.spans {
		e.build(&c.spans[i], &e.pc, i == 0)
		b = e.appendSpan(b, c.spans[i].span)
	}
	return b
}

// services works out each span's service and whether it is top-level, as
// dd-trace-go does when the span starts: a span names its service with
// service.name, else inherits its local parent's (the chunk's root: the
// backend's); it is top-level when it is the local root or its service
// differs from its parent's. Parents start, so come, before their
// children.
func (e *wireEncoder) services(recs []wireRecord) {
	for i := range recs {
		r := &recs[i]
		own := attrs(r.span.Attributes()).str(tagServiceName)
		r.service, r.svcSource, r.top = own, "", true
		if own != "" {
			r.svcSource = "m"
		}
		p := parentIndex(recs, i)
		switch {
		case p >= 0 && own == "":
			r.service, r.svcSource, r.top = recs[p].service, recs[p].svcSource, false
		case p >= 0:
			r.top = own != recs[p].service
		case own == "":
			r.service = e.cfg.service
		}
	}
}

// parentIndex is the index of recs[i]'s parent among the spans before it,
// or -1: the previous span and the root first, the likeliest.
func parentIndex(recs []wireRecord, i int) int {
	if i == 0 {
		return -1
	}
	pid := recs[i].span.Parent().SpanID()
	if recs[i-1].span.SpanContext().SpanID() == pid {
		return i - 1
	}
	for j := 0; j < i-1; j++ {
		if recs[j].span.SpanContext().SpanID() == pid {
			return j
		}
	}
	return -1
}

// build sets e.span to r's span as dd-trace-go would send it.
func (e *wireEncoder) build(r *wireRecord, pc *parentContext, first bool) {
	w, s := &e.span, r.span
	w.reset()
	w.name, w.resource, w.service, w.svcSource = s.Name(), s.Name(), r.service, r.svcSource
	e.startTags(r, pc, first)
	e.mapping(s)
	e.finishTags(pc, first)
}

// startTags are the tags dd-trace-go sets when a span starts.
func (e *wireEncoder) startTags(r *wireRecord, pc *parentContext, root bool) {
	w, c := &e.span, e.cfg
	w.setMetric(keySamplingPriority, pc.priority)
	if root && pc.origin != "" {
		w.setMeta(keyOrigin, pc.origin)
	}
	w.setMeta(keyLanguage, "go")
	if root {
		w.setMetric(keyProfiling, 0)
	}
	if r.top {
		w.setMetric(keyTopLevel, 1)
	}
	for _, t := range c.globalTags {
		w.setString(t.k, t.v)
	}
	if c.version != "" && w.service == c.service {
		w.delMetric(ext.Version)
		w.putMeta(ext.Version, c.version)
	}
	if c.env != "" {
		w.delMetric(ext.Environment)
		w.putMeta(ext.Environment, c.env)
	}
	if r.top {
		w.setMetric(keySchemaVersion, 0)
	}
	w.setMetric(keyProcessID, c.pid)
}

// mapping applies the OTel→Datadog mapping (the mirroring path's finish).
func (e *wireEncoder) mapping(s sdktrace.ReadOnlySpan) {
	w := &e.span
	kind := s.SpanKind()
	a := attrs(s.Attributes())
	if route := routeFromName(s.Name(), kind, a); route != "" {
		e.routed = append(append(e.routed[:0], a...), attribute.String(attrHTTPRoute, route))
		a = e.routed
	}
	n := e.namingAttrs(a, s.Resource())
	w.name = operationName(kind, n)
	w.setString(ext.ResourceName, resourceName(s.Name(), kind, n))
	w.setString(ext.SpanType, spanType(kind, n))
	w.setString(ext.SpanKind, spanKindName(kind))
	setAttributeTags(w, a)
	setErrorTags(w, s, a)
	if links := s.Links(); len(links) > 0 {
		e.json = e.json[:0]
		e.json = appendLinksJSON(e.json, links)
		w.putMeta(keySpanLinks, string(e.json))
	}
	if evs := s.Events(); len(evs) > 0 && !e.cfg.spanEvents.Load() {
		w.putMeta(keyEvents, eventsJSON(evs))
	}
}

// namingAttrs is namingAttrs without copying: the resource's attributes
// that can name a span are kept per resource, and usually there are none.
func (e *wireEncoder) namingAttrs(a attrs, res *resource.Resource) attrs {
	if res != e.res {
		e.res, e.resNaming = res, nil
		if res != nil {
			for _, kv := range res.Attributes() {
				if namingKeys[string(kv.Key)] {
					e.resNaming = append(e.resNaming, kv)
				}
			}
		}
	}
	if len(e.resNaming) == 0 {
		return a
	}
	e.naming = append(append(e.naming[:0], a...), e.resNaming...)
	return e.naming
}

// finishTags are the tags dd-trace-go sets when a span finishes, and on
// the first span of a chunk, the trace's.
func (e *wireEncoder) finishTags(pc *parentContext, first bool) {
	w, c := &e.span, e.cfg
	if w.svcSource != "" && w.service != c.service {
		w.putMeta(keySvcSource, w.svcSource)
	}
	if w.hasMeta(ext.PeerService) {
		w.setMeta(keyPeerSource, ext.PeerService)
	}
	if w.service != "" && c.service != "" && !strings.EqualFold(w.service, c.service) {
		w.setMeta(keyBaseService, c.service)
	}
	if first {
		w.setMetric(keySamplingPriority, pc.priority)
		for k, v := range pc.tags {
			w.setMeta(k, v)
		}
		for _, t := range c.gitTags {
			w.setMeta(t.k, t.v)
		}
		if hi := pc.traceID[:8]; binary.BigEndian.Uint64(hi) != 0 {
			// Encoded by appendTags from the ID, without a string.
			w.delMetric(keyTraceID128)
			w.delMeta(keyTraceID128)
			w.tidHigh = hi
		}
		if c.processTags != "" {
			w.setMeta(keyProcessTags, c.processTags)
		}
		w.setMeta(keyOTLPExport, "false")
	}
}

// appendSpan encodes e.span, with s's IDs and times, as dd-trace-go's
// Span.EncodeMsg does.
func (e *wireEncoder) appendSpan(b []byte, s sdktrace.ReadOnlySpan) []byte {
	w := &e.span
	links, events := s.Links(), s.Events()
	native := len(events) > 0 && e.cfg.spanEvents.Load()
	n := uint32(13)
	if len(links) > 0 {
		n++
	}
	if native {
		n++
	}
	b = msgp.AppendMapHeader(b, n)
	b = appendStr(b, "name", w.name)
	b = appendStr(b, "service", w.service)
	b = appendStr(b, "resource", w.resource)
	b = appendStr(b, "type", w.typ)
	b = msgp.AppendInt64(msgp.AppendString(b, "start"), s.StartTime().UnixNano())
	b = msgp.AppendInt64(msgp.AppendString(b, "duration"), max(s.EndTime().Sub(s.StartTime()).Nanoseconds(), 0))
	b = e.appendTags(b)
	b = appendIDs(b, s)
	b = msgp.AppendInt32(msgp.AppendString(b, "error"), w.errFlag)
	if len(links) > 0 {
		b = appendLinks(msgp.AppendString(b, "span_links"), links)
	}
	if native {
		b = appendEvents(msgp.AppendString(b, "span_events"), events)
	}
	return b
}

func appendStr(b []byte, k, v string) []byte { return msgp.AppendString(msgp.AppendString(b, k), v) }

// appendTags encodes meta, an empty meta_struct, and metrics.
func (e *wireEncoder) appendTags(b []byte) []byte {
	w := &e.span
	n := len(w.meta.list)
	if w.tidHigh != nil {
		n++
	}
	b = msgp.AppendMapHeader(msgp.AppendString(b, "meta"), uint32(n))
	for _, t := range w.meta.list {
		b = appendStr(b, t.k, t.v)
	}
	if w.tidHigh != nil {
		var hx [16]byte
		hex.Encode(hx[:], w.tidHigh)
		b = msgp.AppendStringFromBytes(msgp.AppendString(b, keyTraceID128), hx[:])
	}
	b = msgp.AppendMapHeader(msgp.AppendString(b, "meta_struct"), 0)
	b = msgp.AppendMapHeader(msgp.AppendString(b, "metrics"), uint32(len(w.metrics.list)))
	for _, t := range w.metrics.list {
		b = msgp.AppendFloat64(msgp.AppendString(b, t.k), t.v)
	}
	return b
}

// appendIDs encodes span_id, trace_id (the low 64 bits) and parent_id.
func appendIDs(b []byte, s sdktrace.ReadOnlySpan) []byte {
	sc, parent := s.SpanContext(), s.Parent()
	sid, tid := sc.SpanID(), sc.TraceID()
	var pid uint64
	if parent.IsValid() {
		p := parent.SpanID()
		pid = binary.BigEndian.Uint64(p[:])
	}
	b = msgp.AppendUint64(msgp.AppendString(b, "span_id"), binary.BigEndian.Uint64(sid[:]))
	b = msgp.AppendUint64(msgp.AppendString(b, "trace_id"), binary.BigEndian.Uint64(tid[8:]))
	return msgp.AppendUint64(msgp.AppendString(b, "parent_id"), pid)
}

// appendLinks encodes links as dd-trace-go's SpanLink.EncodeMsg, empty
// fields left out.
func appendLinks(b []byte, links []sdktrace.Link) []byte {
	b = msgp.AppendArrayHeader(b, uint32(len(links)))
	for _, l := range links {
		dl := spanLink(l)
		n := uint32(2)
		for _, set := range []bool{dl.TraceIDHigh != 0, dl.Attributes != nil, dl.Tracestate != "", dl.Flags != 0} {
			if set {
				n++
			}
		}
		b = msgp.AppendMapHeader(b, n)
		b = msgp.AppendUint64(msgp.AppendString(b, "trace_id"), dl.TraceID)
		if dl.TraceIDHigh != 0 {
			b = msgp.AppendUint64(msgp.AppendString(b, "trace_id_high"), dl.TraceIDHigh)
		}
		b = msgp.AppendUint64(msgp.AppendString(b, "span_id"), dl.SpanID)
		if dl.Attributes != nil {
			b = msgp.AppendMapStrStr(msgp.AppendString(b, "attributes"), dl.Attributes)
		}
		if dl.Tracestate != "" {
			b = appendStr(b, "tracestate", dl.Tracestate)
		}
		if dl.Flags != 0 {
			b = msgp.AppendUint32(msgp.AppendString(b, "flags"), dl.Flags)
		}
	}
	return b
}

// appendLinksJSON is dd-trace-go's _dd.span_links tag: the links as JSON.
func appendLinksJSON(b []byte, links []sdktrace.Link) []byte {
	dls := make([]tracer.SpanLink, len(links))
	for i, l := range links {
		dls[i] = spanLink(l)
	}
	out, err := json.Marshal(dls)
	if err != nil {
		return b
	}
	return append(b, out...)
}

// eventJSON is dd-trace-go's spanEvent as it writes it into the events
// tag for an Agent that does not take span events as a field.
type eventJSON struct {
	Name         string         `json:"name"`
	TimeUnixNano uint64         `json:"time_unix_nano"`
	Attributes   map[string]any `json:"attributes,omitempty"`
}

func eventsJSON(evs []sdktrace.Event) string {
	out := make([]eventJSON, len(evs))
	for i, ev := range evs {
		out[i] = eventJSON{Name: ev.Name, TimeUnixNano: uint64(ev.Time.UnixNano())}
		if len(ev.Attributes) > 0 {
			out[i].Attributes = make(map[string]any, len(ev.Attributes))
			for _, kv := range ev.Attributes {
				out[i].Attributes[string(kv.Key)] = kv.Value.AsInterface()
			}
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return ""
	}
	return string(b)
}

// withoutCredentials is dd-trace-go's removeCredentials: a URL without its
// user info.
func withoutCredentials(s string) string {
	u, err := url.Parse(s)
	if s == "" || err != nil || u.User == nil {
		return s
	}
	u.User = nil
	return u.String()
}

// appendEvents encodes events as dd-trace-go's spanEvent.EncodeMsg, for an
// Agent that takes them as a field of the span.
func appendEvents(b []byte, evs []sdktrace.Event) []byte {
	b = msgp.AppendArrayHeader(b, uint32(len(evs)))
	for _, ev := range evs {
		b = msgp.AppendMapHeader(b, 3)
		b = appendStr(b, "name", ev.Name)
		b = msgp.AppendUint64(msgp.AppendString(b, "time_unix_nano"), uint64(ev.Time.UnixNano()))
		b = msgp.AppendMapHeader(msgp.AppendString(b, "attributes"), uint32(len(ev.Attributes)))
		for _, kv := range ev.Attributes {
			b = appendEventValue(msgp.AppendString(b, string(kv.Key)), kv.Value)
		}
	}
	return b
}

// appendEventValue encodes one attribute of a span event: its type, then
// its value unless zero, as dd-trace-go leaves zero values out.
func appendEventValue(b []byte, v attribute.Value) []byte {
	switch v.Type() {
	case attribute.BOOLSLICE, attribute.INT64SLICE, attribute.FLOAT64SLICE, attribute.STRINGSLICE:
		b = msgp.AppendMapHeader(b, 2)
		b = msgp.AppendInt32(msgp.AppendString(b, "type"), 4)
		b = msgp.AppendMapHeader(msgp.AppendString(b, "array_value"), 1)
		return appendEventArray(msgp.AppendString(b, "values"), v)
	case attribute.BOOL:
		return appendScalar(b, 1, "bool_value", v.AsBool(), func(b []byte) []byte { return msgp.AppendBool(b, true) })
	case attribute.INT64:
		n := v.AsInt64()
		return appendScalar(b, 2, "int_value", n != 0, func(b []byte) []byte { return msgp.AppendInt64(b, n) })
	case attribute.FLOAT64:
		f := v.AsFloat64()
		return appendScalar(b, 3, "double_value", f != 0, func(b []byte) []byte { return msgp.AppendFloat64(b, f) })
	}
	s := v.String()
	return appendScalar(b, 0, "string_value", s != "", func(b []byte) []byte { return msgp.AppendString(b, s) })
}

// appendScalar encodes {type, key: value}, without key when set is false.
func appendScalar(b []byte, typ int32, key string, set bool, value func([]byte) []byte) []byte {
	if !set {
		return msgp.AppendInt32(msgp.AppendString(msgp.AppendMapHeader(b, 1), "type"), typ)
	}
	b = msgp.AppendInt32(msgp.AppendString(msgp.AppendMapHeader(b, 2), "type"), typ)
	return value(msgp.AppendString(b, key))
}

func appendEventArray(b []byte, v attribute.Value) []byte {
	switch v.Type() {
	case attribute.BOOLSLICE:
		bs := v.AsBoolSlice()
		b = msgp.AppendArrayHeader(b, uint32(len(bs)))
		for _, x := range bs {
			b = appendEventValue(b, attribute.BoolValue(x))
		}
	case attribute.INT64SLICE:
		ns := v.AsInt64Slice()
		b = msgp.AppendArrayHeader(b, uint32(len(ns)))
		for _, x := range ns {
			b = appendEventValue(b, attribute.Int64Value(x))
		}
	case attribute.FLOAT64SLICE:
		fs := v.AsFloat64Slice()
		b = msgp.AppendArrayHeader(b, uint32(len(fs)))
		for _, x := range fs {
			b = appendEventValue(b, attribute.Float64Value(x))
		}
	default:
		ss := v.AsStringSlice()
		b = msgp.AppendArrayHeader(b, uint32(len(ss)))
		for _, x := range ss {
			b = appendEventValue(b, attribute.StringValue(x))
		}
	}
	return b
}
