package bootstrap_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"

	"github.com/otelswitch/otelswitch/internal/otlptest"
)

// writeQueueRecords writes records of every shape the export handler
// meets and returns how many: attributes and groups from With and
// WithGroup, a nested group, a value the caller could change later (a
// map, converted on the caller's goroutine), a LogValuer, records outside
// any span (their bodies start with "no span"), and the plain records the
// wire path encodes itself (every plain kind, With attributes, an empty
// message, levels) next to the ones it leaves to the bridge (a duplicate
// key, an empty key, an error, more than 32 attributes).
func writeQueueRecords(ctx context.Context, l *slog.Logger) int {
	req := l.With("tenant", "acme").WithGroup("req")
	req.InfoContext(ctx, "fetched", "id", 7, slog.Group("book", "title", "Dune", "pages", 412), "took", 3*time.Millisecond)
	l.WarnContext(ctx, "odd", "labels", map[string]string{"shelf": "b"}, "who", slog.AnyValue(user("ann")))
	l.ErrorContext(context.Background(), "no span", "seven", 7, "a", 1, "b", 2, "c", 3, "d", 4, "e", 5) // past five inline attributes
	l.InfoContext(ctx, "plain kinds", "s", "x", "i", -7, "u", uint64(math.MaxUint64), "f", 2.5, "b", true,
		"d", time.Second, "t", time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC), slog.Uint64("small", 3))
	l.With("svc", "api", "shard", 3).With("zone", "b").WarnContext(ctx, "with plain", "ok", true)
	l.Log(ctx, slog.LevelError+4, "error+4", "n", 1)
	l.Log(ctx, slog.LevelInfo+1, "info+1")
	l.InfoContext(context.Background(), "no span, plain", "k", "v")
	l.InfoContext(ctx, "dup", "k", 1, "k", "two")
	l.InfoContext(ctx, "empty key", "", 1)
	l.ErrorContext(ctx, "with error", "err", errors.New("boom"))
	many := make([]any, 0, 80)
	for i := range 40 {
		many = append(many, fmt.Sprint("k", i), i)
	}
	l.InfoContext(ctx, "forty", many...)
	l.InfoContext(ctx, "", "empty", "message")
	return 13
}

type user string

func (u user) LogValue() slog.Value { return slog.StringValue("user:" + string(u)) }

// exportedRecords runs writeQueueRecords with extra variables and returns
// the records the backend received, trace and span IDs checked against
// the span's and then cleared with the timestamps, for comparison.
func exportedRecords(t *testing.T, extra env) []*logspb.LogRecord {
	t.Helper()
	recv, srv := otlptest.NewHTTP(t)
	e := env{"TELEMETRY_BACKEND": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": srv.URL, "TELEMETRY_LOGS": "both", "TELEMETRY_METRICS": "false"}
	for k, v := range extra {
		e[k] = v
	}
	tel, _ := initEnv(t, e)
	ctx, span := tel.TracerProvider().Tracer("t").Start(context.Background(), "op")
	n := writeQueueRecords(ctx, tel.Logger())
	span.End()
	if err := tel.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := recv.WaitForLogs(n, 5*time.Second)
	if len(got) != n {
		t.Fatalf("%d records arrived, want %d", len(got), n)
	}
	if st := tel.Stats()[0].Logs; st.Exported != int64(n) || st.Dropped != 0 {
		t.Errorf("Stats().Logs = %+v, want %d exported", st, n)
	}
	// Records the wire path encoded and records the SDK made share their
	// request's one resource and scope.
	for _, req := range recv.Requests() {
		if len(req.Spans) > 0 {
			continue
		}
		if len(req.Logs) != 1 || len(req.Logs[0].ScopeLogs) != 1 || req.Logs[0].ScopeLogs[0].Scope.GetName() != "github.com/otelswitch/otelswitch/bootstrap" {
			t.Errorf("a request with %d resources (want one, with one scope, the bridge's): %v", len(req.Logs), req.Logs)
		}
	}
	var out []*logspb.LogRecord
	for _, r := range got {
		rec := proto.Clone(r.Record).(*logspb.LogRecord)
		sc := span.SpanContext()
		tid, sid := sc.TraceID(), sc.SpanID()
		inSpan := !strings.HasPrefix(rec.Body.GetStringValue(), "no span")
		if inSpan && (string(rec.TraceId) != string(tid[:]) || string(rec.SpanId) != string(sid[:])) || !inSpan && len(rec.TraceId) != 0 {
			t.Errorf("%q: trace/span ID %x/%x; the span is %s/%s", rec.Body.GetStringValue(), rec.TraceId, rec.SpanId, tid, sid)
		}
		if rec.TimeUnixNano == 0 {
			t.Errorf("%q has no timestamp", rec.Body.GetStringValue())
		}
		rec.TimeUnixNano, rec.ObservedTimeUnixNano, rec.TraceId, rec.SpanId = 0, 0, nil, nil
		out = append(out, rec)
	}
	return out
}

// The queued export handler (the default) sends exactly what the bridge
// sends when it runs on the caller's goroutine (as it does with the console
// exporter alongside): same bodies, severities, attributes, groups and
// trace context, record for record.
func TestQueuedLogsMatchTheDirectBridge(t *testing.T) {
	queued := exportedRecords(t, nil)
	direct := exportedRecords(t, env{"OTEL_LOGS_EXPORTER": "otlp,console"})
	byBody := func(recs []*logspb.LogRecord) map[string]*logspb.LogRecord {
		m := map[string]*logspb.LogRecord{}
		for _, r := range recs {
			m[r.Body.GetStringValue()] = r
		}
		return m
	}
	q := byBody(queued)
	if len(q) != len(queued) || len(byBody(direct)) != len(direct) {
		t.Fatal("two records with the same body")
	}
	for body, d := range byBody(direct) {
		if !proto.Equal(d, q[body]) {
			t.Errorf("%q differs:\ndirect: %s\nqueued: %s", body, prototext.Format(d), prototext.Format(q[body]))
		}
	}
	// And they are what was written, not two equal mistakes.
	fetched := q["fetched"]
	if fetched == nil || fetched.SeverityNumber != logspb.SeverityNumber_SEVERITY_NUMBER_INFO || !hasAttr(fetched.Attributes, "tenant") {
		t.Fatalf("fetched = %v", fetched)
	}
	var group *commonpb.KeyValue
	for _, kv := range fetched.Attributes {
		if kv.Key == "req" {
			group = kv
		}
	}
	if group == nil || !hasAttr(group.Value.GetKvlistValue().GetValues(), "book") || !hasAttr(group.Value.GetKvlistValue().GetValues(), "took") {
		t.Errorf("fetched's req group = %v, want id, book and took inside", group)
	}
	if odd := q["odd"]; odd == nil || !hasAttr(odd.Attributes, "labels") || attrString(odd.Attributes, "who") != "user:ann" {
		t.Errorf("odd = %v, want the map and the resolved LogValuer", odd)
	}
	if ns := q["no span"]; ns == nil || len(ns.Attributes) != 6 || ns.SeverityNumber != logspb.SeverityNumber_SEVERITY_NUMBER_ERROR {
		t.Errorf("no span = %v, want six attributes at ERROR", ns)
	}
	if wp := q["with plain"]; wp == nil || len(wp.Attributes) != 4 || attrString(wp.Attributes, "svc") != "api" || wp.SeverityNumber != logspb.SeverityNumber_SEVERITY_NUMBER_WARN {
		t.Errorf("with plain = %v, want svc, shard, zone and ok at WARN", wp)
	}
	if pk := q["plain kinds"]; pk == nil || len(pk.Attributes) != 8 || attrString(pk.Attributes, "s") != "x" {
		t.Errorf("plain kinds = %v, want its eight attributes", pk)
	}
}

func attrString(kvs []*commonpb.KeyValue, key string) string {
	for _, kv := range kvs {
		if kv.Key == key {
			return kv.Value.GetStringValue()
		}
	}
	return ""
}
