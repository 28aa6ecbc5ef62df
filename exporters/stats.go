package exporters

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Stats is a snapshot of what one backend sent and lost.
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
}

// latencyWindow is how many recent export latencies the percentiles cover.
const latencyWindow = 1024

// Counters is the live, concurrency-safe side of Stats.
type Counters struct {
	backend  string
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
}

// NewCounters returns zeroed counters for the named backend.
func NewCounters(backend string) *Counters { return &Counters{backend: backend} }

// Enqueued records n spans entering the queue.
func (c *Counters) Enqueued(n int) { c.queued.Add(int64(n)) }

// Dropped records n spans lost before an export was attempted. queued says
// whether they had been counted by Enqueued.
func (c *Counters) Dropped(n int, queued bool) {
	c.dropped.Add(int64(n))
	if queued {
		c.queued.Add(-int64(n))
	}
}

// AddBytes records payload bytes written to the wire.
func (c *Counters) AddBytes(n int64) { c.bytes.Add(n) }

// Exported records one export call of n queued spans and its outcome. The
// spans of a failed export count as dropped.
func (c *Counters) Exported(n int, took time.Duration, err error) {
	c.queued.Add(-int64(n))
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
	}
}

// Snapshot returns the current values.
func (c *Counters) Snapshot() Stats {
	c.mu.Lock()
	lat := slices.Clone(c.latencies)
	lastErr := c.lastErr
	c.mu.Unlock()
	slices.Sort(lat)
	return Stats{
		Backend:          c.backend,
		SpansExported:    c.exported.Load(),
		SpansDropped:     c.dropped.Load(),
		SpansQueued:      c.queued.Load(),
		Exports:          c.exports.Load(),
		FailedExports:    c.failed.Load(),
		BytesSent:        c.bytes.Load(),
		ExportLatencyP50: percentile(lat, 0.50),
		ExportLatencyP99: percentile(lat, 0.99),
		LastError:        lastErr,
	}
}

func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[int(q*float64(len(sorted)-1)+0.5)]
}
