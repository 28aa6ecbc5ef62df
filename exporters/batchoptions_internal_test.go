package exporters

import (
	"testing"
	"time"
)

// TestBatchOptionsDefaults checks that what is unset, zero or out of range
// gets the SDK's default: a zero queue would drop every item and a zero delay
// would wake the export loop without pause.
func TestBatchOptionsDefaults(t *testing.T) {
	counters := NewCounters("x")
	tests := []struct {
		name  string
		delay time.Duration // the signal's default
		opts  []BatchOption
		want  Batch
		tmo   time.Duration
	}{
		{"spans, no options", DefaultSpanDelay, nil, Batch{DefaultSpanDelay, DefaultMaxQueue, DefaultMaxExport}, DefaultExportTimeout},
		{"logs, no options", DefaultLogDelay, nil, Batch{DefaultLogDelay, DefaultMaxQueue, DefaultMaxExport}, DefaultExportTimeout},
		{"zero Batch", DefaultSpanDelay, []BatchOption{WithBatch(Batch{})}, Batch{DefaultSpanDelay, DefaultMaxQueue, DefaultMaxExport}, DefaultExportTimeout},
		{"negative values", DefaultSpanDelay, []BatchOption{WithBatchTimeout(-1), WithMaxQueueSize(-1), WithMaxExportBatchSize(-1), WithExportTimeout(-1)},
			Batch{DefaultSpanDelay, DefaultMaxQueue, DefaultMaxExport}, DefaultExportTimeout},
		{"each option", DefaultSpanDelay, []BatchOption{WithBatchTimeout(time.Millisecond), WithMaxQueueSize(10), WithMaxExportBatchSize(3), WithExportTimeout(time.Second)},
			Batch{time.Millisecond, 10, 3}, time.Second},
		{"Batch then one field", DefaultSpanDelay, []BatchOption{WithBatch(Batch{Delay: time.Minute, MaxQueue: 100}), WithMaxExportBatchSize(7)},
			Batch{time.Minute, 100, 7}, DefaultExportTimeout},
		{"export size above the queue", DefaultSpanDelay, []BatchOption{WithMaxQueueSize(8)}, Batch{DefaultSpanDelay, 8, 8}, DefaultExportTimeout},
		{"nil counters and logger", DefaultSpanDelay, []BatchOption{WithCounters(nil), WithLogger(nil)}, Batch{DefaultSpanDelay, DefaultMaxQueue, DefaultMaxExport}, DefaultExportTimeout},
		{"counters kept", DefaultSpanDelay, []BatchOption{WithCounters(counters)}, Batch{DefaultSpanDelay, DefaultMaxQueue, DefaultMaxExport}, DefaultExportTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newBatchConfig(tt.delay, tt.opts)
			if c.batch != tt.want || c.exportTimeout != tt.tmo {
				t.Errorf("batch %+v timeout %v, want %+v and %v", c.batch, c.exportTimeout, tt.want, tt.tmo)
			}
			if c.counters == nil || c.logger == nil {
				t.Errorf("counters %v, logger %v: want both set", c.counters, c.logger)
			}
			if tt.name == "counters kept" && c.counters != counters {
				t.Error("WithCounters: the counters given were replaced")
			}
		})
	}
}
