package otlp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/otelswitch/otelswitch/exporters/otlp/internal/otlpwire"
	"github.com/otelswitch/otelswitch/internal/lab"
)

// labSpans are spans of one trace using the fields backends store: every
// kind, statuses, events, links with trace state, attributes of every
// type, a resource with a schema URL, and a scope with version and
// attributes.
func labSpans(t *testing.T, service string) []sdktrace.ReadOnlySpan {
	t.Helper()
	rec := &spanRecorder{}
	res := resource.NewWithAttributes("https://opentelemetry.io/schemas/1.26.0",
		attribute.String("service.name", service), attribute.Int("res.n", 7), attribute.StringSlice("res.s", []string{"a", "b"}))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec), sdktrace.WithResource(res))
	tr := tp.Tracer("lab.scope", trace.WithInstrumentationVersion("1.0.0"),
		trace.WithInstrumentationAttributes(attribute.String("scope.k", "v")))
	ts, _ := trace.ParseTraceState("vendor=x1")
	linked := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{0xaa, 1}, SpanID: trace.SpanID{0xbb, 2},
		TraceFlags: trace.FlagsSampled, TraceState: ts, Remote: true})
	ctx, root := tr.Start(context.Background(), "root", trace.WithSpanKind(trace.SpanKindServer))
	for i, k := range []trace.SpanKind{trace.SpanKindInternal, trace.SpanKindClient, trace.SpanKindProducer, trace.SpanKindConsumer} {
		_, s := tr.Start(ctx, fmt.Sprintf("child %d", i), trace.WithSpanKind(k),
			trace.WithLinks(trace.Link{SpanContext: linked, Attributes: []attribute.KeyValue{attribute.String("link.k", "v")}}))
		s.SetAttributes(attribute.Bool("b", i%2 == 0), attribute.Int64("i", -int64(i)), attribute.Float64("f", 1.5),
			attribute.String("s", "ü"), attribute.BoolSlice("bs", []bool{true}), attribute.Int64Slice("is", []int64{1, 2}),
			attribute.Float64Slice("fs", []float64{0.5}), attribute.StringSlice("ss", []string{"x", "y"}),
			attribute.ByteSlice("bytes", []byte{1, 2, 3}))
		s.AddEvent("event", trace.WithAttributes(attribute.String("e.k", "v"), attribute.Int("e.n", i)))
		switch i {
		case 1:
			s.SetStatus(codes.Error, "failed")
			s.RecordError(errors.New("boom"))
		case 2:
			s.SetStatus(codes.Ok, "")
		}
		s.End()
	}
	root.End()
	return rec.spans
}

// sent is what the wire exporter sends for spans, decoded with the
// official protos: the reference both backends must store.
func sent(t *testing.T, spans []sdktrace.ReadOnlySpan) map[string]*stored {
	t.Helper()
	var req collectortrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(new(otlpwire.Encoder).AppendRequest(nil, spans), &req); err != nil {
		t.Fatal(err)
	}
	return flatten(req.ResourceSpans)
}

// stored is a span with the resource and scope it came with.
type stored struct {
	span              *tracepb.Span
	resource          []*commonpb.KeyValue
	resourceSchemaURL string
	scope             *commonpb.InstrumentationScope
	scopeSchemaURL    string
}

// flatten indexes spans by span ID (hex), dropping the attributes the lab's
// collector adds (lab.*).
func flatten(rss []*tracepb.ResourceSpans) map[string]*stored {
	out := map[string]*stored{}
	for _, rs := range rss {
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				s.Attributes = withoutLab(s.Attributes)
				out[hex.EncodeToString(s.SpanId)] = &stored{span: s, resource: rs.GetResource().GetAttributes(),
					resourceSchemaURL: rs.SchemaUrl, scope: ss.Scope, scopeSchemaURL: ss.SchemaUrl}
			}
		}
	}
	return out
}

func withoutLab(kvs []*commonpb.KeyValue) []*commonpb.KeyValue {
	var out []*commonpb.KeyValue
	for _, kv := range kvs {
		if !strings.HasPrefix(kv.Key, "lab.") {
			out = append(out, kv)
		}
	}
	return out
}

// hexIDs matches the IDs OTLP JSON writes in hex where protojson expects
// base64.
var hexIDs = regexp.MustCompile(`"(traceId|spanId|parentSpanId)":"([0-9a-fA-F]*)"`)

// otlpJSON decodes one OTLP JSON trace message (a request, or Jaeger's
// query result) into ResourceSpans.
func otlpJSON(line []byte) ([]*tracepb.ResourceSpans, error) {
	line = hexIDs.ReplaceAllFunc(line, func(m []byte) []byte {
		sub := hexIDs.FindSubmatch(m)
		b, _ := hex.DecodeString(string(sub[2]))
		return fmt.Appendf(nil, `"%s":"%s"`, sub[1], base64.StdEncoding.EncodeToString(b))
	})
	var data tracepb.TracesData
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(line, &data); err != nil {
		return nil, err
	}
	return data.ResourceSpans, nil
}

// sortAttributes orders every attribute list of the spans by key: Jaeger
// returns them sorted.
func sortAttributes(m map[string]*stored) {
	byKey := func(a, b *commonpb.KeyValue) int { return strings.Compare(a.Key, b.Key) }
	for _, st := range m {
		slices.SortStableFunc(st.span.Attributes, byKey)
		slices.SortStableFunc(st.resource, byKey)
		for _, e := range st.span.Events {
			slices.SortStableFunc(e.Attributes, byKey)
		}
		for _, l := range st.span.Links {
			slices.SortStableFunc(l.Attributes, byKey)
		}
	}
}

// compare fails t unless got holds every span of want, field for field,
// with its resource and scope.
func compare(t *testing.T, where string, got, want map[string]*stored) {
	t.Helper()
	for id, w := range want {
		g, ok := got[id]
		if !ok {
			t.Errorf("%s: span %s (%s) missing", where, id, w.span.Name)
			continue
		}
		if !proto.Equal(g.span, w.span) {
			t.Errorf("%s: span %s differs\nstored: %v\nsent:   %v", where, w.span.Name, g.span, w.span)
		}
		if !proto.Equal(&commonpb.KeyValueList{Values: g.resource}, &commonpb.KeyValueList{Values: w.resource}) || g.resourceSchemaURL != w.resourceSchemaURL {
			t.Errorf("%s: span %s resource %v %q; sent %v %q", where, w.span.Name, g.resource, g.resourceSchemaURL, w.resource, w.resourceSchemaURL)
		}
		if !proto.Equal(g.scope, w.scope) || g.scopeSchemaURL != w.scopeSchemaURL {
			t.Errorf("%s: span %s scope %v; sent %v", where, w.span.Name, g.scope, w.scope)
		}
	}
}

// TestLabStoresWhatWasSent sends spans through the wire exporter to the
// lab's collector (gRPC with gzip, and HTTP) and to Jaeger (gRPC), and
// checks that they stored every field of every span as sent: the
// collector's file exporter writes what its receiver decoded, Jaeger's
// query API v3 returns OTLP. Jaeger returns attributes sorted by key and
// does not keep the resource's schema URL; everything else must match.
func TestLabStoresWhatWasSent(t *testing.T) {
	l := lab.ForTest(t)
	service := fmt.Sprintf("wire-lab-%d", time.Now().UnixNano())
	spans := labSpans(t, service)
	// Jaeger gets a trace of its own: the collector forwards its copies
	// to Jaeger, which would flag the same span IDs arriving twice.
	jaegerSpans := labSpans(t, service)
	want, wantJaeger := sent(t, spans), sent(t, jaegerSpans)
	for _, tg := range []Target{
		{Protocol: GRPC, URL: mustURL(t, "http://"+l.CollectorOTLPGRPC), Compression: Gzip},
		{Protocol: HTTPProtobuf, URL: mustURL(t, "http://"+l.CollectorOTLPHTTP+TracesPath), Compression: None},
	} {
		if err := export(t, tg, false, spans, nil); err != nil {
			t.Fatalf("export to %s: %v", tg.URL, err)
		}
	}
	if err := export(t, Target{Protocol: GRPC, URL: mustURL(t, "http://"+l.JaegerOTLPGRPC), Compression: None}, false, jaegerSpans, nil); err != nil {
		t.Fatalf("export to Jaeger: %v", err)
	}
	traceID := spans[0].SpanContext().TraceID()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// The collector: both exports, each stored as sent.
	var fromCollector [2]map[string]*stored
	err := lab.WaitFor(ctx, func(context.Context) (bool, error) {
		requests, err := collectorRequests(l.CollectorFile(lab.SourceOTLP), traceID)
		if err != nil || len(requests) < 2 {
			return false, fmt.Errorf("%d requests with the trace in the collector's file (%v)", len(requests), err)
		}
		fromCollector[0], fromCollector[1] = flatten(requests[0]), flatten(requests[1])
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	compare(t, "collector, gRPC", fromCollector[0], want)
	compare(t, "collector, HTTP", fromCollector[1], want)

	// Jaeger: the spans sent to it directly (the collector forwards its
	// copies too, tagged lab.receiver).
	var fromJaeger map[string]*stored
	err = lab.WaitFor(ctx, func(ctx context.Context) (bool, error) {
		rss, err := jaegerTrace(ctx, l.JaegerUI, jaegerSpans[0].SpanContext().TraceID())
		if err != nil {
			return false, err
		}
		direct := map[string]*stored{}
		for _, rs := range rss {
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					if len(withoutLab(s.Attributes)) == len(s.Attributes) {
						for k, v := range flatten([]*tracepb.ResourceSpans{{Resource: rs.Resource, SchemaUrl: rs.SchemaUrl,
							ScopeSpans: []*tracepb.ScopeSpans{{Scope: ss.Scope, SchemaUrl: ss.SchemaUrl, Spans: []*tracepb.Span{s}}}}}) {
							direct[k] = v
						}
					}
				}
			}
		}
		if len(direct) < len(wantJaeger) {
			return false, fmt.Errorf("Jaeger has %d of the %d spans", len(direct), len(wantJaeger))
		}
		fromJaeger = direct
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sortAttributes(fromJaeger)
	sortAttributes(wantJaeger)
	for _, w := range wantJaeger {
		w.resourceSchemaURL = "" // Jaeger does not keep it
	}
	compare(t, "Jaeger", fromJaeger, wantJaeger)
}

// collectorRequests reads the collector's file, one OTLP JSON request per
// line, and returns those holding spans of the trace.
func collectorRequests(file string, id trace.TraceID) ([][]*tracepb.ResourceSpans, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out [][]*tracepb.ResourceSpans
	br := bufio.NewReaderSize(f, 1<<20)
	for {
		line, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if !bytes.Contains(line, []byte(id.String())) {
			continue
		}
		rss, err := otlpJSON(line)
		if err != nil {
			return nil, err
		}
		out = append(out, rss)
	}
}

// jaegerTrace fetches a trace from Jaeger's query API v3, which answers in
// OTLP JSON.
func jaegerTrace(ctx context.Context, ui string, id trace.TraceID) ([]*tracepb.ResourceSpans, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ui+"/api/v3/traces/"+id.String(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("Jaeger: %s: %s", resp.Status, body)
	}
	var wrapper struct {
		Result json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(body, &wrapper); err != nil {
		return nil, err
	}
	return otlpJSON(wrapper.Result)
}
