package compare

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/otelswitch/otelswitch/internal/lab"
)

func TestJudge(t *testing.T) {
	tests := []struct {
		name       string
		d          Delivery
		made       int64
		wantStatus string
		wantReason string
	}{
		{"everything stored", Delivery{Sent: 10, Stored: 10, StoredExact: true}, 10, StatusOK, ""},
		{"did not start", Delivery{StartErr: "NEW_RELIC_LICENSE_KEY must not be empty", StoredExact: true}, 0, StatusFailed, "did not start: NEW_RELIC_LICENSE_KEY"},
		{"exports failed", Delivery{Sent: 4, Dropped: 6, Exports: 5, FailedExports: 3, LastError: "connection refused", Stored: 4, StoredExact: true},
			10, StatusFailed, "3 of 5 exports failed, 6 spans dropped; last error: connection refused"},
		{"failed, then recovered", Delivery{Sent: 8, Dropped: 2, Exports: 5, FailedExports: 1, Stored: 8, StoredExact: true},
			10, StatusFailed, "the last export succeeded"},
		{"timed out, yet stored", Delivery{Sent: 30, Dropped: 512, Exports: 2, FailedExports: 1, Stored: 542, StoredExact: true},
			542, StatusOK, "1 of 2 exports reported failed (the last export succeeded), yet every span made was stored"},
		{"store unreadable", Delivery{Sent: 10, StoreErr: "connection refused"}, 10, StatusFailed, "could not count what it stored: connection refused"},
		{"nothing arrived", Delivery{Sent: 10, StoredExact: true}, 10, StatusFailed, "stored nothing of 10 spans made (10 sent)"},
		{"queue overflow", Delivery{Sent: 8, Dropped: 2, Stored: 8, StoredExact: true}, 10, StatusLossy, "dropped 2 spans"},
		{"stored less than sent", Delivery{Sent: 10, Stored: 9, StoredExact: true}, 10, StatusLossy, "stored 9 of 10 spans sent"},
		{"lower bound", Delivery{Sent: 10, Stored: 10}, 10, StatusOK, "stored is a lower bound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.d.judge(tt.made)
			if tt.d.Status != tt.wantStatus || !strings.Contains(tt.d.Reason, tt.wantReason) || (tt.wantReason == "" && tt.d.Reason != "") {
				t.Errorf("status %q, reason %q; want %q containing %q", tt.d.Status, tt.d.Reason, tt.wantStatus, tt.wantReason)
			}
		})
	}
}

func TestCostOf(t *testing.T) {
	base := Requests{P50: time.Millisecond, P99: 10 * time.Millisecond, RPS: 1000, CPU: 400 * time.Microsecond}
	tests := []struct {
		name string
		run  Requests
		want Cost
	}{
		{"same", base, Cost{}},
		{"slower", Requests{P50: 1500 * time.Microsecond, P99: 20 * time.Millisecond, RPS: 800, CPU: 500 * time.Microsecond},
			Cost{P50: 0.5, P99: 1, Throughput: -0.2, CPU: 0.25}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := costOf(tt.run, base)
			near := func(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }
			if !near(got.P50, tt.want.P50) || !near(got.P99, tt.want.P99) || !near(got.Throughput, tt.want.Throughput) || !near(got.CPU, tt.want.CPU) {
				t.Errorf("costOf = %+v; want %+v", got, tt.want)
			}
		})
	}
	if got := costOf(base, Requests{}); got != (Cost{}) {
		t.Errorf("against an empty baseline: %+v; want zero", got)
	}
}

func TestFormat(t *testing.T) {
	tests := []struct{ got, want string }{
		{fmtDuration(0), "-"},
		{fmtDuration(340 * time.Microsecond), "340µs"},
		{fmtDuration(1234 * time.Microsecond), "1.23ms"},
		{fmtDuration(24100 * time.Microsecond), "24.1ms"},
		{fmtDuration(1071 * time.Millisecond), "1071ms"},
		{fmtDuration(12 * time.Second), "12.0s"},
		{fmtBytes(0), "-"},
		{fmtBytes(999), "999 B"},
		{fmtBytes(250_000), "250.0 kB"},
		{fmtBytes(38_000_000), "38.0 MB"},
		{fmtBytes(2_500_000_000), "2.50 GB"},
		{fmtPercent(0), "+0.0%"},
		{fmtPercent(0.059), "+5.9%"},
		{fmtPercent(-0.0995), "-10%"},
		{fmtPercent(1.71), "+171%"},
		{Identity{}.String(), "-"},
		{Identity{Service: "books", Version: "1.0.0"}.String(), "books · (none) · 1.0.0"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q; want %q", tt.got, tt.want)
		}
	}
}

func TestRunRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
		want []string
	}{
		{"no backends", []Option{WithBackends()}, []string{"no backends; want some of jaeger, datadog, newrelic, elastic, datadog-otlp"}},
		{"unknown and twice", []Option{WithBackends("jaeger", "honeycomb", "jaeger")}, []string{`unknown backend "honeycomb"`, `backend "jaeger" named twice`}},
		{"bounds", []Option{WithDuration(0), WithConcurrency(-1)}, []string{"duration 0s: want more than 0", "concurrency -1: want at least 1"}},
		{"env for a backend not compared", []Option{WithBackends("jaeger"), WithBackendEnv("elastic", map[string]string{"X": "1"})},
			[]string{`variables for backend "elastic", which is not compared`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The lab is never touched before the options are checked.
			rep, err := Run(context.Background(), nil, tt.opts...)
			if err == nil || rep != nil {
				t.Fatalf("Run = %v, %v; want an error", rep, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestRunEnv(t *testing.T) {
	c := newConfig([]Option{
		WithEnvironment("staging"), WithRunID("x"),
		WithEnv(map[string]string{"TELEMETRY_SHUTDOWN_TIMEOUT": "2s"}),
		WithBackendEnv("newrelic", map[string]string{"NEW_RELIC_OTLP_ENDPOINT": "http://127.0.0.1:1"}),
	})
	r := &runner{c: c, l: &lab.Lab{JaegerOTLPGRPC: "127.0.0.1:4317", CollectorOTLPHTTP: "127.0.0.1:14318"}, dir: "/tmp/d"}
	bs, err := lookupBackends(config{backends: []string{"jaeger", "newrelic"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		members []backend
		want    map[string]string
		absent  []string
	}{
		{"off", nil, map[string]string{
			"OTEL_SDK_DISABLED": "true", "TELEMETRY_BACKEND": "none", "ENVIRONMENT": "staging",
			"OTEL_SERVICE_NAME": "compare-x-off", "SERVICE_VERSION": DefaultVersion, "TELEMETRY_SHUTDOWN_TIMEOUT": "2s",
			"DATABASE_URL": "sqlite:/tmp/d/compare-x-off.db", "ADDR": "127.0.0.1:0",
		}, []string{"JAEGER_ENDPOINT"}},
		{"fan-out", bs, map[string]string{
			"TELEMETRY_BACKEND": "jaeger,newrelic", "JAEGER_ENDPOINT": "127.0.0.1:4317",
			"NEW_RELIC_LICENSE_KEY": licenceKey, "NEW_RELIC_OTLP_ENDPOINT": "http://127.0.0.1:1",
		}, []string{"OTEL_SDK_DISABLED"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := r.env("compare-x-"+tt.name, tt.members)
			for k, v := range tt.want {
				if env[k] != v {
					t.Errorf("%s=%q; want %q", k, env[k], v)
				}
			}
			for _, k := range tt.absent {
				if _, ok := env[k]; ok {
					t.Errorf("%s is set", k)
				}
			}
		})
	}
}

func TestWriteJSON(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var got Report
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	nr := got.alone("newrelic").delivery("newrelic")
	if nr == nil || nr.Status != StatusFailed || !strings.Contains(nr.LastError, "connection refused") || got.FanOut == nil || len(got.FanOut.Deliveries) != 4 {
		t.Errorf("round trip lost data: %s", b.String())
	}
	for _, key := range []string{`"spans_sent"`, `"spans_stored"`, `"spans_stored_exact"`, `"bytes_sent"`, `"export_latency_p99_ns"`,
		`"p50_ns"`, `"cpu_per_request_ns"`, `"throughput"`, `"seen"`, `"fan_out"`, `"reason"`} {
		if !strings.Contains(b.String(), key) {
			t.Errorf("JSON lacks %s", key)
		}
	}
}

func TestWriteTable(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"BACKEND ", "off (baseline)", "fan-out (4)     failed (newrelic)",
		"newrelic        failed [1,2]", "[1] newrelic alone: 12 of 20 exports failed", "[2] newrelic in the fan-out:",
		"compare-7f3a-jaeger · production · 1.0.0", "360µs +5.9%", "1260 -21%", "4096/4096",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if err := sampleReport().WriteTable(failingWriter{}); err == nil {
		t.Error("WriteTable to a failing writer returned nil")
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }
