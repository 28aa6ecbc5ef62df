package lab

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	pb "github.com/DataDog/datadog-agent/pkg/proto/pbgo/trace"
	"github.com/klauspost/compress/zstd"
	"google.golang.org/protobuf/proto"
)

// TestDatadogIntakeDecodes posts what the trace-agent's writers send, in
// each encoding the intake accepts, and reads it back.
func TestDatadogIntakeDecodes(t *testing.T) {
	in, err := NewDatadogIntake()
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	span := &pb.Span{Service: "books", Name: "http.server.request", Resource: "GET /books/{id}", TraceID: 7, SpanID: 8,
		Meta: map[string]string{"_dd.p.tid": "6b0445ae00000000"}, Metrics: map[string]float64{"_top_level": 1}}
	traces := &pb.AgentPayload{HostName: "h", Env: "agent-env", TracerPayloads: []*pb.TracerPayload{{
		Env: "lab", AppVersion: "1.2.3", Chunks: []*pb.TraceChunk{{Priority: 1, Spans: []*pb.Span{span}}},
	}}}
	protoBody, err := proto.Marshal(traces)
	if err != nil {
		t.Fatal(err)
	}
	msgpBody, err := traces.MarshalMsg(nil)
	if err != nil {
		t.Fatal(err)
	}
	stats := &pb.StatsPayload{Stats: []*pb.ClientStatsPayload{{Hostname: "h", Env: "lab", Version: "1.2.3", Stats: []*pb.ClientStatsBucket{{
		Start: uint64(time.Now().UnixNano()), Stats: []*pb.ClientGroupedStats{{Service: "books", Name: "http.server.request", Hits: 3, Errors: 1, TopLevelHits: 3}},
	}}}}}
	statsBody, err := stats.MarshalMsg(nil)
	if err != nil {
		t.Fatal(err)
	}
	post := func(path, contentType, encoding string, body []byte) int {
		t.Helper()
		var buf bytes.Buffer
		switch encoding {
		case "gzip":
			zw := gzip.NewWriter(&buf)
			_, _ = zw.Write(body)
			_ = zw.Close()
		case "zstd":
			zw, _ := zstd.NewWriter(&buf)
			_, _ = zw.Write(body)
			_ = zw.Close()
		default:
			buf.Write(body)
		}
		req, _ := http.NewRequest(http.MethodPost, in.URL+path, &buf)
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Content-Encoding", encoding)
		req.Header.Set("DD-API-KEY", "k")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, p := range []struct{ ct, enc string }{{"application/x-protobuf", "gzip"}, {"application/x-protobuf", "zstd"}, {"application/msgpack", ""}} {
		body := protoBody
		if strings.Contains(p.ct, "msgpack") {
			body = msgpBody
		}
		if code := post("/api/v0.2/traces", p.ct, p.enc, body); code != http.StatusAccepted {
			t.Errorf("traces %s %s: status %d", p.ct, p.enc, code)
		}
	}
	if code := post("/api/v0.2/stats", "application/msgpack", "gzip", statsBody); code != http.StatusAccepted {
		t.Errorf("stats: status %d", code)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	spans, err := in.WaitForSpans(ctx, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range spans {
		if s.Resource != "GET /books/{id}" || s.Env != "lab" || s.AppVersion != "1.2.3" || s.Hostname != "h" || s.Priority != 1 ||
			s.TraceIDHex() != "6b0445ae000000000000000000000007" {
			t.Errorf("span %+v env %q version %q host %q trace %s", s.Span, s.Env, s.AppVersion, s.Hostname, s.TraceIDHex())
		}
	}
	groups, err := in.WaitForStats(ctx, 1, func(g DatadogStats) bool { return g.Service == "books" })
	if err != nil {
		t.Fatal(err)
	}
	if g := groups[0]; g.Hits != 3 || g.Errors != 1 || g.Env != "lab" || g.Version != "1.2.3" {
		t.Errorf("stats %+v", g)
	}
	if keys := in.APIKeys(); len(keys) != 1 || keys[0] != "k" {
		t.Errorf("API keys %q", keys)
	}
	if in.Err() != nil {
		t.Fatalf("intake error before the bad post: %v", in.Err())
	}
	if code := post("/api/v0.2/traces", "application/x-protobuf", "br", protoBody); code != http.StatusBadRequest {
		t.Errorf("unknown encoding: status %d; want 400", code)
	}
	if err := in.Err(); err == nil || !strings.Contains(err.Error(), `unknown Content-Encoding "br"`) {
		t.Errorf("Err() = %v; want the unknown encoding", err)
	}
}
