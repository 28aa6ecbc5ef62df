package exporters

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Signals, as Stats and the log lines about a failing export name them.
const (
	SignalSpans   = "spans"
	SignalMetrics = "metric data points"
	SignalLogs    = "log records"
)

// Stats is a snapshot of what one backend sent and lost. The flat fields
// count spans, as they did before the backends took logs; Metrics and Logs
// count metric data points and log records the same way.
type Stats struct {
	Backend string `json:"backend"`
	// SpansExported were accepted by the backend.
	SpansExported int64 `json:"spans_exported"`
	// SpansDropped will never reach the backend: the queue was full, the
	// export that carried them failed, or shutdown's deadline came first.
	SpansDropped int64 `json:"spans_dropped"`
	// SpansQueued are waiting to be sent.
	SpansQueued int64 `json:"spans_queued"`
	// Exports counts export calls; FailedExports those that returned an error.
	Exports       int64 `json:"exports"`
	FailedExports int64 `json:"failed_exports"`
	// BytesSent is the payload put on the wire, after compression, where the
	// transport reports it.
	BytesSent int64 `json:"bytes_sent"`
	// ExportLatencyP50 and ExportLatencyP99 cover the most recent exports.
	ExportLatencyP50 time.Duration `json:"export_latency_p50_ns"`
	ExportLatencyP99 time.Duration `json:"export_latency_p99_ns"`
	// LastError is the most recent export error, empty when the last export
	// succeeded.
	LastError string `json:"last_error,omitempty"`
	// LastErrorAt is when an export last failed; it stays after a recovery.
	LastErrorAt time.Time `json:"last_error_at,omitzero"`

	// Metrics counts metric data points, Logs log records.
	Metrics SignalStats `json:"metrics"`
	Logs    SignalStats `json:"logs"`
}

// SignalStats is what one backend sent and lost of one signal. Its fields
// mean what the span fields of Stats mean.
type SignalStats struct {
	Exported         int64         `json:"exported"`
	Dropped          int64         `json:"dropped"`
	Queued           int64         `json:"queued"`
	Exports          int64         `json:"exports"`
	FailedExports    int64         `json:"failed_exports"`
	BytesSent        int64         `json:"bytes_sent"`
	ExportLatencyP50 time.Duration `json:"export_latency_p50_ns"`
	ExportLatencyP99 time.Duration `json:"export_latency_p99_ns"`
	LastError        string        `json:"last_error,omitempty"`
	LastErrorAt      time.Time     `json:"last_error_at,omitzero"`
}

// Spans returns the span fields of s as a SignalStats, for code that treats
// the three signals alike.
func (s Stats) Spans() SignalStats {
	return SignalStats{
		Exported: s.SpansExported, Dropped: s.SpansDropped, Queued: s.SpansQueued,
		Exports: s.Exports, FailedExports: s.FailedExports, BytesSent: s.BytesSent,
		ExportLatencyP50: s.ExportLatencyP50, ExportLatencyP99: s.ExportLatencyP99,
		LastError: s.LastError, LastErrorAt: s.LastErrorAt,
	}
}

// latencyWindow is how many recent export latencies the percentiles cover.
const latencyWindow = 1024

// Counters is the live, concurrency-safe side of Stats: one SignalCounters
// per signal. Its own methods (Enqueued, Exported...) count spans, so code
// written before logs and metrics were counted keeps working.
type Counters struct {
	SignalCounters // spans
	metrics        SignalCounters
	logs           SignalCounters
}

// NewCounters returns zeroed counters for the named backend.
func NewCounters(backend string) *Counters {
	c := &Counters{}
	c.SignalCounters.init(backend, SignalSpans)
	c.metrics.init(backend, SignalMetrics)
	c.logs.init(backend, SignalLogs)
	return c
}

// Spans returns the span counters.
func (c *Counters) Spans() *SignalCounters { return &c.SignalCounters }

// Metrics returns the metric data point counters.
func (c *Counters) Metrics() *SignalCounters { return &c.metrics }

// Logs returns the log record counters.
func (c *Counters) Logs() *SignalCounters { return &c.logs }

// Snapshot returns the current values.
func (c *Counters) Snapshot() Stats {
	s := c.SignalCounters.snapshot()
	return Stats{
		Backend:          c.backend,
		SpansExported:    s.Exported,
		SpansDropped:     s.Dropped,
		SpansQueued:      s.Queued,
		Exports:          s.Exports,
		FailedExports:    s.FailedExports,
		BytesSent:        s.BytesSent,
		ExportLatencyP50: s.ExportLatencyP50,
		ExportLatencyP99: s.ExportLatencyP99,
		LastError:        s.LastError,
		LastErrorAt:      s.LastErrorAt,
		Metrics:          c.metrics.snapshot(),
		Logs:             c.logs.snapshot(),
	}
}

// SignalCounters counts one signal of one backend.
type SignalCounters struct {
	backend  string
	signal   string
	exported atomic.Int64
	dropped  atomic.Int64
	queued   atomic.Int64
	exports  atomic.Int64
	failed   atomic.Int64
	bytes    atomic.Int64

	mu        sync.Mutex
	latencies []time.Duration // ring of the last latencyWindow exports
	next      int
	lastErr   string
	lastErrAt time.Time
}

func (c *SignalCounters) init(backend, signal string) { c.backend, c.signal = backend, signal }

// Backend names the backend counted.
func (c *SignalCounters) Backend() string { return c.backend }

// Signal names what is counted: SignalSpans, SignalMetrics or SignalLogs.
func (c *SignalCounters) Signal() string { return c.signal }

// Enqueued records n items entering the queue.
func (c *SignalCounters) Enqueued(n int) { c.queued.Add(int64(n)) }

// Dropped records n items lost before an export was attempted. queued says
// whether they had been counted by Enqueued.
func (c *SignalCounters) Dropped(n int, queued bool) {
	c.dropped.Add(int64(n))
	if queued {
		c.queued.Add(-int64(n))
	}
}

// AddBytes records payload bytes written to the wire.
func (c *SignalCounters) AddBytes(n int64) { c.bytes.Add(n) }

// Exported records one export call of n queued items and its outcome. The
// items of a failed export count as dropped.
func (c *SignalCounters) Exported(n int, took time.Duration, err error) {
	c.queued.Add(-int64(n))
	c.Sent(n, took, err)
}

// Sent records one export call of n items that were never counted as
// queued, such as the data points a periodic metric reader collects.
func (c *SignalCounters) Sent(n int, took time.Duration, err error) {
	c.exports.Add(1)
	if err != nil {
		c.failed.Add(1)
		c.dropped.Add(int64(n))
	} else {
		c.exported.Add(int64(n))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.latencies) < latencyWindow {
		c.latencies = append(c.latencies, took)
	} else {
		c.latencies[c.next] = took
		c.next = (c.next + 1) % latencyWindow
	}
	c.lastErr = ""
	if err != nil {
		c.lastErr = err.Error()
		c.lastErrAt = time.Now()
	}
}

func (c *SignalCounters) snapshot() SignalStats {
	c.mu.Lock()
	lat := slices.Clone(c.latencies)
	lastErr, lastErrAt := c.lastErr, c.lastErrAt
	c.mu.Unlock()
	slices.Sort(lat)
	return SignalStats{
		Exported:         c.exported.Load(),
		Dropped:          c.dropped.Load(),
		Queued:           c.queued.Load(),
		Exports:          c.exports.Load(),
		FailedExports:    c.failed.Load(),
		BytesSent:        c.bytes.Load(),
		ExportLatencyP50: percentile(lat, 0.50),
		ExportLatencyP99: percentile(lat, 0.99),
		LastError:        lastErr,
		LastErrorAt:      lastErrAt,
	}
}

func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[int(q*float64(len(sorted)-1)+0.5)]
}
