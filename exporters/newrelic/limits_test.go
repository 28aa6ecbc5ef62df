package newrelic

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/internal/otlptest"
)

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"exactly", 7, "exactly"},
		{"abcdef", 3, "abc"},
		{"aé", 2, "a"},                  // é is two bytes; never cut it in half
		{"日本語", 7, "日本"},                // three bytes a rune
		{"😀😀", 5, "😀"},                  // four bytes a rune
		{"\xff\xfe\xfd", 2, "\xff\xfe"}, // invalid input stays as invalid as it was
		{"é", 1, ""},
	}
	for _, tt := range tests {
		got, cut := truncate(tt.in, tt.max)
		if got != tt.want || cut != (got != tt.in) {
			t.Errorf("truncate(%q, %d) = %q, %v; want %q", tt.in, tt.max, got, cut, tt.want)
		}
		if utf8.ValidString(tt.in) && !utf8.ValidString(got) {
			t.Errorf("truncate(%q, %d) = %q is not valid UTF-8", tt.in, tt.max, got)
		}
	}
}

func TestLimitKeyValue(t *testing.T) {
	long := strings.Repeat("x", 5000)
	tests := []struct {
		name    string
		in      attribute.KeyValue
		keep    bool
		changed bool
		check   func(attribute.KeyValue) bool
	}{
		{"short string", attribute.String("a", "b"), true, false, nil},
		{"long string", attribute.String("a", long), true, true, func(kv attribute.KeyValue) bool { return len(kv.Value.AsString()) == maxValueBytes }},
		{"name of 255 bytes", attribute.String(strings.Repeat("k", 255), "v"), true, false, nil},
		{"name of 256 bytes", attribute.String(strings.Repeat("k", 256), "v"), false, true, nil},
		{"64 strings", attribute.StringSlice("a", make([]string, 64)), true, false, nil},
		{"65 strings", attribute.StringSlice("a", make([]string, 65)), true, true, func(kv attribute.KeyValue) bool { return len(kv.Value.AsStringSlice()) == 64 }},
		{"long string in an array", attribute.StringSlice("a", []string{"ok", long}), true, true, func(kv attribute.KeyValue) bool {
			ss := kv.Value.AsStringSlice()
			return len(ss) == 2 && ss[0] == "ok" && len(ss[1]) == maxValueBytes
		}},
		{"65 bools", attribute.BoolSlice("a", make([]bool, 65)), true, true, func(kv attribute.KeyValue) bool { return len(kv.Value.AsBoolSlice()) == 64 }},
		{"65 ints", attribute.Int64Slice("a", make([]int64, 65)), true, true, func(kv attribute.KeyValue) bool { return len(kv.Value.AsInt64Slice()) == 64 }},
		{"65 floats", attribute.Float64Slice("a", make([]float64, 65)), true, true, func(kv attribute.KeyValue) bool { return len(kv.Value.AsFloat64Slice()) == 64 }},
		{"int", attribute.Int("a", 1), true, false, nil},
		{"map becomes text", attribute.Map("a", attribute.String("k", "v")), true, true, func(kv attribute.KeyValue) bool {
			return kv.Value.Type() == attribute.STRING && kv.Value.AsString() != ""
		}},
		{"mixed array becomes text", attribute.Slice("a", attribute.IntValue(1), attribute.StringValue("x")), true, true, func(kv attribute.KeyValue) bool { return kv.Value.Type() == attribute.STRING }},
		{"short bytes stay bytes", attribute.ByteSlice("a", []byte{0, 1, 0xff}), true, false, nil},
		{"long bytes are cut to what fits as base64", attribute.ByteSlice("a", []byte(long)), true, true, func(kv attribute.KeyValue) bool {
			b := kv.Value.AsByteSlice()
			return kv.Value.Type() == attribute.BYTESLICE && base64.StdEncoding.EncodedLen(len(b)) <= maxValueBytes &&
				base64.StdEncoding.EncodedLen(len(b)+3) > maxValueBytes
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, keep, changed := limitKeyValue(tt.in)
			if keep != tt.keep || changed != tt.changed {
				t.Fatalf("keep, changed = %v, %v; want %v, %v", keep, changed, tt.keep, tt.changed)
			}
			if !changed && got != tt.in {
				t.Error("an unchanged attribute was rewritten")
			}
			if tt.check != nil && !tt.check(got) {
				t.Errorf("got %s=%s", got.Key, got.Value.String())
			}
			if keep && got.Key != tt.in.Key {
				t.Errorf("key changed to %q", got.Key)
			}
		})
	}
}

func TestLimitAttributesCopiesOnlyWhenNeeded(t *testing.T) {
	in := []attribute.KeyValue{attribute.String("a", "b"), attribute.Int("c", 1)}
	out, dropped, changed := limitAttributes(in)
	if changed || dropped != 0 || &out[0] != &in[0] {
		t.Error("attributes within the limits were copied")
	}
	in = append(in, attribute.String(strings.Repeat("k", 300), "v"), attribute.String("d", strings.Repeat("x", 5000)))
	out, dropped, changed = limitAttributes(in)
	if !changed || dropped != 1 || len(out) != 3 || len(out[2].Value.AsString()) != maxValueBytes {
		t.Errorf("limitAttributes = %d attributes, %d dropped, %v", len(out), dropped, changed)
	}
	if len(in[3].Value.AsString()) != 5000 {
		t.Error("the input was modified")
	}
}

func stub(name string, attrs []attribute.KeyValue, res *resource.Resource) sdktrace.ReadOnlySpan {
	ts, _ := trace.ParseTraceState("vendor=value,other=thing")
	return tracetest.SpanStub{
		Name: name,
		SpanContext: trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: trace.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
			SpanID:  trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8}, TraceFlags: trace.FlagsSampled, TraceState: ts,
		}),
		Parent:     trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{9}}),
		SpanKind:   trace.SpanKindServer,
		StartTime:  time.Unix(1_700_000_000, 123),
		EndTime:    time.Unix(1_700_000_001, 456),
		Attributes: attrs,
		Events: []sdktrace.Event{
			{Name: "exception", Time: time.Unix(1_700_000_000, 500), Attributes: []attribute.KeyValue{attribute.String("exception.message", "boom")}, DroppedAttributeCount: 2},
		},
		Links: []sdktrace.Link{{
			SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{7}, SpanID: trace.SpanID{7}, TraceState: ts}),
			Attributes:  []attribute.KeyValue{attribute.Bool("follows", true)},
		}},
		Status:               sdktrace.Status{Code: codes.Error, Description: "it broke"},
		DroppedAttributes:    1,
		DroppedEvents:        2,
		DroppedLinks:         3,
		ChildSpanCount:       4,
		Resource:             res,
		InstrumentationScope: instrumentation.Scope{Name: "books/store", Version: "v1.2.3", SchemaURL: "https://opentelemetry.io/schemas/1.26.0", Attributes: attribute.NewSet(attribute.String("scope.attr", "x"))},
	}.Snapshot()
}

// TestSizeIsAnUpperBound sends spans through the real OTLP/HTTP exporter and
// checks that the estimate is never below the body it produced.
func TestSizeIsAnUpperBound(t *testing.T) {
	recv, srv := otlptest.NewHTTP(t)
	exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(srv.URL+"/v1/traces"), otlptracehttp.WithCompression(otlptracehttp.NoCompression))
	if err != nil {
		t.Fatal(err)
	}
	defer exp.Shutdown(context.Background())
	res := resource.NewWithAttributes("https://opentelemetry.io/schemas/1.26.0", attribute.String("service.name", "books"), attribute.StringSlice("host.ip", []string{"10.0.0.1", "fe80::1"}))
	allTypes := []attribute.KeyValue{
		attribute.String("s", "text"), attribute.String("big", strings.Repeat("x", 300_000)),
		attribute.Bool("b", true), attribute.Int64("i", -1), attribute.Float64("f", 3.14),
		attribute.BoolSlice("bs", []bool{true, false}), attribute.Int64Slice("is", []int64{-1, 1 << 62}),
		attribute.Float64Slice("fs", []float64{1.5}), attribute.StringSlice("ss", []string{"a", strings.Repeat("y", 200)}),
		attribute.ByteSlice("bytes", []byte{0, 1, 2}), attribute.Slice("mixed", attribute.IntValue(1), attribute.StringValue("x")),
		attribute.Map("map", attribute.String("k", "v"), attribute.Map("inner", attribute.Int("n", 2))),
		{Key: "empty"},
	}
	cases := map[string][]sdktrace.ReadOnlySpan{
		"empty span":    {tracetest.SpanStub{}.Snapshot()},
		"full span":     {stub("GET /books", allTypes, res)},
		"many attrs":    {stub("x", manyAttrs(500, 40), res)},
		"several spans": {stub("a", allTypes[:4], res), stub("b", nil, res), stub("c", allTypes[4:], resource.NewSchemaless(attribute.String("other", "resource")))},
	}
	for name, spans := range cases {
		t.Run(name, func(t *testing.T) {
			before := len(recv.Requests())
			if err := exp.ExportSpans(context.Background(), spans); err != nil {
				t.Fatal(err)
			}
			reqs := recv.Requests()[before:]
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			batches := split(spans, 1<<40)
			if len(batches) != 1 {
				t.Fatalf("split made %d batches with no budget to speak of", len(batches))
			}
			estimate := batchSize(batches[0])
			if actual := reqs[0].BodyBytes; estimate < actual {
				t.Errorf("estimate %d < actual %d bytes", estimate, actual)
			} else {
				t.Logf("estimate %d, actual %d bytes", estimate, actual)
			}
		})
	}
}

func manyAttrs(n, size int) []attribute.KeyValue {
	attrs := make([]attribute.KeyValue, n)
	for i := range attrs {
		attrs[i] = attribute.String(fmt.Sprintf("attr.%d", i), strings.Repeat("v", size))
	}
	return attrs
}

// batchSize is the estimate split works with for one batch.
func batchSize(spans []sdktrace.ReadOnlySpan) int {
	size := requestOverhead
	resources := map[attribute.Distinct]bool{}
	scopes := map[scopeKey]bool{}
	for _, s := range spans {
		size += spanSize(s)
		rk := s.Resource().Equivalent()
		if !resources[rk] {
			resources[rk] = true
			size += resourceOverhead(s.Resource())
		}
		if sk := (scopeKey{rk, s.InstrumentationScope()}); !scopes[sk] {
			scopes[sk] = true
			size += scopeOverhead(s.InstrumentationScope())
		}
	}
	return size
}

func TestSplitKeepsOrderAndStaysWithinBudget(t *testing.T) {
	res := resource.NewSchemaless(attribute.String("service.name", "books"))
	var spans []sdktrace.ReadOnlySpan
	for i := range 50 {
		spans = append(spans, stub(fmt.Sprintf("span-%d", i), manyAttrs(3, 300*(i%5)), res))
	}
	const budget = 8000
	batches := split(spans, budget)
	if len(batches) < 2 {
		t.Fatalf("%d batches, want several", len(batches))
	}
	var names []string
	for i, b := range batches {
		if size := batchSize(b); size > budget {
			t.Errorf("batch %d is estimated at %d bytes, over %d", i, size, budget)
		}
		for _, s := range b {
			names = append(names, s.Name())
		}
	}
	for i, n := range names {
		if n != spans[i].Name() {
			t.Fatalf("span %d is %s, want %s: order or content lost", i, n, spans[i].Name())
		}
	}
	if len(names) != len(spans) {
		t.Errorf("%d spans after split, want %d", len(names), len(spans))
	}
}

func TestFitDropsLargestFirst(t *testing.T) {
	res := resource.NewSchemaless()
	s := stub("op", []attribute.KeyValue{
		attribute.String("small", "x"),
		attribute.String("huge", strings.Repeat("h", 3000)),
		attribute.String("medium", strings.Repeat("m", 400)),
	}, res)
	budget := requestOverhead + resourceOverhead(res) + scopeOverhead(s.InstrumentationScope()) + spanSize(s) - 1000
	got := fit(s, budget)
	if size := requestOverhead + resourceOverhead(res) + scopeOverhead(s.InstrumentationScope()) + spanSize(got); size > budget {
		t.Fatalf("fitted span is %d bytes, over %d", size, budget)
	}
	var keys []string
	for _, kv := range got.Attributes() {
		keys = append(keys, string(kv.Key))
	}
	if strings.Join(keys, ",") != "small,medium" {
		t.Errorf("kept %v; want the largest attribute dropped first", keys)
	}
	if got.DroppedAttributes() != s.DroppedAttributes()+1 {
		t.Errorf("dropped attributes = %d, want %d", got.DroppedAttributes(), s.DroppedAttributes()+1)
	}
	if got.Name() != "op" || !got.SpanContext().Equal(s.SpanContext()) || len(got.Events()) != 1 {
		t.Error("fit lost what fitted")
	}
	if _, copied := fit(s, 1<<30).(*limitedSpan); copied {
		t.Error("a span within the budget was copied")
	}
}

// recordingExporter keeps each batch it is given.
type recordingExporter struct{ batches [][]sdktrace.ReadOnlySpan }

func (r *recordingExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	r.batches = append(r.batches, spans)
	return nil
}
func (r *recordingExporter) Shutdown(context.Context) error { return nil }

func TestLimitExporterSendsAHugeSpanWithinTheLimit(t *testing.T) {
	values := make([]string, 100)
	for i := range values {
		values[i] = strings.Repeat("z", 5000)
	}
	var attrs []attribute.KeyValue
	for i := range 60 { // 60 attributes of 64 entries of 4095 bytes: about 15 MB after the limits
		attrs = append(attrs, attribute.StringSlice(fmt.Sprintf("a%d", i), values))
	}
	res := resource.NewSchemaless(attribute.String("service.name", "books"))
	spans := []sdktrace.ReadOnlySpan{stub("small", nil, res), stub("huge", attrs, res), stub("small-2", nil, res)}
	rec := &recordingExporter{}
	e := newLimitExporter(rec)
	if err := e.ExportSpans(context.Background(), spans); err != nil {
		t.Fatal(err)
	}
	var got []string
	for i, b := range rec.batches {
		if size := batchSize(b); size >= maxPayloadBytes {
			t.Errorf("batch %d is estimated at %d bytes", i, size)
		}
		for _, s := range b {
			got = append(got, s.Name())
			if s.Name() == "huge" {
				if s.DroppedAttributes() <= 1 || len(s.Attributes())+s.DroppedAttributes() != len(attrs)+1 {
					t.Errorf("huge span: %d attributes kept, %d dropped; want the rest counted as dropped", len(s.Attributes()), s.DroppedAttributes())
				}
			}
		}
	}
	if strings.Join(got, ",") != "small,huge,small-2" {
		t.Errorf("spans sent: %v", got)
	}
}

func TestRewriteResource(t *testing.T) {
	long := strings.Repeat("c", 5000)
	r := resource.NewWithAttributes("https://opentelemetry.io/schemas/1.26.0",
		attribute.String("service.name", "unknown_service:books"), attribute.String("process.command_line", long))
	got := rewriteResource("books")(r)
	name, _ := got.Set().Value("service.name")
	cmd, _ := got.Set().Value("process.command_line")
	if name.AsString() != "books" || len(cmd.AsString()) != maxValueBytes || got.SchemaURL() != r.SchemaURL() {
		t.Errorf("rewritten resource = %v", got)
	}
	plain := resource.NewSchemaless(attribute.String("service.name", "books"))
	if rewriteResource("other")(plain) != plain || rewriteResource("")(plain) != plain {
		t.Error("a resource needing no change was copied")
	}
}

// TestCountLimits checks New Relic's attribute count limits on its copy:
// 128 on a span, its events and links, 64 on the resource (service.name
// always kept), 8 on the scope; the dropped ones are counted on the span.
func TestCountLimits(t *testing.T) {
	many := func(prefix string, n int) []attribute.KeyValue {
		kvs := make([]attribute.KeyValue, n)
		for i := range kvs {
			kvs[i] = attribute.Int(fmt.Sprintf("%s%03d", prefix, i), i)
		}
		return kvs
	}
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec),
		sdktrace.WithRawSpanLimits(sdktrace.SpanLimits{AttributeCountLimit: 1000, AttributePerEventCountLimit: 1000, AttributePerLinkCountLimit: 1000, EventCountLimit: 10, LinkCountLimit: 10, AttributeValueLengthLimit: -1}))
	tr := tp.Tracer("scope", trace.WithInstrumentationAttributes(many("s", 12)...))
	_, span := tr.Start(context.Background(), "op", trace.WithAttributes(many("a", 200)...),
		trace.WithLinks(trace.Link{SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: [16]byte{1}, SpanID: [8]byte{1}}), Attributes: many("l", 130)}))
	span.AddEvent("ev", trace.WithAttributes(many("e", 129)...))
	span.End()
	in := rec.Ended()[0]

	got := (&limitExporter{budget: payloadBudget}).limit(in)
	if n := len(got.Attributes()); n != maxRecordAttrs {
		t.Errorf("span attributes = %d, want %d", n, maxRecordAttrs)
	}
	if d := got.DroppedAttributes(); d != 200-maxRecordAttrs {
		t.Errorf("dropped = %d, want %d", d, 200-maxRecordAttrs)
	}
	if n := len(got.Events()[0].Attributes); n != maxRecordAttrs || got.Events()[0].DroppedAttributeCount != 1 {
		t.Errorf("event attributes = %d, dropped %d", n, got.Events()[0].DroppedAttributeCount)
	}
	if n := len(got.Links()[0].Attributes); n != maxRecordAttrs || got.Links()[0].DroppedAttributeCount != 2 {
		t.Errorf("link attributes = %d, dropped %d", n, got.Links()[0].DroppedAttributeCount)
	}
	if sc := got.InstrumentationScope(); sc.Attributes.Len() != maxScopeAttrs {
		n := sc.Attributes.Len()
		t.Errorf("scope attributes = %d, want %d", n, maxScopeAttrs)
	}
	if sc := in.InstrumentationScope(); sc.Attributes.Len() != 12 || len(in.Attributes()) != 200 {
		t.Error("the original span was changed; other backends must keep it whole")
	}

	res := resource.NewSchemaless(append(many("r", 100), semconv.ServiceName("zz-last-by-key"))...)
	out := rewriteResource("")(res)
	if n := out.Len(); n != maxResourceAttrs {
		t.Errorf("resource attributes = %d, want %d", n, maxResourceAttrs)
	}
	if v, _ := out.Set().Value(semconv.ServiceNameKey); v.AsString() != "zz-last-by-key" {
		t.Errorf("service.name lost to the count limit: %v", v)
	}
	small := resource.NewSchemaless(many("r", 10)...)
	if rewriteResource("")(small) != small {
		t.Error("a resource within the limits was copied")
	}
}
