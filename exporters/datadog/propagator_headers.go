package datadog

import (
	"encoding/binary"
	"encoding/hex"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Propagating tags.
const (
	// tagTraceIDHigh carries the upper 64 bits of a 128-bit trace ID in
	// x-datadog-tags, as 16 lower-case hex digits.
	tagTraceIDHigh = "_dd.p.tid"
	// tagDecisionMaker is the sampling mechanism that set the priority.
	tagDecisionMaker = "_dd.p.dm"
	// propagatingPrefix marks the tags that travel in the tracestate.
	propagatingPrefix = "_dd.p."
	// maxTagsHeaderLen is dd-trace-go's default limit on x-datadog-tags
	// (DD_TRACE_X_DATADOG_TAGS_MAX_LENGTH): longer headers are ignored on
	// extraction, and tags that would exceed it are not injected.
	maxTagsHeaderLen = 512
)

// ddStatus is what dd-trace-go's Datadog extractor makes of a carrier.
type ddStatus int

const (
	ddNotFound ddStatus = iota // no context: another style may have one
	ddCorrupt                  // an ID or the priority does not parse: extraction stops
	ddFound
)

// ddContext is what the Datadog headers hold.
type ddContext struct {
	traceID trace.TraceID
	spanID  uint64
	state   ddState
}

// extractDatadog reads the x-datadog-* headers as dd-trace-go's
// extractTextMap does: every value of a repeated header must parse and the
// last one wins; a priority header that is present must parse, even empty.
func extractDatadog(carrier propagation.TextMapCarrier) (ddContext, ddStatus) {
	var d ddContext
	low, err := lastID(carrier, HeaderTraceID)
	if err != nil {
		return d, ddCorrupt
	}
	if d.spanID, err = lastID(carrier, HeaderParentID); err != nil {
		return d, ddCorrupt
	}
	for _, v := range values(carrier, HeaderPriority) {
		p, err := strconv.Atoi(v)
		if err != nil {
			return d, ddCorrupt
		}
		d.state.priority, d.state.hasPriority = p, true
	}
	d.state.origin = lastValue(carrier, HeaderOrigin)
	for _, v := range values(carrier, HeaderTags) {
		d.state.tags = parseTagsHeader(v)
	}
	binary.BigEndian.PutUint64(d.traceID[8:], low)
	for _, t := range d.state.tags {
		// dd-trace-go takes only 16 lower-case hex digits (validateTID).
		if t.key == tagTraceIDHigh && isLowerHex16(t.value) {
			b, _ := hex.DecodeString(t.value)
			copy(d.traceID[:8], b)
		}
	}
	// The tag is written again from the trace ID on inject.
	d.state.tags = dropTag(d.state.tags, tagTraceIDHigh)
	// A 128-bit ID whose low 64 bits are zero is still an ID; only the
	// all-zero ID is none. A synthetics request may have no parent.
	if !d.traceID.IsValid() || (d.spanID == 0 && d.state.origin != "synthetics") {
		return d, ddNotFound
	}
	return d, ddFound
}

// lastID parses every value of a decimal ID header; the last one wins.
// An absent header is ID 0.
func lastID(carrier propagation.TextMapCarrier, key string) (uint64, error) {
	var id uint64
	for _, v := range values(carrier, key) {
		n, err := parseID(v)
		if err != nil {
			return 0, err
		}
		id = n
	}
	return id, nil
}

// writeDatadog writes st for sc as dd-trace-go's Datadog injector does.
func writeDatadog(carrier propagation.TextMapCarrier, sc trace.SpanContext, st ddState) {
	tid, sid := sc.TraceID(), sc.SpanID()
	carrier.Set(HeaderTraceID, strconv.FormatUint(binary.BigEndian.Uint64(tid[8:]), 10))
	carrier.Set(HeaderParentID, strconv.FormatUint(binary.BigEndian.Uint64(sid[:]), 10))
	carrier.Set(HeaderPriority, strconv.Itoa(st.priority))
	if st.origin != "" && validHeaderValue(st.origin) {
		carrier.Set(HeaderOrigin, st.origin)
	}
	if h := tagsHeader(st.tags); h != "" {
		carrier.Set(HeaderTags, h)
	}
}

// tagsHeader is x-datadog-tags for tags as dd-trace-go's
// marshalPropagatingTags writes it: tags that are not valid are left out,
// and when the header would grow past the limit (counted as dd-trace-go
// counts it) no tag is sent at all.
func tagsHeader(tags []tag) string {
	var b strings.Builder
	for _, t := range tags {
		if !validTag(t.key, t.value) {
			continue
		}
		if b.Len()+len(t.key)+len(t.value) > maxTagsHeaderLen {
			return ""
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(t.key + "=" + t.value)
	}
	return b.String()
}

// withTraceIDHigh sets _dd.p.tid to the upper 64 bits of tid, or removes
// it for a 64-bit ID, as dd-trace-go's injectors do.
func withTraceIDHigh(tags []tag, tid trace.TraceID) []tag {
	if binary.BigEndian.Uint64(tid[:8]) == 0 {
		return dropTag(tags, tagTraceIDHigh)
	}
	high := hex.EncodeToString(tid[:8])
	if hasTag(tags, tagTraceIDHigh) {
		return setTag(tags, tagTraceIDHigh, high)
	}
	// First, where dd-trace-go's injectors usually put it.
	return append([]tag{{tagTraceIDHigh, high}}, tags...)
}

// parseTagsHeader reads x-datadog-tags (k1=v1,k2=v2) as dd-trace-go's
// parsePropagatableTraceTags: every tag is kept as received, a malformed
// or over-long header yields none.
func parseTagsHeader(h string) []tag {
	if len(h) > maxTagsHeaderLen {
		return nil
	}
	var tags []tag
	for _, item := range strings.Split(h, ",") {
		k, v, ok := strings.Cut(item, "=")
		if !ok || k == "" || v == "" {
			return nil
		}
		tags = setTag(tags, k, v)
	}
	return tags
}

// setTag sets key to value: a repeated key keeps its first place and its
// last value, as in dd-trace-go's map of propagating tags, and is sent once.
// It may change tags in place.
func setTag(tags []tag, key, value string) []tag {
	for i := range tags {
		if tags[i].key == key {
			tags[i].value = value
			return tags
		}
	}
	return append(tags, tag{key, value})
}

func hasTag(tags []tag, key string) bool {
	for _, t := range tags {
		if t.key == key {
			return true
		}
	}
	return false
}

// dropTag returns tags without key, in a new slice.
func dropTag(tags []tag, key string) []tag {
	var out []tag
	for _, t := range tags {
		if t.key != key {
			out = append(out, t)
		}
	}
	return out
}

// validTag is dd-trace-go's isValidPropagatableTag.
func validTag(k, v string) bool {
	if k == "" || v == "" {
		return false
	}
	for _, c := range k {
		if c < 32 || c > 126 || c == ' ' || c == '=' || c == ',' {
			return false
		}
	}
	for _, c := range v {
		if c < 32 || c > 126 || c == ',' {
			return false
		}
	}
	return true
}

// validHeaderValue reports whether s can go in an HTTP header: no control
// characters but tab. dd-trace-go sends the origin unchecked; a value that
// would make net/http refuse the request is not sent here.
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// parseID reads a decimal ID as dd-trace-go's parseUint64 does: a signed
// value is taken as its two's complement (-1 is the largest uint64), as
// some tracers write IDs as signed 64-bit integers.
func parseID(s string) (uint64, error) {
	if strings.HasPrefix(s, "-") {
		n, err := strconv.ParseInt(s, 10, 64)
		return uint64(n), err
	}
	return strconv.ParseUint(s, 10, 64)
}

func isLowerHex16(s string) bool {
	if len(s) != 16 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// values returns every value of a header, matching its name in any case
// as dd-trace-go does: through Values for a carrier that has it (an
// http.Header, whose names are canonical), else the exact name first and
// other spellings only when it is absent or empty.
func values(carrier propagation.TextMapCarrier, key string) []string {
	if hc, ok := carrier.(propagation.HeaderCarrier); ok {
		// http.Header.Values would canonicalise key, allocating, on every
		// request; the Datadog headers' canonical forms are known.
		if ck, ok := canonicalHeaders[key]; ok {
			return http.Header(hc)[ck]
		}
	}
	if vg, ok := carrier.(propagation.ValuesGetter); ok {
		return vg.Values(key)
	}
	if v := carrier.Get(key); v != "" {
		return []string{v}
	}
	var out []string
	for _, k := range carrier.Keys() {
		if strings.EqualFold(k, key) {
			out = append(out, carrier.Get(k))
		}
	}
	return out
}

// canonicalHeaders are the Datadog headers as net/http keys them.
var canonicalHeaders = func() map[string]string {
	m := map[string]string{}
	for _, h := range []string{HeaderTraceID, HeaderParentID, HeaderPriority, HeaderOrigin, HeaderTags} {
		m[h] = textproto.CanonicalMIMEHeaderKey(h)
	}
	return m
}()

// lastValue is a header's last value, "" when it is absent.
func lastValue(carrier propagation.TextMapCarrier, key string) string {
	v := values(carrier, key)
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}
