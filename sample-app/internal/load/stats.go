package load

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Sample is one finished request.
type Sample struct {
	Op      Op
	Start   time.Duration // since the run began
	Latency time.Duration
	Status  int    // 0 when no response came
	Err     string // why no response came
}

// Failed reports whether s counts as an error: no response, or a 5xx.
func (s Sample) Failed() bool { return s.Status == 0 || s.Status >= 500 }

// Summary condenses samples.
type Summary struct {
	Requests     int
	Errors       int // no response or 5xx
	ClientErrors int // 4xx, such as a 404 for a book another worker deleted
	Elapsed      time.Duration
	RPS          float64 // requests per second over Elapsed
	Mean         time.Duration
	P50          time.Duration
	P90          time.Duration
	P99          time.Duration
	Max          time.Duration
}

// Summarize computes a Summary of samples taken over elapsed.
func Summarize(samples []Sample, elapsed time.Duration) Summary {
	s := Summary{Requests: len(samples), Elapsed: elapsed}
	if len(samples) == 0 {
		return s
	}
	lat := make([]time.Duration, len(samples))
	var sum time.Duration
	for i, x := range samples {
		lat[i] = x.Latency
		sum += x.Latency
		switch {
		case x.Failed():
			s.Errors++
		case x.Status >= 400:
			s.ClientErrors++
		}
	}
	slices.Sort(lat)
	s.Mean = sum / time.Duration(len(lat))
	s.P50, s.P90, s.P99 = Percentile(lat, 50), Percentile(lat, 90), Percentile(lat, 99)
	s.Max = lat[len(lat)-1]
	if elapsed > 0 {
		s.RPS = float64(len(samples)) / elapsed.Seconds()
	}
	return s
}

// Percentile returns the nearest-rank p-th percentile of sorted latencies: the
// smallest value at least p% of them are less than or equal to.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// ErrorRate is Errors/Requests, 0 for no requests.
func (s Summary) ErrorRate() float64 {
	if s.Requests == 0 {
		return 0
	}
	return float64(s.Errors) / float64(s.Requests)
}

// String renders s on one line.
func (s Summary) String() string {
	return fmt.Sprintf("%d requests in %s (%.1f req/s), %d errors (%.1f%%), %d client errors; latency p50 %s p90 %s p99 %s max %s",
		s.Requests, round(s.Elapsed), s.RPS, s.Errors, 100*s.ErrorRate(), s.ClientErrors,
		round(s.P50), round(s.P90), round(s.P99), round(s.Max))
}

// Table renders the summary of a result and one row per op, for a terminal.
func (r Result) Table() string {
	var b strings.Builder
	all := r.Summary()
	fmt.Fprintf(&b, "%-8s %9s %7s %7s %10s %10s %10s %10s %10s\n", "op", "requests", "errors", "4xx", "req/s", "p50", "p90", "p99", "max")
	row := func(name string, s Summary) {
		fmt.Fprintf(&b, "%-8s %9d %7d %7d %10.1f %10s %10s %10s %10s\n", name, s.Requests, s.Errors, s.ClientErrors, s.RPS,
			round(s.P50), round(s.P90), round(s.P99), round(s.Max))
	}
	byOp := r.ByOp()
	for _, op := range Ops {
		if s, ok := byOp[op]; ok {
			row(string(op), s)
		}
	}
	row("total", all)
	return b.String()
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	default:
		return d.Round(time.Microsecond)
	}
}
