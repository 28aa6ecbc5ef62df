package otlp

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
	"unsafe"

	"go.opentelemetry.io/contrib/bridges/otelslog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	collectorlogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/exporters/otlp/internal/otlpwire"
	"github.com/otelswitch/otelswitch/internal/otlptest"
)

// logUser is a LogValuer.
type logUser string

func (u logUser) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", string(u)), slog.Int("len", len(u)))
}

type point struct{ X, Y int }

// writeLogShapes writes, through the otelslog bridge (two scopes) and the
// log API, records of every shape the log pipeline meets: every slog kind,
// groups from WithGroup and slog.Group, With attributes, maps, slices,
// structs, pointers, errors, LogValuers, duplicate keys, more attributes
// than the SDK's count limit, every level and some past them, records in a
// sampled span, an unsampled one and none, empty messages and bodies that
// are not strings.
func writeLogShapes(t *testing.T, lp log.LoggerProvider) int {
	t.Helper()
	tp := sdktrace.NewTracerProvider()
	ctx, span := tp.Tracer("t").Start(context.Background(), "op")
	defer span.End()
	unsampled, uspan := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample())).Tracer("t").Start(context.Background(), "off")
	defer uspan.End()

	l := slog.New(otelslog.NewHandler("bridge", otelslog.WithLoggerProvider(lp)))
	other := slog.New(otelslog.NewHandler("other", otelslog.WithLoggerProvider(lp), otelslog.WithVersion("1.2.3"),
		otelslog.WithSchemaURL("https://opentelemetry.io/schemas/1.26.0"), otelslog.WithAttributes(attribute.String("scope.k", "v"))))
	n := 0
	logf := func(l *slog.Logger, ctx context.Context, level slog.Level, msg string, args ...any) {
		l.Log(ctx, level, msg, args...)
		n++
	}
	when := time.Date(2026, 12, 2, 1, 2, 3, 4, time.UTC)
	kinds := []any{"s", "str", "i", -7, "u", uint64(7), "big", uint64(math.MaxUint64), "f", 2.5, "nan", math.Inf(1),
		"b", true, "d", 3 * time.Millisecond, "t", when, "zero", time.Time{}}
	logf(l, ctx, slog.LevelInfo, "kinds", kinds...)
	logf(l, ctx, slog.LevelInfo, "", "empty", "")
	logf(l, context.Background(), slog.LevelError, "no span", "a", 1)
	logf(l, unsampled, slog.LevelWarn, "unsampled", "a", 1)
	for _, lv := range []slog.Level{slog.LevelDebug - 8, slog.LevelDebug - 4, slog.LevelDebug, slog.LevelInfo + 1, slog.LevelWarn, slog.LevelError, slog.LevelError + 4, slog.LevelError + 20} {
		logf(l, ctx, lv, "level "+lv.String())
	}
	anys := []any{"map", map[string]any{"k": 1, "n": map[int]string{1: "x"}}, "slice", []string{"a", "b"}, "ints", []int{1, 2},
		"mixed", []any{1, "x", true, nil}, "struct", point{1, 2}, "ptr", &point{3, 4}, "nilptr", (*point)(nil), "nil", nil,
		"bytes", []byte("raw"), "cplx", complex(1, 2), "err", errors.New("boom"), "user", logUser("ann"),
		"attrv", attribute.StringSliceValue([]string{"p", "q"})}
	logf(l, ctx, slog.LevelWarn, "anys", anys...)
	logf(l, ctx, slog.LevelError, "with error", "error", fmt.Errorf("wrapped: %w", errors.New("inner")))
	g := l.With("tenant", "acme", slog.Group("svc", "v", 2)).WithGroup("req").With("id", 7).WithGroup("inner")
	logf(g, ctx, slog.LevelInfo, "groups", slog.Group("book", "title", "Dune", slog.Group("deep", "x", 1)), "took", time.Second)
	logf(g, ctx, slog.LevelInfo, "groups without record attributes")
	logf(l.WithGroup("empty").WithGroup("e2"), ctx, slog.LevelInfo, "empty groups")
	logf(l.WithGroup("g"), ctx, slog.LevelInfo, "only empty attrs", slog.Group("none"), slog.Attr{})
	logf(l, ctx, slog.LevelInfo, "inline group", slog.Group("", "x", 1, "y", 2), slog.Group("named"))
	logf(l, ctx, slog.LevelInfo, "dups", "k", 1, "k", "two", slog.Group("m", "a", 1, "a", 2))
	logf(l.With("k", 0), ctx, slog.LevelInfo, "dup with", "k", 1)
	many := make([]any, 0, 300)
	for i := range 150 {
		many = append(many, "k"+fmt.Sprint(i), i)
	}
	logf(l, ctx, slog.LevelInfo, "past the count limit", many...)
	logf(l, ctx, slog.LevelInfo, "six", "a", 1, "b", 2, "c", 3, "d", 4, "e", 5, "f", 6)
	logf(other, ctx, slog.LevelInfo, "other scope", "x", strings.Repeat("long ", 100))
	logf(l, ctx, slog.LevelInfo, "after the other scope")
	n += emitAPIShapes(ctx, lp)
	return n
}

// emitAPIShapes emits records through the log API, which the bridge never
// makes: an event name, an observed time, bodies that are maps (with a
// duplicate key), slices and bytes, an empty body.
func emitAPIShapes(ctx context.Context, lp log.LoggerProvider) int {
	lg := lp.Logger("api")
	bodies := []attribute.Value{
		attribute.MapValue(attribute.Int("a", 1), attribute.Int("a", 2), attribute.String("b", "x")),
		attribute.SliceValue(attribute.IntValue(1), attribute.StringValue("s")),
		attribute.ByteSliceValue([]byte{0, 1, 2}),
		{},
	}
	for i, body := range bodies {
		var r log.Record
		r.SetEventName(fmt.Sprintf("event.%d", i))
		r.SetTimestamp(time.Unix(1, int64(i)))
		r.SetObservedTimestamp(time.Unix(2, int64(i)))
		r.SetSeverity(log.SeverityInfo2)
		r.SetBody(body)
		r.AddAttributes(attribute.Float64Slice("fs", []float64{1.5}), attribute.BoolSlice("bs", []bool{true}))
		lg.Emit(ctx, r)
	}
	return len(bodies)
}

// flatLog is one received record with its resource and scope, for
// comparing two receivers' records whatever the grouping.
type flatLog struct {
	scope string
	msg   proto.Message
}

func flatLogs(r *otlptest.Receiver) []flatLog {
	var out []flatLog
	for _, req := range r.Requests() {
		for _, rl := range req.Logs {
			for _, sl := range rl.ScopeLogs {
				for _, lr := range sl.LogRecords {
					one := &logspb.ResourceLogs{Resource: rl.Resource, SchemaUrl: rl.SchemaUrl,
						ScopeLogs: []*logspb.ScopeLogs{{Scope: sl.Scope, SchemaUrl: sl.SchemaUrl, LogRecords: []*logspb.LogRecord{lr}}}}
					out = append(out, flatLog{sl.Scope.GetName(), one})
				}
			}
		}
	}
	// The SDK groups a batch by scope; within a scope, order is kept.
	slices.SortStableFunc(out, func(a, b flatLog) int { return cmp.Compare(a.scope, b.scope) })
	return out
}

// The wire log processor sends what the SDK's exporter sends (the otelslog
// bridge and the SDK's LoggerProvider in front of both), field by field:
// resource, scope, times, severity, body, attributes (groups, limits,
// duplicate keys, exceptions), trace context and flags, over both
// protocols, compressed or not. Both processors see the very same records,
// so even the observed times must match.
func TestWireLogsMatchTheSDKExporter(t *testing.T) {
	for _, tc := range []struct {
		name  string
		proto string
		gzip  bool
	}{{"http", HTTPProtobuf, false}, {"http-gzip", HTTPProtobuf, true}, {"grpc", GRPC, false}, {"grpc-gzip", GRPC, true}} {
		t.Run(tc.name, func(t *testing.T) {
			sdkRecv, sdkTarget := logReceiver(t, tc.proto, tc.gzip)
			wireRecv, wireTarget := logReceiver(t, tc.proto, tc.gzip)
			sdkP := logProcessor(t, sdkTarget, true, nil)
			wireP := logProcessor(t, wireTarget, false, nil)
			res := resource.NewWithAttributes("https://opentelemetry.io/schemas/1.26.0", attribute.String("service.name", "wire-logs"))
			lp := sdklog.NewLoggerProvider(sdklog.WithResource(res), sdklog.WithProcessor(sdkP), sdklog.WithProcessor(wireP))
			n := writeLogShapes(t, lp)
			if err := lp.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			want, got := flatLogs(sdkRecv), flatLogs(wireRecv)
			if len(want) != n || len(got) != n {
				t.Fatalf("the SDK's exporter sent %d records, the wire processor %d; %d were written", len(want), len(got), n)
			}
			for i := range want {
				if !proto.Equal(want[i].msg, got[i].msg) {
					t.Errorf("record %d differs:\nSDK:  %s\nwire: %s", i, prototext.Format(want[i].msg), prototext.Format(got[i].msg))
				}
			}
		})
	}
}

// logReceiver starts an otlptest receiver for protocol and returns the
// Target that sends to it.
func logReceiver(t *testing.T, protocol string, gzip bool) (*otlptest.Receiver, Target) {
	t.Helper()
	c := None
	if gzip {
		c = Gzip
	}
	if protocol == GRPC {
		r, addr := otlptest.NewGRPC(t)
		return r, Target{Protocol: GRPC, URL: mustURL(t, "http://"+addr), Compression: c}
	}
	r, srv := otlptest.NewHTTP(t)
	return r, Target{Protocol: HTTPProtobuf, URL: mustURL(t, srv.URL+LogsPath), Compression: c}
}

// logProcessor is the processor addLogs makes for tg: the SDK's exporter
// behind NewLogProcessor when sdk is set, the wire log processor when not,
// with a batch large enough that Shutdown sends everything at once.
func logProcessor(t *testing.T, tg Target, sdk bool, limits *LogLimits) sdklog.Processor {
	t.Helper()
	sdkLogExporter = sdk
	defer func() { sdkLogExporter = false }()
	batch := exporters.Batch{Delay: time.Hour, MaxQueue: 4096, MaxExport: 4096}
	p, err := newLogProcessor(context.Background(), tg, 5*time.Second, Pipeline{LogLimits: limits}, nil, batch, []exporters.BatchOption{exporters.WithBatch(batch)})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// sdkCapture keeps what the SDK makes of each record it is handed: the
// LogRecord message AppendLogRecord encodes (TestWireLogsMatchTheSDKExporter
// shows it is the SDK exporter's), the observed time and the scope.
type sdkCapture struct {
	recs     [][]byte
	observed []time.Time
	scopes   []instrumentation.Scope
}

func (c *sdkCapture) OnEmit(_ context.Context, r *sdklog.Record) error {
	c.recs = append(c.recs, otlpwire.AppendLogRecord(nil, r))
	c.observed = append(c.observed, r.ObservedTimestamp())
	c.scopes = append(c.scopes, r.InstrumentationScope())
	return nil
}
func (c *sdkCapture) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }
func (c *sdkCapture) Shutdown(context.Context) error                         { return nil }
func (c *sdkCapture) ForceFlush(context.Context) error                       { return nil }

// slogBoth writes one record through the otelslog bridge and the SDK, and
// encodes it with AppendSlogRecord (observed when the SDK observed it). It
// returns both LogRecords, and whether AppendSlogRecord took it.
func slogBoth(t testing.TB, ctx context.Context, with []slog.Attr, level slog.Level, msg string, attrs []slog.Attr, lim SlogLimits) (sdk, wire *logspb.LogRecord, ok bool) {
	t.Helper()
	c := &sdkCapture{}
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(c))
	var h slog.Handler = otelslog.NewHandler("bridge", otelslog.WithLoggerProvider(lp))
	if len(with) > 0 {
		h = h.WithAttrs(with)
	}
	r := slog.NewRecord(time.Now(), level, msg, 0)
	r.AddAttrs(attrs...)
	if err := h.Handle(ctx, r.Clone()); err != nil || len(c.recs) != 1 {
		t.Fatalf("the bridge handled %d records (%v)", len(c.recs), err)
	}
	if c.scopes[0] != (instrumentation.Scope{Name: "bridge"}) {
		t.Fatalf("the SDK's scope is %+v; bootstrap's wire path sends {Name: bridge}", c.scopes[0])
	}
	sdk, wire = new(logspb.LogRecord), new(logspb.LogRecord)
	if err := proto.Unmarshal(c.recs[0], sdk); err != nil {
		t.Fatal(err)
	}
	b, ok := AppendSlogRecord([]byte("keep"), with, r, trace.SpanContextFromContext(ctx), c.observed[0], lim)
	if string(b[:4]) != "keep" || !ok && len(b) != 4 {
		t.Fatalf("AppendSlogRecord changed what was before its record, or left bytes when it refused: %q", b)
	}
	if err := proto.Unmarshal(b[4:], wire); err != nil {
		t.Fatal(err)
	}
	return sdk, wire, ok
}

// AppendSlogRecord, bootstrap's wire path, encodes exactly what the
// otelslog bridge, the SDK and its exporter send for every record it
// takes, and refuses the others: groups, maps, errors, LogValuers, empty
// and duplicate keys, too many attributes, values past the limits.
func TestAppendSlogRecordMatchesTheBridge(t *testing.T) {
	tp := sdktrace.NewTracerProvider()
	inSpan, span := tp.Tracer("t").Start(context.Background(), "op")
	defer span.End()
	unsampled, uspan := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample())).Tracer("t").Start(context.Background(), "off")
	defer uspan.End()
	many := func(n int) []slog.Attr {
		var out []slog.Attr
		for i := range n {
			out = append(out, slog.Int(fmt.Sprint("k", i), i))
		}
		return out
	}
	lim := SlogLimits{MaxAttrs: 128}
	for _, tc := range []struct {
		name  string
		ctx   context.Context
		with  []slog.Attr
		level slog.Level
		msg   string
		attrs []slog.Attr
		lim   SlogLimits
		plain bool
	}{
		{"every plain kind", inSpan, nil, slog.LevelInfo, "kinds", []slog.Attr{slog.String("s", "x"), slog.Int("i", -7), slog.Int64("i64", math.MinInt64),
			slog.Uint64("u", 7), slog.Uint64("big", math.MaxUint64), slog.Float64("f", 2.5), slog.Float64("inf", math.Inf(-1)), slog.Bool("b", true),
			slog.Bool("no", false), slog.Duration("d", -time.Second), slog.Time("t", time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)), slog.Time("zero", time.Time{})}, lim, true},
		{"empty message", inSpan, nil, slog.LevelInfo, "", nil, lim, true},
		{"no span", context.Background(), nil, slog.LevelError, "no span", []slog.Attr{slog.Int("a", 1)}, lim, true},
		{"unsampled span", unsampled, nil, slog.LevelWarn, "unsampled", nil, lim, true},
		{"debug-8", inSpan, nil, slog.LevelDebug - 8, "below trace", nil, lim, true},
		{"debug-4", inSpan, nil, slog.LevelDebug - 4, "trace", nil, lim, true},
		{"info+1", inSpan, nil, slog.LevelInfo + 1, "info2", nil, lim, true},
		{"error+4", inSpan, nil, slog.LevelError + 4, "fatal", nil, lim, true},
		{"error+20", inSpan, nil, slog.LevelError + 20, "past fatal4", nil, lim, true},
		{"with attributes", inSpan, []slog.Attr{slog.String("tenant", "acme"), slog.Int("shard", 3)}, slog.LevelInfo, "with", []slog.Attr{slog.Bool("ok", true)}, lim, true},
		{"six attributes", inSpan, nil, slog.LevelInfo, "six", many(6), lim, true},
		{"thirty-two attributes", inSpan, many(2), slog.LevelInfo, "32", many(32)[2:], lim, true},
		{"unicode", inSpan, nil, slog.LevelInfo, "héllo ✓", []slog.Attr{slog.String("ключ", "значение")}, lim, true},
		{"a long value within the limit", inSpan, nil, slog.LevelInfo, "long", []slog.Attr{slog.String("v", strings.Repeat("x", 4095))}, SlogLimits{MaxAttrs: 128, MaxValue: 4095}, true},

		{"thirty-three attributes", inSpan, nil, slog.LevelInfo, "33", many(33), lim, false},
		{"past the count limit", inSpan, nil, slog.LevelInfo, "count", many(3), SlogLimits{MaxAttrs: 2}, false},
		{"a value past the limit", inSpan, nil, slog.LevelInfo, "long", []slog.Attr{slog.String("v", strings.Repeat("x", 4096))}, SlogLimits{MaxAttrs: 128, MaxValue: 4095}, false},
		{"a key past the limit", inSpan, nil, slog.LevelInfo, "key", []slog.Attr{slog.Int(strings.Repeat("k", 256), 1)}, SlogLimits{MaxAttrs: 128, MaxKey: 255}, false},
		{"a record past the limit", inSpan, nil, slog.LevelInfo, strings.Repeat("m", 500), nil, SlogLimits{MaxAttrs: 128, MaxRecord: 400}, false},
		{"group", inSpan, nil, slog.LevelInfo, "group", []slog.Attr{slog.Group("g", "a", 1)}, lim, false},
		{"inline group", inSpan, nil, slog.LevelInfo, "inline", []slog.Attr{slog.Group("", "a", 1)}, lim, false},
		{"map", inSpan, nil, slog.LevelInfo, "map", []slog.Attr{slog.Any("m", map[string]int{"a": 1})}, lim, false},
		{"error", inSpan, nil, slog.LevelError, "error", []slog.Attr{slog.Any("err", errors.New("boom"))}, lim, false},
		{"LogValuer", inSpan, nil, slog.LevelInfo, "valuer", []slog.Attr{slog.Any("u", logUser("ann"))}, lim, false},
		{"empty key", inSpan, nil, slog.LevelInfo, "empty key", []slog.Attr{slog.Int("", 1)}, lim, false},
		{"empty attr", inSpan, nil, slog.LevelInfo, "empty attr", []slog.Attr{{}}, lim, false},
		{"duplicate key", inSpan, nil, slog.LevelInfo, "dup", []slog.Attr{slog.Int("k", 1), slog.Int("k", 2)}, lim, false},
		{"duplicate of a With key", inSpan, []slog.Attr{slog.Int("k", 0)}, slog.LevelInfo, "dup with", []slog.Attr{slog.Int("k", 1)}, lim, false},
		{"a With map", inSpan, []slog.Attr{slog.Any("m", []int{1})}, slog.LevelInfo, "with map", nil, lim, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sdk, wire, ok := slogBoth(t, tc.ctx, tc.with, tc.level, tc.msg, tc.attrs, tc.lim)
			if ok != tc.plain {
				t.Fatalf("AppendSlogRecord took it: %v, want %v", ok, tc.plain)
			}
			if ok && !proto.Equal(sdk, wire) {
				t.Errorf("differs:\nbridge+SDK: %s\nwire:       %s", prototext.Format(sdk), prototext.Format(wire))
			}
		})
	}
}

// FuzzAppendSlogRecord: whatever the keys, strings, numbers and level, a
// record AppendSlogRecord takes is the bridge's and the SDK's.
func FuzzAppendSlogRecord(f *testing.F) {
	f.Add("msg", "k1", "k2", "v", int64(-1), uint64(1<<63), 1.5, true, 4, int64(5))
	f.Add("", "a", "a", "", int64(0), uint64(0), math.NaN(), false, -8, int64(-1))
	f.Fuzz(func(t *testing.T, msg, k1, k2, s string, i int64, u uint64, fl float64, b bool, level int, d int64) {
		if !utf8.ValidString(msg + k1 + k2 + s) {
			t.Skip("the SDK's exporter cannot marshal invalid UTF-8; AppendSlogRecord replaces it")
		}
		attrs := []slog.Attr{slog.String(k1, s), slog.Int64(k2, i), slog.Uint64(k1+"u", u), slog.Float64(k2+"f", fl),
			slog.Bool("b", b), slog.Duration("d", time.Duration(d)), slog.Time("t", time.Unix(0, d))}
		with := []slog.Attr{slog.String(k2+"w", s)}
		sdk, wire, ok := slogBoth(t, context.Background(), with, slog.Level(level), msg, attrs, SlogLimits{MaxAttrs: 128})
		if ok && !proto.Equal(sdk, wire) {
			t.Errorf("differs:\nbridge+SDK: %s\nwire:       %s", prototext.Format(sdk), prototext.Format(wire))
		}
	})
}

// docs/reliability.md's log memory bound charges a queued record S, the
// SDK record as the bridge makes it (583 bytes for the flood test's
// record). The wire processor queues less for that record: its LogRecord
// and the buffer the record is encoded in.
func TestWireLogRecordWithinTheBound(t *testing.T) {
	w := &wireLogs{free: make(chan *otlpwire.LogRecord, 1)}
	r := slog.NewRecord(time.Now(), slog.LevelInfo, "book fetched", 0)
	r.AddAttrs(slog.Int("worker", 7), slog.Int("seq", 123456), slog.String("route", "/books/{id}"), slog.String("user.agent", "reliability-test/1.0"))
	m := w.record()
	var ok bool
	m.B, ok = AppendSlogRecord(m.B, nil, r, trace.SpanContext{}, time.Now(), SlogLimits{MaxAttrs: 128})
	if n := int(unsafe.Sizeof(*m)) + cap(m.B); !ok || n > 583 {
		t.Errorf("a queued flood record holds %d bytes (encoded: %v); docs/reliability.md's S is 583", n, ok)
	}
}

// A log endpoint that accepts part of an export says so in its
// ExportLogsServiceResponse; the wire processor reports it as a failed
// export counted in Stats().Logs, in log records, over HTTP and gRPC.
func TestWireLogsReportPartialSuccess(t *testing.T) {
	resp := &collectorlogs.ExportLogsServiceResponse{PartialSuccess: &collectorlogs.ExportLogsPartialSuccess{RejectedLogRecords: 3, ErrorMessage: "too old"}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := proto.Marshal(resp)
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(b)
	}))
	defer srv.Close()
	gs := grpc.NewServer()
	collectorlogs.RegisterLogsServiceServer(gs, partialLogs{resp: resp})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = gs.Serve(lis) }()
	defer gs.Stop()
	for _, tg := range []Target{
		{Protocol: HTTPProtobuf, URL: mustURL(t, srv.URL+LogsPath), Compression: None},
		{Protocol: GRPC, URL: mustURL(t, "http://"+lis.Addr().String()), Compression: None},
	} {
		counters := exporters.NewCounters("partial")
		batch := exporters.Batch{Delay: time.Hour, MaxQueue: 16, MaxExport: 16}
		p, err := newLogProcessor(context.Background(), tg, 5*time.Second, Pipeline{}, counters, batch,
			[]exporters.BatchOption{exporters.WithBatch(batch), exporters.WithCounters(counters), exporters.WithLogger(slog.New(slog.DiscardHandler))})
		if err != nil {
			t.Fatal(err)
		}
		lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(p))
		var r log.Record
		r.SetBody(attribute.StringValue("x"))
		lp.Logger("t").Emit(context.Background(), r)
		if err := lp.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		st := counters.Snapshot().Logs
		if st.FailedExports != 1 || !strings.Contains(st.LastError, "too old (3 log records rejected)") {
			t.Errorf("%s: Stats().Logs = %+v, want the partial success reported", tg.Protocol, st)
		}
	}
}

type partialLogs struct {
	collectorlogs.UnimplementedLogsServiceServer
	resp *collectorlogs.ExportLogsServiceResponse
}

func (s partialLogs) Export(context.Context, *collectorlogs.ExportLogsServiceRequest) (*collectorlogs.ExportLogsServiceResponse, error) {
	return s.resp, nil
}
