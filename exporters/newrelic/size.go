package newrelic

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// The estimates below are upper bounds of the protobuf encoding of an OTLP
// ExportTraceServiceRequest, the body New Relic measures against its payload
// limit. Each field is charged the most its tag can take (2 bytes: no field
// number in these messages exceeds 16), a length-delimited field its length
// prefix for the estimated length, which is never below the real one, and
// each scalar the most a varint or fixed64 can take, so the real encoding
// is never larger. Fields the encoder would leave out are charged too.
// TestSizeIsAnUpperBound checks this against the encoding the OTLP exporter
// produces.
const (
	tagSize    = 2
	scalarSize = tagSize + 10
	// requestOverhead covers what wraps the message on the wire, such as
	// gRPC's 5-byte message header.
	requestOverhead = 16
)

// lenField bounds a length-delimited field whose content is at most n bytes.
func lenField(n int) int { return tagSize + varintSize(n) + n }

func varintSize(n int) int {
	size := 1
	for n >= 0x80 {
		n >>= 7
		size++
	}
	return size
}

// anyValueSize bounds the encoded content of an OTLP AnyValue.
func anyValueSize(v attribute.Value) int {
	switch v.Type() {
	case attribute.EMPTY:
		return 0
	case attribute.BOOL, attribute.INT64, attribute.FLOAT64:
		return scalarSize
	case attribute.STRING:
		return lenField(len(v.AsString()))
	case attribute.BYTESLICE:
		return lenField(len(v.AsByteSlice()))
	case attribute.BOOLSLICE:
		return array(len(v.AsBoolSlice()), func(int) int { return scalarSize })
	case attribute.INT64SLICE:
		return array(len(v.AsInt64Slice()), func(int) int { return scalarSize })
	case attribute.FLOAT64SLICE:
		return array(len(v.AsFloat64Slice()), func(int) int { return scalarSize })
	case attribute.STRINGSLICE:
		ss := v.AsStringSlice()
		return array(len(ss), func(i int) int { return lenField(len(ss[i])) })
	case attribute.SLICE:
		vs := v.AsSlice()
		return array(len(vs), func(i int) int { return anyValueSize(vs[i]) })
	case attribute.MAP:
		kvs := v.AsMap()
		return lenField(attributesSize(kvs))
	default:
		// The exporter sends unknown types as the string "INVALID".
		return lenField(len("INVALID"))
	}
}

// array bounds AnyValue{array_value: ArrayValue{values: n AnyValues}}, each
// element's content bounded by elem.
func array(n int, elem func(int) int) int {
	total := 0
	for i := range n {
		total += lenField(elem(i))
	}
	return lenField(total)
}

// attributeSize bounds one KeyValue as a repeated field of its parent.
func attributeSize(kv attribute.KeyValue) int {
	return lenField(lenField(len(kv.Key)) + lenField(anyValueSize(kv.Value)))
}

func attributesSize(kvs []attribute.KeyValue) int {
	total := 0
	for _, kv := range kvs {
		total += attributeSize(kv)
	}
	return total
}

// eventSize bounds one Span.Event as a repeated field of its span.
func eventSize(ev sdktrace.Event) int {
	return lenField(scalarSize + lenField(len(ev.Name)) + attributesSize(ev.Attributes) + scalarSize)
}

// linkSize bounds one Span.Link as a repeated field of its span.
func linkSize(l sdktrace.Link) int {
	return lenField(lenField(16) + lenField(8) + lenField(len(l.SpanContext.TraceState().String())) +
		attributesSize(l.Attributes) + scalarSize + scalarSize)
}

// spanSize bounds one Span as a repeated field of its ScopeSpans.
func spanSize(s sdktrace.ReadOnlySpan) int {
	n := lenField(16) + lenField(8) + // trace and span ID
		lenField(len(s.SpanContext().TraceState().String())) +
		lenField(8) + // parent span ID
		scalarSize + // flags
		lenField(len(s.Name())) +
		scalarSize + // kind
		2*scalarSize + // start and end time
		attributesSize(s.Attributes()) + scalarSize +
		scalarSize + scalarSize + // dropped events and links
		lenField(lenField(len(s.Status().Description))+scalarSize)
	for _, ev := range s.Events() {
		n += eventSize(ev)
	}
	for _, l := range s.Links() {
		n += linkSize(l)
	}
	return lenField(n)
}

// resourceOverhead bounds a ResourceSpans without its scopes.
func resourceOverhead(r *resource.Resource) int {
	if r == nil {
		return lenField(0) + lenField(scalarSize) + lenField(0)
	}
	return lenField(0) + lenField(attributesSize(r.Attributes())+scalarSize) + lenField(len(r.SchemaURL()))
}

// scopeOverhead bounds a ScopeSpans without its spans.
func scopeOverhead(sc instrumentation.Scope) int {
	return lenField(0) +
		lenField(lenField(len(sc.Name))+lenField(len(sc.Version))+attributesSize(sc.Attributes.ToSlice())+scalarSize) +
		lenField(len(sc.SchemaURL))
}

type scopeKey struct {
	resource attribute.Distinct
	scope    instrumentation.Scope
}

// split cuts spans, in order, into batches whose estimated request size
// stays within budget. A span that alone exceeds it goes in a batch of its
// own.
func split(spans []sdktrace.ReadOnlySpan, budget int) [][]sdktrace.ReadOnlySpan {
	var (
		batches   [][]sdktrace.ReadOnlySpan
		cur       []sdktrace.ReadOnlySpan
		size      = requestOverhead
		resources = map[attribute.Distinct]bool{}
		scopes    = map[scopeKey]bool{}
	)
	cost := func(s sdktrace.ReadOnlySpan) int {
		c := spanSize(s)
		rk := s.Resource().Equivalent()
		if !resources[rk] {
			c += resourceOverhead(s.Resource())
		}
		if !scopes[scopeKey{rk, s.InstrumentationScope()}] {
			c += scopeOverhead(s.InstrumentationScope())
		}
		return c
	}
	for _, s := range spans {
		c := cost(s)
		if len(cur) > 0 && size+c > budget {
			batches = append(batches, cur)
			cur, size = nil, requestOverhead
			clear(resources)
			clear(scopes)
			c = cost(s)
		}
		rk := s.Resource().Equivalent()
		resources[rk] = true
		scopes[scopeKey{rk, s.InstrumentationScope()}] = true
		cur = append(cur, s)
		size += c
	}
	if len(cur) > 0 {
		batches = append(batches, cur)
	}
	return batches
}
