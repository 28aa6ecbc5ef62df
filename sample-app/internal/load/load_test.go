package load_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otelswitch/otelswitch/sample-app/internal/load"
	"github.com/otelswitch/otelswitch/sample-app/internal/server"
	"github.com/otelswitch/otelswitch/sample-app/internal/store"
)

// service starts an in-process books service holding n books.
func service(t *testing.T, n int) string {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "books.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for i := range n {
		if _, err := st.Create(context.Background(), store.BookInput{Title: fmt.Sprint("seed ", i), Author: "a", Year: 2000}); err != nil {
			t.Fatal(err)
		}
	}
	srv, err := server.New(server.Config{Store: st, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts.URL
}

func TestRunByCount(t *testing.T) {
	url := service(t, 30)
	ops := map[int]map[load.Op]int{}
	for _, conc := range []int{1, 8} {
		res, err := load.Run(context.Background(), load.Config{URL: url, Requests: 300, Concurrency: conc, Seed: 7, IOMillis: 1, CPURounds: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Samples) != 300 {
			t.Fatalf("concurrency %d: %d samples, want 300", conc, len(res.Samples))
		}
		ops[conc] = map[load.Op]int{}
		for _, s := range res.Samples {
			ops[conc][s.Op]++
			if s.Failed() != (s.Op == load.OpError) {
				t.Errorf("%s: status %d %s", s.Op, s.Status, s.Err)
			}
			if s.Latency <= 0 {
				t.Errorf("%s: latency %v", s.Op, s.Latency)
			}
		}
		sum := res.Summary()
		if sum.Requests != 300 || sum.Errors != ops[conc][load.OpError] || sum.RPS <= 0 || sum.P50 > sum.P90 || sum.P90 > sum.P99 || sum.P99 > sum.Max {
			t.Errorf("Summary = %+v", sum)
		}
		byOp := res.ByOp()
		if byOp[load.OpList].Requests != ops[conc][load.OpList] {
			t.Errorf("ByOp[list] = %+v, want %d requests", byOp[load.OpList], ops[conc][load.OpList])
		}
		if !strings.Contains(res.Table(), "total") {
			t.Errorf("Table() =\n%s", res.Table())
		}
	}
	if fmt.Sprint(ops[1]) != fmt.Sprint(ops[8]) {
		t.Errorf("the same seed sent different mixes:\nconcurrency 1: %v\nconcurrency 8: %v", ops[1], ops[8])
	}
	for _, op := range load.Ops {
		if ops[1][op] == 0 {
			t.Errorf("the default mix sent no %s request in 300", op)
		}
	}
}

func TestRunByDurationWithProgress(t *testing.T) {
	url := service(t, 0)
	var progress bytes.Buffer
	start := time.Now()
	res, err := load.Run(context.Background(), load.Config{
		URL: url, Duration: 600 * time.Millisecond, Concurrency: 2, IOMillis: 1,
		Progress: &progress, ProgressInterval: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 600*time.Millisecond || took > 3*time.Second {
		t.Errorf("a 600ms run took %v", took)
	}
	if len(res.Samples) == 0 {
		t.Fatal("no requests")
	}
	out := progress.String()
	if n := strings.Count(out, "\r"); n < 4 {
		t.Errorf("%d progress updates in 600ms at 100ms, want at least 4: %q", n, out)
	}
	if !strings.HasSuffix(out, "\n") || !strings.Contains(out, "req/s") || !strings.Contains(out, "/600ms") {
		t.Errorf("progress = %q", out)
	}
}

func TestRunStopsWhenCancelled(t *testing.T) {
	url := service(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	res, err := load.Run(ctx, load.Config{URL: url, Requests: 1_000_000, Mix: load.Mix{load.OpIO: 1}, IOMillis: 50})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Samples) == 0 || len(res.Samples) > 100 {
		t.Errorf("%d samples after cancelling at 300ms", len(res.Samples))
	}
	for _, s := range res.Samples {
		if s.Failed() {
			t.Errorf("a request cut off by cancelling counted: %+v", s)
		}
	}
}

func TestRunErrors(t *testing.T) {
	dead := httptest.NewServer(nil)
	deadURL := dead.URL
	dead.Close()
	tests := []struct {
		name string
		cfg  load.Config
		want string
	}{
		{"no url", load.Config{Requests: 1}, `url "": want the service's base URL`},
		{"not http", load.Config{URL: "localhost:8080", Requests: 1}, `url "localhost:8080"`},
		{"no bound", load.Config{URL: "http://x"}, "no bound: set a duration, a request count, or both"},
		{"negative concurrency", load.Config{URL: "http://x", Requests: 1, Concurrency: -1}, "concurrency -1: want 1 or more"},
		{"empty mix", load.Config{URL: "http://x", Requests: 1, Mix: load.Mix{load.OpGet: 0}}, "mix: weights add up to 0"},
		{"unreachable", load.Config{URL: deadURL, Requests: 1}, "load: cannot reach " + deadURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load.Run(context.Background(), tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Run = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	tests := []struct {
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{nil, 50, 0},
		{ms(5), 99, 5 * time.Millisecond},
		{ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{ms(1, 2, 3, 4), 75, 3 * time.Millisecond},
		{ms(1, 2, 3, 4), 100, 4 * time.Millisecond},
		{ms(1, 2, 3, 4), 0, 1 * time.Millisecond},
		{ms(hundred...), 90, 90 * time.Millisecond},
		{ms(hundred...), 99, 99 * time.Millisecond},
		{ms(hundred...), 99.5, 100 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := load.Percentile(tt.sorted, tt.p); got != tt.want {
			t.Errorf("Percentile(%d values, %v) = %v, want %v", len(tt.sorted), tt.p, got, tt.want)
		}
	}
}

func TestParseMix(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{"list=3, get=1", "list=3,get=1", ""},
		{"error=0,io=2", "io=2", ""},
		{"lists=3", "", `mix entry "lists=3": want op=weight with op one of list, get, create`},
		{"get", "", `mix entry "get": want op=weight`},
		{"get=-1", "", "weight must be a whole number, 0 or more"},
		{"get=0", "", "mix: weights add up to 0"},
	}
	for _, tt := range tests {
		m, err := load.ParseMix(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseMix(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || m.String() != tt.want {
			t.Errorf("ParseMix(%q) = %v, %v; want %s", tt.in, m, err, tt.want)
		}
	}
}

func ExampleSummarize() {
	var samples []load.Sample
	for i := 1; i <= 100; i++ {
		s := load.Sample{Op: load.OpGet, Latency: time.Duration(i) * time.Millisecond, Status: 200}
		if i%25 == 0 {
			s.Status = 503
		}
		samples = append(samples, s)
	}
	fmt.Println(load.Summarize(samples, 2*time.Second))
	// Output:
	// 100 requests in 2s (50.0 req/s), 4 errors (4.0%), 0 client errors; latency p50 50ms p90 90ms p99 99ms max 100ms
}

func ExampleParseMix() {
	m, err := load.ParseMix("get=8,create=2")
	fmt.Println(m, err)
	fmt.Println(load.DefaultMix)
	// Output:
	// get=8,create=2 <nil>
	// list=25,get=25,create=15,update=10,delete=5,io=5,cpu=5,chain=5,health=3,error=2
}
