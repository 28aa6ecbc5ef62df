package otlp

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/contrib/bridges/otelslog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	"github.com/otelswitch/otelswitch/exporters"
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
