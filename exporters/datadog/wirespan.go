package datadog

import (
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"
)

// wireSpan is one span as the Agent's v0.4 intake receives it, built the
// way dd-trace-go builds its own span: tags are set in dd-trace-go's order
// with its rules (a string tag removes a numeric one of the same key and
// the reverse, a few keys set the span's fields), then encoded by
// appendSpan. It is reused span after span: the tag slices keep their
// capacity.
type wireSpan struct {
	name, service, resource, typ string
	svcSource                    string // "m" once a service.name tag set the service
	errFlag                      int32
	meta                         tagSet[string]
	metrics                      tagSet[float64]
	// tidHigh, when set, is the upper half of the trace ID, sent as
	// _dd.p.tid in hex.
	tidHigh []byte
}

// keyBit is one of 64 bits chosen by k's length and first and last bytes.
func keyBit(k string) uint64 {
	if k == "" {
		return 1
	}
	return 1 << ((uint(len(k))*7 + uint(k[0])*31 + uint(k[len(k)-1])) & 63)
}

// wireTag is one meta (V string) or metric (V float64) entry.
type wireTag[V any] struct {
	k string
	v V
}

type strTag = wireTag[string]

// tagSet is a span's meta or metrics, in the order the tags were set.
// keys has keyBit set for every key added: a key whose bit is clear is not
// there, and is added without a search.
type tagSet[V any] struct {
	list []wireTag[V]
	keys uint64
}

// index is where k is in s, or -1.
func (s *tagSet[V]) index(k string) int {
	if s.keys&keyBit(k) == 0 {
		return -1
	}
	for i := range s.list {
		if s.list[i].k == k {
			return i
		}
	}
	return -1
}

// put sets k to v, in place if k is there, else at the end.
func (s *tagSet[V]) put(k string, v V) {
	if i := s.index(k); i >= 0 {
		s.list[i].v = v
		return
	}
	s.keys |= keyBit(k)
	s.list = append(s.list, wireTag[V]{k, v})
}

func (s *tagSet[V]) del(k string) {
	if i := s.index(k); i >= 0 {
		s.list = append(s.list[:i], s.list[i+1:]...)
	}
}

// reset empties s, keeping its capacity.
func (s *tagSet[V]) reset() { *s = tagSet[V]{list: s.list[:0]} }

// dd-trace-go's tag keys that set a span's fields or flags (ddtrace/ext).
const (
	tagSpanName       = "span.name"
	tagErrorNoStack   = "error.no_stack_trace"
	tagAnalyticsEvent = "analytics.event"
	tagEventRate      = "_dd1.sr.eausr"
	// maxExactFloat is the largest integer dd-trace-go stores as a metric:
	// larger ones are kept as strings (internal.ToFloat64).
	maxExactFloat = 1<<53 - 1
)

func (w *wireSpan) reset() {
	meta, metrics := w.meta, w.metrics
	meta.reset()
	metrics.reset()
	*w = wireSpan{meta: meta, metrics: metrics}
}

// setMeta is dd-trace-go's setMetaInit.
func (w *wireSpan) setMeta(k, v string) {
	w.delMetric(k)
	switch k {
	case tagSpanName:
		w.name = v
	case tagServiceName:
		w.service, w.svcSource = v, "m"
	case tagResourceName:
		w.resource = v
	case tagSpanType:
		w.typ = v
	default:
		w.putMeta(k, v)
	}
}

// putMeta sets meta k without dd-trace-go's special keys, as its
// meta.Set.
func (w *wireSpan) putMeta(k, v string) { w.meta.put(k, v) }

// setMetric is dd-trace-go's setMetricLocked.
func (w *wireSpan) setMetric(k string, v float64) {
	w.delMeta(k)
	w.metrics.put(k, v)
}

func (w *wireSpan) delMeta(k string) { w.meta.del(k) }

func (w *wireSpan) delMetric(k string) { w.metrics.del(k) }

func (w *wireSpan) hasMeta(k string) bool { return w.meta.index(k) >= 0 }

// setString implements tagSink: SetTag with a string.
func (w *wireSpan) setString(k, v string) {
	if k == tagError || k == tagErrorNoStack {
		w.errFlag = 1 // any value but a bool or nil marks an error
		return
	}
	w.setMeta(k, v)
}

// setError implements tagSink: SetTag(error, true).
func (w *wireSpan) setError() { w.errFlag = 1 }

// setValue implements tagSink: SetTag with an attribute's value, as
// dd-trace-go's setTagLocked stores v.AsInterface().
func (w *wireSpan) setValue(k string, v attribute.Value) {
	if k == tagError || k == tagErrorNoStack {
		w.errFlag = 1
		if v.Type() == attribute.BOOL && !v.AsBool() {
			w.errFlag = 0
		}
		return
	}
	switch v.Type() {
	case attribute.BOOL:
		w.setBool(k, v.AsBool())
	case attribute.STRING:
		w.setMeta(k, v.AsString())
	case attribute.INT64:
		w.setInt(k, v.AsInt64())
	case attribute.FLOAT64:
		w.setMetric(k, v.AsFloat64())
	default:
		w.setSlice(k, v)
	}
}

func (w *wireSpan) setBool(k string, b bool) {
	if k == tagAnalyticsEvent {
		w.setMetric(tagEventRate, map[bool]float64{true: 1, false: 0}[b])
		return
	}
	w.setMeta(k, strconv.FormatBool(b))
}

func (w *wireSpan) setInt(k string, n int64) {
	if n > maxExactFloat || n < -maxExactFloat {
		w.setMeta(k, strconv.FormatInt(n, 10))
		return
	}
	w.setMetric(k, float64(n))
}

// setSlice is dd-trace-go's dot notation for slices: key.0, key.1...,
// numbers as metrics, the rest as strings.
func (w *wireSpan) setSlice(k string, v attribute.Value) {
	key := func(i int) string { return k + "." + strconv.Itoa(i) }
	switch v.Type() {
	case attribute.BOOLSLICE:
		for i, b := range v.AsBoolSlice() {
			w.setMeta(key(i), strconv.FormatBool(b))
		}
	case attribute.INT64SLICE:
		for i, n := range v.AsInt64Slice() {
			w.setInt(key(i), n)
		}
	case attribute.FLOAT64SLICE:
		for i, f := range v.AsFloat64Slice() {
			w.setMetric(key(i), f)
		}
	case attribute.STRINGSLICE:
		for i, s := range v.AsStringSlice() {
			w.setMeta(key(i), s)
		}
	default:
		w.setMeta(k, v.String())
	}
}

// tagSink receives the Datadog tags of a span's mapping (setAttributeTags,
// setErrorTags): a wireSpan, or a dd-trace-go span in the mirroring path.
type tagSink interface {
	setValue(k string, v attribute.Value)
	setString(k, v string)
	setError()
}

// gitTags are the source code tags dd-trace-go puts on the first span of
// a chunk: DD_GIT_REPOSITORY_URL and DD_GIT_COMMIT_SHA, else the same keys
// in DD_TAGS, else the commit and module path the binary was built from.
func gitTags(c Config, build func() (string, string, bool)) []strTag {
	ddTags := map[string]string{}
	for _, f := range strings.FieldsFunc(c.Tags, func(r rune) bool { return r == ',' || r == ' ' }) {
		if k, v, ok := strings.Cut(f, ":"); ok {
			ddTags[k] = v
		}
	}
	sha, path, ok := build()
	if !ok {
		sha, path = "", ""
	}
	var out []strTag
	for _, t := range []struct{ key, v1, v2, v3 string }{
		{"_dd.git.repository_url", withoutCredentials(c.GitRepositoryURL), withoutCredentials(ddTags["git.repository_url"]), ""},
		{"_dd.git.commit.sha", c.GitCommitSHA, ddTags["git.commit.sha"], sha},
		{"_dd.go_path", "", ddTags["go_path"], path},
	} {
		if v := firstNonEmpty(t.v1, t.v2, t.v3); v != "" {
			out = append(out, strTag{t.key, v})
		}
	}
	return out
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
