package otlpwire_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	"github.com/otelswitch/otelswitch/exporters/otlp/internal/otlpwire"
)

// captureTransport answers every request with 200 and keeps the last body:
// the real otlptracehttp exporter sends into it, so the SDK's own
// transform and marshalling are the oracle.
type captureTransport struct{ body []byte }

func (c *captureTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	_ = r.Body.Close()
	c.body = b
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
}

// sdkRequest returns the request the SDK's otlptracehttp exporter sends
// for spans, decoded.
func sdkRequest(t testing.TB, spans []sdktrace.ReadOnlySpan) *collectortrace.ExportTraceServiceRequest {
	t.Helper()
	ct := &captureTransport{}
	exp, err := otlptracehttp.New(context.Background(),
		otlptracehttp.WithEndpointURL("http://oracle.invalid/v1/traces"),
		otlptracehttp.WithHTTPClient(&http.Client{Transport: ct}),
		otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}))
	if err != nil {
		t.Fatal(err)
	}
	if err := exp.ExportSpans(context.Background(), spans); err != nil {
		t.Fatalf("the SDK's exporter: %v", err)
	}
	_ = exp.Shutdown(context.Background())
	var req collectortrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(ct.body, &req); err != nil {
		t.Fatal(err)
	}
	return &req
}

// ourRequest encodes spans with otlpwire and decodes the result with the
// official protos.
func ourRequest(t testing.TB, enc *otlpwire.Encoder, spans []sdktrace.ReadOnlySpan) *collectortrace.ExportTraceServiceRequest {
	t.Helper()
	b := enc.AppendRequest(nil, spans)
	var req collectortrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(b, &req); err != nil {
		t.Fatalf("otlpwire's output does not decode: %v", err)
	}
	// Re-marshalled by the official code, the same message has the same
	// size: no field was written twice or in a non-minimal form.
	if n := proto.Size(&req); n != len(b) {
		t.Errorf("otlpwire wrote %d bytes; the decoded message marshals to %d", len(b), n)
	}
	return &req
}

// normalise orders what the SDK leaves in map order (resources) and
// removes from ours what the SDK does not send (a link's trace state),
// after checking it is the link's.
func normalise(t testing.TB, req *collectortrace.ExportTraceServiceRequest, spans []sdktrace.ReadOnlySpan, ours bool) {
	t.Helper()
	key := func(m proto.Message) string {
		b, _ := proto.MarshalOptions{Deterministic: true}.Marshal(m)
		return string(b)
	}
	slices.SortStableFunc(req.ResourceSpans, func(a, b *tracepb.ResourceSpans) int {
		return strings.Compare(key(a.Resource)+a.SchemaUrl, key(b.Resource)+b.SchemaUrl)
	})
	if !ours {
		return
	}
	want := map[string][]string{} // span ID → its links' trace states
	for _, s := range spans {
		if s == nil {
			continue
		}
		sid := s.SpanContext().SpanID()
		for _, l := range s.Links() {
			want[string(sid[:])] = append(want[string(sid[:])], l.SpanContext.TraceState().String())
		}
	}
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			for _, sp := range ss.Spans {
				for i, l := range sp.Links {
					if w := want[string(sp.SpanId)]; i >= len(w) || l.TraceState != w[i] {
						t.Errorf("span %q link %d: trace state %q; want the link's, %q", sp.Name, i, l.TraceState, w)
					}
					l.TraceState = ""
				}
			}
		}
	}
}

// diff fails t unless otlpwire encodes spans as the SDK does.
func diff(t testing.TB, enc *otlpwire.Encoder, spans []sdktrace.ReadOnlySpan) {
	t.Helper()
	want := sdkRequest(t, spans)
	got := ourRequest(t, enc, spans)
	normalise(t, want, spans, false)
	normalise(t, got, spans, true)
	if !proto.Equal(got, want) {
		t.Errorf("otlpwire and the SDK differ\notlpwire:\n%s\nSDK:\n%s", short(got), short(want))
	}
}

// short renders a request for a failure message, cut to a readable size.
func short(m proto.Message) string {
	s := prototext.Format(m)
	if len(s) > 20000 {
		s = s[:20000] + "\n..."
	}
	return s
}

// recorder keeps every span that ends, sampled or not.
type recorder struct{ spans []sdktrace.ReadOnlySpan }

func (r *recorder) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (r *recorder) OnEnd(s sdktrace.ReadOnlySpan)                   { r.spans = append(r.spans, s) }
func (r *recorder) Shutdown(context.Context) error                  { return nil }
func (r *recorder) ForceFlush(context.Context) error                { return nil }

// everyType is an attribute of each type the API has, slices and nested
// values included, zero and empty values among them.
var everyType = []attribute.KeyValue{
	attribute.Bool("bool.true", true),
	attribute.Bool("bool.false", false),
	attribute.Int64("int.zero", 0),
	attribute.Int64("int.negative", -1<<62),
	attribute.Int("int.big", 1<<40),
	attribute.Float64("float", 3.25),
	attribute.Float64("float.zero", 0),
	attribute.Float64("float.negative", -1e300),
	attribute.String("string", "héllo"),
	attribute.String("string.empty", ""),
	attribute.BoolSlice("bools", []bool{true, false, true}),
	attribute.Int64Slice("ints", []int64{0, 1, -1, 1 << 50}),
	attribute.Float64Slice("floats", []float64{0, 1.5, -2}),
	attribute.StringSlice("strings", []string{"a", "", "ü"}),
	attribute.StringSlice("strings.empty", []string{}),
	attribute.ByteSlice("bytes", []byte{0, 1, 0xff}),
	attribute.ByteSlice("bytes.empty", nil),
	attribute.Slice("slice", attribute.StringValue("x"), attribute.IntValue(7), attribute.BoolValue(false),
		attribute.SliceValue(attribute.Float64Value(1)), attribute.MapValue(attribute.String("in", "map"))),
	attribute.Map("map", attribute.String("k", "v"), attribute.Int("n", 1),
		attribute.Map("nested", attribute.StringSlice("s", []string{"t"}))),
	{Key: "empty"}, // the EMPTY value
}

// generated makes spans through the SDK that use every field of the OTLP
// Span: every kind and status, parents local and remote, trace state,
// sampled and unsampled flags, events, links, every attribute type,
// dropped attributes, events and links, two resources with schema URLs,
// and scopes with and without version, schema URL and attributes.
func generated(t testing.TB) []sdktrace.ReadOnlySpan {
	t.Helper()
	rec := &recorder{}
	limits := sdktrace.NewSpanLimits()
	limits.AttributeCountLimit = len(everyType) + 2
	limits.EventCountLimit = 3
	limits.LinkCountLimit = 2
	limits.AttributePerEventCountLimit = 3
	limits.AttributePerLinkCountLimit = 2
	res1 := resource.NewWithAttributes("https://opentelemetry.io/schemas/1.26.0", append(everyType[:len(everyType)-1:len(everyType)-1],
		attribute.String("service.name", "books"))...)
	res2 := resource.NewSchemaless(attribute.String("service.name", "other"))
	var providers []*sdktrace.TracerProvider
	for i, res := range []*resource.Resource{res1, res2, resource.Empty()} {
		sampler := sdktrace.AlwaysSample()
		if i == 1 {
			sampler = recordOnly{}
		}
		providers = append(providers, sdktrace.NewTracerProvider(sdktrace.WithResource(res),
			sdktrace.WithSpanProcessor(rec), sdktrace.WithRawSpanLimits(limits), sdktrace.WithSampler(sampler)))
	}
	ts, err := trace.ParseTraceState("vendor=a1,other=b2")
	if err != nil {
		t.Fatal(err)
	}
	remote := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{4, 5, 6},
		TraceFlags: trace.FlagsSampled, TraceState: ts, Remote: true,
	})
	linked := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{9}, SpanID: trace.SpanID{8}, TraceState: ts, Remote: true,
	})
	localLink := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{7}, SpanID: trace.SpanID{6}, TraceFlags: trace.FlagsSampled,
	})
	kinds := []trace.SpanKind{trace.SpanKindUnspecified, trace.SpanKindInternal, trace.SpanKindServer,
		trace.SpanKindClient, trace.SpanKindProducer, trace.SpanKindConsumer}
	start := time.Date(2026, 12, 1, 19, 0, 0, 123456789, time.UTC)
	for pi, tp := range providers {
		tracers := []trace.Tracer{
			tp.Tracer("lib.full", trace.WithInstrumentationVersion("1.2.3"), trace.WithSchemaURL("https://opentelemetry.io/schemas/1.24.0"),
				trace.WithInstrumentationAttributes(attribute.String("scope.attr", "x"), attribute.Int("scope.n", 2))),
			tp.Tracer("lib.bare"),
			tp.Tracer(""),
		}
		for ti, tr := range tracers {
			for ki, k := range kinds {
				ctx := context.Background()
				switch ki % 3 {
				case 1:
					ctx = trace.ContextWithRemoteSpanContext(ctx, remote)
				case 2:
					var parent trace.Span
					ctx, parent = tr.Start(ctx, "local parent", trace.WithTimestamp(start))
					defer parent.End(trace.WithTimestamp(start.Add(time.Second)))
				}
				opts := []trace.SpanStartOption{trace.WithSpanKind(k), trace.WithTimestamp(start.Add(time.Duration(ki) * time.Millisecond))}
				if ki%2 == 0 {
					opts = append(opts, trace.WithLinks(
						trace.Link{SpanContext: linked, Attributes: []attribute.KeyValue{attribute.String("l", "1"), attribute.Int("m", 2), attribute.Bool("over", true)}},
						trace.Link{SpanContext: localLink},
						trace.Link{SpanContext: remote}))
				}
				_, s := tr.Start(ctx, "span "+k.String(), opts...)
				s.SetAttributes(everyType...)
				if ki == 0 {
					s.SetAttributes(attribute.String("over.1", "a"), attribute.String("over.2", "b"), attribute.String("over.3", "c"))
				}
				s.AddEvent("first", trace.WithTimestamp(start.Add(time.Microsecond)),
					trace.WithAttributes(attribute.String("e", "v"), attribute.Int64Slice("n", []int64{1}), attribute.Bool("b", true), attribute.Float64("dropped", 1)))
				s.AddEvent("no attributes", trace.WithTimestamp(start.Add(2*time.Microsecond)))
				if ki%2 == 1 {
					s.RecordError(errors.New("boom"), trace.WithTimestamp(start.Add(3*time.Microsecond)))
					s.AddEvent("dropped event")
				}
				switch (pi + ti + ki) % 3 {
				case 1:
					s.SetStatus(codes.Ok, "")
				case 2:
					s.SetStatus(codes.Error, "it broke: ✗")
				}
				s.End(trace.WithTimestamp(start.Add(time.Duration(ki+1) * time.Second)))
			}
		}
	}
	// A span before 1970 (clamped to 0) and one with a long name, whose
	// lengths take more bytes than reserved at every level.
	_, s := providers[0].Tracer("lib.bare").Start(context.Background(), strings.Repeat("long ", 40000),
		trace.WithTimestamp(time.Unix(-5, 0)))
	s.SetAttributes(attribute.String("big", strings.Repeat("x", 3<<20)))
	s.End(trace.WithTimestamp(time.Unix(0, 0)))
	return rec.spans
}

// recordOnly records every span without sampling it: trace flags 0.
type recordOnly struct{}

func (recordOnly) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	return sdktrace.SamplingResult{Decision: sdktrace.RecordOnly, Tracestate: trace.SpanContextFromContext(p.ParentContext).TraceState()}
}
func (recordOnly) Description() string { return "record only" }

// TestDifferential compares otlpwire's request with the SDK's for spans
// using every field, in one batch and span by span (so the shortest
// messages, whose reserved length bytes shrink, are covered too).
func TestDifferential(t *testing.T) {
	spans := generated(t)
	if len(spans) < 50 {
		t.Fatalf("generated %d spans; the generator is broken", len(spans))
	}
	enc := &otlpwire.Encoder{}
	diff(t, enc, spans)
	for _, s := range spans[:len(spans)-1] {
		diff(t, enc, []sdktrace.ReadOnlySpan{s})
	}
	// Encoded again with the resources and scopes cached.
	diff(t, enc, spans)
	// Out of order: resources and scopes interleaved.
	mixed := slices.Clone(spans)
	for i := range mixed {
		j := (i * 7) % len(mixed)
		mixed[i], mixed[j] = mixed[j], mixed[i]
	}
	diff(t, enc, mixed)
}

// TestNilAndEmpty: nil spans are skipped as the SDK skips them, and no
// spans make an empty request.
func TestNilAndEmpty(t *testing.T) {
	enc := &otlpwire.Encoder{}
	if b := enc.AppendRequest(nil, nil); len(b) != 0 {
		t.Errorf("no spans: %d bytes; want none", len(b))
	}
	spans := generated(t)[:3]
	diff(t, enc, []sdktrace.ReadOnlySpan{nil, spans[0], nil, spans[1], spans[2]})
}

// TestInvalidUTF8: strings that are not UTF-8, which make the SDK's
// exporter fail the whole batch, are sent with the bad bytes replaced, and
// the rest of the span is what the SDK sends for the repaired span.
func TestInvalidUTF8(t *testing.T) {
	bad := "bad \xff\xfe name"
	stub := tracetest.SpanStub{
		Name: bad,
		SpanContext: trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}, TraceFlags: trace.FlagsSampled}),
		Attributes:           []attribute.KeyValue{attribute.String(bad, bad), attribute.StringSlice("s", []string{bad})},
		Status:               sdktrace.Status{Code: codes.Error, Description: bad},
		Resource:             resource.NewSchemaless(attribute.String("r", bad)),
		InstrumentationScope: instrumentation.Scope{Name: bad, Version: bad},
	}
	fixed := strings.ToValidUTF8(bad, "\uFFFD")
	good := stub
	good.Name = fixed
	good.Attributes = []attribute.KeyValue{attribute.String(fixed, fixed), attribute.StringSlice("s", []string{fixed})}
	good.Status.Description = fixed
	good.Resource = resource.NewSchemaless(attribute.String("r", fixed))
	good.InstrumentationScope = instrumentation.Scope{Name: fixed, Version: fixed}

	got := ourRequest(t, &otlpwire.Encoder{}, []sdktrace.ReadOnlySpan{stub.Snapshot()})
	want := sdkRequest(t, []sdktrace.ReadOnlySpan{good.Snapshot()})
	if !proto.Equal(got, want) {
		t.Errorf("otlpwire:\n%s\nSDK, the strings repaired:\n%s", short(got), short(want))
	}
}

// TestAppends: AppendRequest appends, leaving what dst held.
func TestAppends(t *testing.T) {
	spans := generated(t)[:5]
	enc := &otlpwire.Encoder{}
	alone := enc.AppendRequest(nil, spans)
	prefix := []byte("prefix")
	b := enc.AppendRequest(prefix, spans)
	if !bytes.HasPrefix(b, prefix) || !bytes.Equal(b[len(prefix):], alone) {
		t.Error("AppendRequest(prefix) is not prefix followed by AppendRequest(nil)")
	}
}

// BenchmarkAppendRequest is the encoding alone: a batch of 512 of the
// generated spans (every field used, large attribute sets) per op; ns/span
// is the figure.
//
//	go test ./exporters/otlp/internal/otlpwire -run '^$' -bench AppendRequest -benchmem
func BenchmarkAppendRequest(b *testing.B) {
	all := generated(b)
	all = all[:len(all)-1] // not the 3 MB one
	spans := make([]sdktrace.ReadOnlySpan, 512)
	for i := range spans {
		spans[i] = all[i%len(all)]
	}
	enc := &otlpwire.Encoder{}
	buf := enc.AppendRequest(nil, spans)
	b.ReportAllocs()
	for b.Loop() {
		buf = enc.AppendRequest(buf[:0], spans)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(spans)), "ns/span")
	b.ReportMetric(float64(len(buf))/float64(len(spans)), "bytes/span")
}
