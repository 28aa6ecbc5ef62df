package otlptest

import (
	"context"
	"sync"

	sdklog "go.opentelemetry.io/otel/sdk/log"
)

// LogKeeper is a log processor that keeps a copy of every record emitted,
// as a batch processor's queue does, for tests that measure what a queued
// record costs or hand the records to an exporter themselves. Records may
// be read once emitting is over, and preallocated before it starts.
type LogKeeper struct {
	mu      sync.Mutex
	Records []sdklog.Record
}

// OnEmit implements sdklog.Processor.
func (k *LogKeeper) OnEmit(_ context.Context, r *sdklog.Record) error {
	k.mu.Lock()
	k.Records = append(k.Records, r.Clone())
	k.mu.Unlock()
	return nil
}

// Enabled implements sdklog.Processor: every record is kept.
func (k *LogKeeper) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }

// Shutdown implements sdklog.Processor.
func (k *LogKeeper) Shutdown(context.Context) error { return nil }

// ForceFlush implements sdklog.Processor.
func (k *LogKeeper) ForceFlush(context.Context) error { return nil }
