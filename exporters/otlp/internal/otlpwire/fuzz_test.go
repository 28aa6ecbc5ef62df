package otlpwire_test

import (
	"encoding/binary"
	"math"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/exporters/otlp/internal/otlpwire"
)

// gen turns fuzz input into span fields; past the end of the input it
// yields zeros.
type gen struct{ b []byte }

func (g *gen) byte() byte {
	if len(g.b) == 0 {
		return 0
	}
	c := g.b[0]
	g.b = g.b[1:]
	return c
}

func (g *gen) u64() uint64 {
	var buf [8]byte
	for i := range buf {
		buf[i] = g.byte()
	}
	return binary.LittleEndian.Uint64(buf[:])
}

// str is a short string from the input, made valid UTF-8: the SDK, the
// oracle, fails on anything else (TestInvalidUTF8 covers that case).
func (g *gen) str() string {
	n := int(g.byte() % 24)
	var sb strings.Builder
	for range n {
		sb.WriteByte(g.byte())
	}
	return strings.ToValidUTF8(sb.String(), "?")
}

// float is a float64 from the input, but not NaN: proto.Equal, the
// comparison, never finds NaN equal to itself.
func (g *gen) float() float64 {
	f := math.Float64frombits(g.u64())
	if math.IsNaN(f) {
		return 0
	}
	return f
}

func (g *gen) value(depth int) attribute.Value {
	n := int(g.byte() % 4)
	switch t := g.byte() % 13; t {
	case 0:
		return attribute.BoolValue(g.byte()&1 == 1)
	case 1:
		return attribute.Int64Value(int64(g.u64()))
	case 2:
		return attribute.Float64Value(g.float())
	case 3:
		return attribute.StringValue(g.str())
	case 4:
		v := make([]bool, n)
		for i := range v {
			v[i] = g.byte()&1 == 1
		}
		return attribute.BoolSliceValue(v)
	case 5:
		v := make([]int64, n)
		for i := range v {
			v[i] = int64(g.u64())
		}
		return attribute.Int64SliceValue(v)
	case 6:
		v := make([]float64, n)
		for i := range v {
			v[i] = g.float()
		}
		return attribute.Float64SliceValue(v)
	case 7:
		v := make([]string, n)
		for i := range v {
			v[i] = g.str()
		}
		return attribute.StringSliceValue(v)
	case 8:
		v := make([]byte, n*3)
		for i := range v {
			v[i] = g.byte()
		}
		return attribute.ByteSliceValue(v)
	case 9:
		if depth > 2 {
			return attribute.StringValue("deep")
		}
		v := make([]attribute.Value, n)
		for i := range v {
			v[i] = g.value(depth + 1)
		}
		return attribute.SliceValue(v...)
	case 10:
		if depth > 2 {
			return attribute.IntValue(0)
		}
		return attribute.MapValue(g.attrs(depth+1, n)...)
	case 11:
		return attribute.Value{} // EMPTY
	default:
		return attribute.StringValue(strings.Repeat("long", int(g.byte())*8))
	}
}

func (g *gen) attrs(depth, n int) []attribute.KeyValue {
	kvs := make([]attribute.KeyValue, n)
	for i := range kvs {
		kvs[i] = attribute.KeyValue{Key: attribute.Key(g.str()), Value: g.value(depth)}
	}
	return kvs
}

func (g *gen) spanContext() trace.SpanContext {
	var tid trace.TraceID
	var sid trace.SpanID
	binary.LittleEndian.PutUint64(tid[:], g.u64())
	binary.LittleEndian.PutUint64(tid[8:], g.u64())
	binary.LittleEndian.PutUint64(sid[:], g.u64())
	cfg := trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.TraceFlags(g.byte()), Remote: g.byte()&1 == 1}
	if g.byte()&1 == 1 {
		ts, err := trace.ParseTraceState("k" + string('a'+rune(g.byte()%26)) + "=v" + string('0'+rune(g.byte()%10)))
		if err == nil {
			cfg.TraceState = ts
		}
	}
	return trace.NewSpanContext(cfg)
}

func (g *gen) time() time.Time {
	return time.Unix(0, int64(g.u64()>>1)-int64(g.byte())*int64(time.Second))
}

// spans builds between 1 and 8 spans over two resources and three scopes.
func (g *gen) spans() []sdktrace.ReadOnlySpan {
	resources := []*resource.Resource{
		resource.NewWithAttributes(g.str(), g.attrs(0, int(g.byte()%4))...),
		resource.NewSchemaless(g.attrs(0, int(g.byte()%3))...),
	}
	scopes := []instrumentation.Scope{
		{Name: g.str(), Version: g.str(), SchemaURL: g.str(), Attributes: attribute.NewSet(g.attrs(0, int(g.byte()%3))...)},
		{Name: g.str()},
		{},
	}
	n := 1 + int(g.byte()%8)
	out := make([]sdktrace.ReadOnlySpan, 0, n)
	for range n {
		s := tracetest.SpanStub{
			Name:                 g.str(),
			SpanContext:          g.spanContext(),
			SpanKind:             trace.SpanKind(g.byte() % 7),
			StartTime:            g.time(),
			EndTime:              g.time(),
			Attributes:           g.attrs(0, int(g.byte()%6)),
			DroppedAttributes:    int(g.byte()) - 16,
			DroppedEvents:        int(int32(g.u64())),
			DroppedLinks:         int(g.byte()),
			Status:               sdktrace.Status{Code: codes.Code(g.byte() % 4), Description: g.str()},
			Resource:             resources[g.byte()%2],
			InstrumentationScope: scopes[g.byte()%3],
			ChildSpanCount:       int(g.byte()),
		}
		if g.byte()&1 == 1 {
			s.Parent = g.spanContext()
		}
		for range g.byte() % 3 {
			s.Events = append(s.Events, sdktrace.Event{Name: g.str(), Time: g.time(),
				Attributes: g.attrs(0, int(g.byte()%3)), DroppedAttributeCount: int(g.byte()%3) - 1})
		}
		for range g.byte() % 3 {
			s.Links = append(s.Links, sdktrace.Link{SpanContext: g.spanContext(),
				Attributes: g.attrs(0, int(g.byte()%3)), DroppedAttributeCount: int(g.byte() % 3)})
		}
		out = append(out, s.Snapshot())
	}
	return out
}

// FuzzEncode compares otlpwire's request with the SDK's, decoded with the
// official protos, for spans built from the input. Seeds are in
// testdata/fuzz/FuzzEncode.
//
//	go test ./exporters/otlp/internal/otlpwire -run '^$' -fuzz FuzzEncode -fuzztime 2000x
func FuzzEncode(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("a fairly ordinary span with some attributes and an event or two"))
	f.Add([]byte{0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0xfa, 0xf9, 0xf8, 0xf7, 0xf6, 0xf5, 0xf4, 0xf3, 0xf2, 0xf1, 0xf0})
	enc := &otlpwire.Encoder{}
	f.Fuzz(func(t *testing.T, data []byte) {
		g := &gen{b: data}
		diff(t, enc, g.spans())
	})
}
