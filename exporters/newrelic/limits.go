package newrelic

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/otelswitch/otelswitch/exporters"
)

// New Relic's limits, from its "New Relic OTLP endpoint" page: attribute
// names up to 255 characters, values up to 4095, arrays up to 64 entries,
// and payloads smaller than 1 MB (10^6 bytes). Names and values are measured
// here in bytes, which is never less than characters, so the limits hold
// however New Relic counts.
const (
	maxNameBytes    = 255
	maxValueBytes   = 4095
	maxArrayLen     = 64
	maxPayloadBytes = 1_000_000
)

// maxRawBytes is the longest byte array whose base64 text (4 characters
// for every 3 bytes, rounded up) fits maxValueBytes.
const maxRawBytes = maxValueBytes / 4 * 3

// New Relic's attribute count limits, from the same page: at most 64
// resource attributes, 8 instrumentation scope attributes and 128
// attributes on each record (span, span event, link, metric data point).
// Attributes past them are dropped, the first ones kept, as the SDK's own
// count limit keeps them, and counted as dropped where OTLP has a count.
const (
	maxResourceAttrs = 64
	maxScopeAttrs    = 8
	maxRecordAttrs   = 128
)

// payloadBudget is what the estimated size of one export request may reach.
// The estimate is already an upper bound; the margin covers transport
// framing such as gRPC's message header.
var payloadBudget = maxPayloadBytes - 4096

// limitExporter keeps New Relic's limits on a copy of each span and splits
// each export so that no request exceeds the payload limit. Spans that need
// no change pass through as they are.
type limitExporter struct {
	next   sdktrace.SpanExporter
	budget int
}

func newLimitExporter(next sdktrace.SpanExporter) sdktrace.SpanExporter {
	return &limitExporter{next: next, budget: payloadBudget}
}

// ExportSpans sends spans in as many requests as the payload limit needs.
// A failed request does not stop the others; the errors are joined.
func (e *limitExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	limited := make([]sdktrace.ReadOnlySpan, len(spans))
	for i, s := range spans {
		limited[i] = fit(e.limit(s), e.budget)
	}
	var errs []error
	for _, batch := range split(limited, e.budget) {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		if err := e.next.ExportSpans(ctx, batch); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Shutdown shuts the wrapped exporter down.
func (e *limitExporter) Shutdown(ctx context.Context) error { return e.next.Shutdown(ctx) }

// limit returns s with New Relic's attribute limits applied to its
// attributes and its events' and links' attributes; its resource is held to
// them by rewriteResource. Span names, event names and the status
// description are held to the value limit too.
func (e *limitExporter) limit(s sdktrace.ReadOnlySpan) sdktrace.ReadOnlySpan {
	attrs, droppedAttrs, attrsChanged := limitAttributesN(s.Attributes(), maxRecordAttrs)
	scope, scopeChanged := limitScope(s.InstrumentationScope())
	name, nameCut := truncate(s.Name(), maxValueBytes)
	events, eventsChanged := limitEvents(s.Events())
	links, linksChanged := limitLinks(s.Links())
	status := s.Status()
	var statusCut bool
	status.Description, statusCut = truncate(status.Description, maxValueBytes)
	if !attrsChanged && !nameCut && !eventsChanged && !linksChanged && !statusCut && !scopeChanged {
		return s
	}
	return &limitedSpan{
		ReadOnlySpan:  s,
		scope:         scope,
		name:          name,
		attrs:         attrs,
		events:        events,
		links:         links,
		status:        status,
		droppedAttrs:  s.DroppedAttributes() + droppedAttrs,
		droppedEvents: s.DroppedEvents(),
		droppedLinks:  s.DroppedLinks(),
	}
}

// limitedSpan is a span as New Relic is sent it.
type limitedSpan struct {
	sdktrace.ReadOnlySpan
	scope         instrumentation.Scope
	name          string
	attrs         []attribute.KeyValue
	events        []sdktrace.Event
	links         []sdktrace.Link
	status        sdktrace.Status
	droppedAttrs  int
	droppedEvents int
	droppedLinks  int
}

var _ sdktrace.ReadOnlySpan = (*limitedSpan)(nil)

func (s *limitedSpan) Name() string                                { return s.name }
func (s *limitedSpan) InstrumentationScope() instrumentation.Scope { return s.scope }
func (s *limitedSpan) Attributes() []attribute.KeyValue            { return s.attrs }
func (s *limitedSpan) Events() []sdktrace.Event                    { return s.events }
func (s *limitedSpan) Links() []sdktrace.Link                      { return s.links }
func (s *limitedSpan) Status() sdktrace.Status                     { return s.status }
func (s *limitedSpan) DroppedAttributes() int                      { return s.droppedAttrs }
func (s *limitedSpan) DroppedEvents() int                          { return s.droppedEvents }
func (s *limitedSpan) DroppedLinks() int                           { return s.droppedLinks }

// asLimited returns a copy of s that fit may change.
func asLimited(s sdktrace.ReadOnlySpan) *limitedSpan {
	if ls, ok := s.(*limitedSpan); ok {
		c := *ls
		return &c
	}
	return &limitedSpan{
		ReadOnlySpan:  s,
		scope:         s.InstrumentationScope(),
		name:          s.Name(),
		attrs:         s.Attributes(),
		events:        s.Events(),
		links:         s.Links(),
		status:        s.Status(),
		droppedAttrs:  s.DroppedAttributes(),
		droppedEvents: s.DroppedEvents(),
		droppedLinks:  s.DroppedLinks(),
	}
}

// limitAttributesN applies the limits to kvs and keeps at most n of them.
// It returns kvs itself when nothing changes, and how many attributes it
// dropped.
func limitAttributesN(kvs []attribute.KeyValue, n int) ([]attribute.KeyValue, int, bool) {
	out, dropped, changed := limitAttributes(kvs)
	if len(out) > n {
		dropped += len(out) - n
		out, changed = out[:n:n], true
	}
	return out, dropped, changed
}

// limitAttributes applies the per-attribute limits to kvs. It returns kvs
// itself when nothing changes, and how many attributes it dropped.
func limitAttributes(kvs []attribute.KeyValue) ([]attribute.KeyValue, int, bool) {
	return exporters.CopyOnWrite(kvs, limitKeyValue)
}

// limitKeyValue applies the limits to one attribute: a name that is too long
// drops it, since a cut name could collide with another; strings are cut,
// arrays shortened, byte arrays cut to what fits the value limit as base64.
// Maps and mixed arrays, which New Relic does not take ("complex types like
// maps of maps, object arrays, and heterogeneous arrays are not
// supported"), are sent as their text form.
func limitKeyValue(kv attribute.KeyValue) (attribute.KeyValue, bool, bool) {
	if len(kv.Key) > maxNameBytes {
		return kv, false, true
	}
	switch v := kv.Value; v.Type() {
	case attribute.STRING:
		if s, cut := truncate(v.AsString(), maxValueBytes); cut {
			return attribute.String(string(kv.Key), s), true, true
		}
	case attribute.STRINGSLICE:
		if ss, changed := limitStrings(v.AsStringSlice()); changed {
			return attribute.StringSlice(string(kv.Key), ss), true, true
		}
	case attribute.BOOLSLICE:
		return shorten(kv, v.AsBoolSlice(), maxArrayLen, attribute.BoolSlice)
	case attribute.INT64SLICE:
		return shorten(kv, v.AsInt64Slice(), maxArrayLen, attribute.Int64Slice)
	case attribute.FLOAT64SLICE:
		return shorten(kv, v.AsFloat64Slice(), maxArrayLen, attribute.Float64Slice)
	case attribute.BYTESLICE:
		// Sent as OTLP bytes, which New Relic takes and stores as base64
		// text; cut so that the text stays within the value limit.
		return shorten(kv, v.AsByteSlice(), maxRawBytes, attribute.ByteSlice)
	case attribute.SLICE, attribute.MAP:
		s, _ := truncate(v.String(), maxValueBytes)
		return attribute.String(string(kv.Key), s), true, true
	}
	return kv, true, false
}

// shorten returns kv rebuilt by mk with s, its value, cut to n elements
// when it is longer, in limitKeyValue's terms: kept, and whether changed.
func shorten[T any](kv attribute.KeyValue, s []T, n int, mk func(string, []T) attribute.KeyValue) (attribute.KeyValue, bool, bool) {
	if len(s) <= n {
		return kv, true, false
	}
	return mk(string(kv.Key), s[:n]), true, true
}

// limitStrings keeps the first maxArrayLen strings, each cut to
// maxValueBytes, and says whether anything changed.
func limitStrings(ss []string) ([]string, bool) {
	changed := len(ss) > maxArrayLen
	ss = ss[:min(len(ss), maxArrayLen)]
	for i := range ss {
		var cut bool
		if ss[i], cut = truncate(ss[i], maxValueBytes); cut {
			changed = true
		}
	}
	return ss, changed
}

func limitEvents(events []sdktrace.Event) ([]sdktrace.Event, bool) {
	out, _, changed := exporters.CopyOnWrite(events, func(ev sdktrace.Event) (sdktrace.Event, bool, bool) {
		attrs, dropped, attrsChanged := limitAttributesN(ev.Attributes, maxRecordAttrs)
		name, nameCut := truncate(ev.Name, maxValueBytes)
		if !attrsChanged && !nameCut {
			return ev, true, false
		}
		ev.Name, ev.Attributes = name, attrs
		ev.DroppedAttributeCount += dropped
		return ev, true, true
	})
	return out, changed
}

func limitLinks(links []sdktrace.Link) ([]sdktrace.Link, bool) {
	out, _, changed := exporters.CopyOnWrite(links, func(l sdktrace.Link) (sdktrace.Link, bool, bool) {
		attrs, dropped, changed := limitAttributesN(l.Attributes, maxRecordAttrs)
		if !changed {
			return l, true, false
		}
		l.Attributes = attrs
		l.DroppedAttributeCount += dropped
		return l, true, true
	})
	return out, changed
}

// truncate cuts s to at most maxBytes bytes without splitting a UTF-8
// sequence.
func truncate(s string, maxBytes int) (string, bool) {
	if len(s) <= maxBytes {
		return s, false
	}
	i := maxBytes
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i], true
}

// fit makes a span that alone would exceed the payload budget small enough,
// by dropping its largest attributes, events and links first and counting
// them as dropped: the span, its timing and its place in the trace are kept.
func fit(s sdktrace.ReadOnlySpan, budget int) sdktrace.ReadOnlySpan {
	fixed := requestOverhead + resourceOverhead(s.Resource()) + scopeOverhead(s.InstrumentationScope())
	excess := fixed + spanSize(s) - budget
	if excess <= 0 {
		return s
	}
	ls := asLimited(s)
	const (
		kindAttr = iota
		kindEvent
		kindLink
	)
	type item struct{ kind, index, size int }
	var items []item
	for i, kv := range ls.attrs {
		items = append(items, item{kindAttr, i, attributeSize(kv)})
	}
	for i, ev := range ls.events {
		items = append(items, item{kindEvent, i, eventSize(ev)})
	}
	for i, l := range ls.links {
		items = append(items, item{kindLink, i, linkSize(l)})
	}
	slices.SortStableFunc(items, func(a, b item) int { return cmp.Compare(b.size, a.size) })
	drop := map[[2]int]bool{}
	for _, it := range items {
		if excess <= 0 {
			break
		}
		drop[[2]int{it.kind, it.index}] = true
		excess -= it.size
	}
	ls.attrs = keep(ls.attrs, kindAttr, drop, &ls.droppedAttrs)
	ls.events = keep(ls.events, kindEvent, drop, &ls.droppedEvents)
	ls.links = keep(ls.links, kindLink, drop, &ls.droppedLinks)
	return ls
}

func keep[T any](in []T, kind int, drop map[[2]int]bool, dropped *int) []T {
	out := make([]T, 0, len(in))
	for i, v := range in {
		if drop[[2]int{kind, i}] {
			*dropped++
			continue
		}
		out = append(out, v)
	}
	return out
}

// rewriteResource returns the resource New Relic is sent: with its
// attributes held to the limits and, when the service would otherwise be
// unknown_service, service.name taken from NEW_RELIC_APP_NAME. It returns r
// itself when nothing changes. It is the backend's otlp.Pipeline.Resource,
// so spans and metrics are sent with it and other backends are not.
func rewriteResource(appName string) func(*resource.Resource) *resource.Resource {
	return func(r *resource.Resource) *resource.Resource {
		if r == nil {
			return nil
		}
		attrs := r.Attributes()
		rename := false
		if appName != "" {
			name, ok := r.Set().Value(semconv.ServiceNameKey)
			rename = !ok || strings.HasPrefix(name.AsString(), "unknown_service")
		}
		if !rename && len(attrs) <= maxResourceAttrs {
			if _, _, changed := limitAttributes(attrs); !changed {
				return r
			}
		}
		// service.name first, so that the count limit keeps it.
		name, hasName := r.Set().Value(semconv.ServiceNameKey)
		if rename {
			name, hasName = attribute.StringValue(appName), true
		}
		ordered := make([]attribute.KeyValue, 0, len(attrs)+1)
		if hasName {
			ordered = append(ordered, semconv.ServiceNameKey.String(name.AsString()))
		}
		for _, kv := range attrs {
			if kv.Key != semconv.ServiceNameKey {
				ordered = append(ordered, kv)
			}
		}
		limited, _, _ := limitAttributesN(ordered, maxResourceAttrs)
		return resource.NewWithAttributes(r.SchemaURL(), limited...)
	}
}

// limitScope holds an instrumentation scope's attributes to the limits.
func limitScope(sc instrumentation.Scope) (instrumentation.Scope, bool) {
	if sc.Attributes.Len() == 0 {
		return sc, false
	}
	attrs, _, changed := limitAttributesN(sc.Attributes.ToSlice(), maxScopeAttrs)
	if !changed {
		return sc, false
	}
	sc.Attributes = attribute.NewSet(attrs...)
	return sc, true
}
