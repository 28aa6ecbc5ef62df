package exporters

import (
	"log/slog"
	"time"
)

// The defaults are the OpenTelemetry SDK's (sdktrace.NewBatchSpanProcessor and
// sdklog.NewBatchProcessor), so a processor built with no options, or with a
// zero Batch, behaves like the SDK's: it neither drops every item (a zero
// queue) nor wakes up without pause (a zero delay).
const (
	DefaultSpanDelay     = 5 * time.Second
	DefaultLogDelay      = time.Second
	DefaultMaxQueue      = 2048
	DefaultMaxExport     = 512
	DefaultExportTimeout = 30 * time.Second
)

// BatchOption configures NewBatchProcessor and NewLogProcessor. A zero or
// negative value keeps the default.
type BatchOption interface{ apply(batchConfig) batchConfig }

type batchOptionFunc func(batchConfig) batchConfig

func (f batchOptionFunc) apply(c batchConfig) batchConfig { return f(c) }

type batchConfig struct {
	batch         Batch
	exportTimeout time.Duration
	counters      *Counters
	logger        *slog.Logger
}

// newBatchConfig applies opts over the defaults, delay being the signal's
// default delay, and replaces what is left zero or out of range.
func newBatchConfig(delay time.Duration, opts []BatchOption) batchConfig {
	var c batchConfig
	for _, o := range opts {
		c = o.apply(c)
	}
	c.batch.Delay = positiveOr(c.batch.Delay, delay)
	c.batch.MaxQueue = positiveOr(c.batch.MaxQueue, DefaultMaxQueue)
	c.batch.MaxExport = min(positiveOr(c.batch.MaxExport, DefaultMaxExport), c.batch.MaxQueue)
	c.exportTimeout = positiveOr(c.exportTimeout, DefaultExportTimeout)
	if c.counters == nil {
		// Nobody reads these; counting into them keeps one code path.
		c.counters = NewCounters("")
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	return c
}

func positiveOr[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// WithBatch sets the delay, queue size and export size at once, as
// Settings.Batch carries them; its zero fields keep their defaults.
func WithBatch(b Batch) BatchOption {
	return batchOptionFunc(func(c batchConfig) batchConfig { c.batch = b; return c })
}

// WithBatchTimeout sets the longest an item waits before it is sent, like
// sdktrace.WithBatchTimeout. Default: 5s for spans, 1s for log records.
func WithBatchTimeout(d time.Duration) BatchOption {
	return batchOptionFunc(func(c batchConfig) batchConfig { c.batch.Delay = d; return c })
}

// WithMaxQueueSize bounds the queue; items beyond it are dropped and counted,
// like sdktrace.WithMaxQueueSize. Default 2048.
func WithMaxQueueSize(n int) BatchOption {
	return batchOptionFunc(func(c batchConfig) batchConfig { c.batch.MaxQueue = n; return c })
}

// WithMaxExportBatchSize sets the most items in one export, at most the queue
// size, like sdktrace.WithMaxExportBatchSize. Default 512.
func WithMaxExportBatchSize(n int) BatchOption {
	return batchOptionFunc(func(c batchConfig) batchConfig { c.batch.MaxExport = n; return c })
}

// WithExportTimeout bounds each export call, like sdktrace.WithExportTimeout.
// Default 30s.
func WithExportTimeout(d time.Duration) BatchOption {
	return batchOptionFunc(func(c batchConfig) batchConfig { c.exportTimeout = d; return c })
}

// WithCounters sets where delivered, dropped and failed items are counted
// (Telemetry.Stats reads them). Default, or nil: counters nobody reads.
func WithCounters(s *Counters) BatchOption {
	return batchOptionFunc(func(c batchConfig) batchConfig { c.counters = s; return c })
}

// WithLogger sets where the processor says that exports started or stopped
// failing. Default, or nil: nowhere.
func WithLogger(l *slog.Logger) BatchOption {
	return batchOptionFunc(func(c batchConfig) batchConfig { c.logger = l; return c })
}

// SpanBatchOptions are the options of a backend's span processor under s:
// s.Batch, s.ExportTimeout and s.Logger, counting in counters.
func (s Settings) SpanBatchOptions(counters *Counters) []BatchOption {
	return []BatchOption{WithBatch(s.Batch), WithExportTimeout(s.ExportTimeout), WithCounters(counters), WithLogger(s.Logger)}
}
