package testutil

import (
	"context"
	"encoding/binary"
	"sync"

	"go.opentelemetry.io/otel/trace"
)

// SeqIDs is an sdktrace.IDGenerator that hands out the same IDs run after
// run, in the order asked for, so two pipelines fed the same calls make
// the same spans: 128-bit trace IDs with both halves set, every ID valid.
type SeqIDs struct {
	mu sync.Mutex
	n  uint64
}

func (g *SeqIDs) next() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n++
	return g.n*0x9e3779b97f4a7c15 | 1
}

// NewIDs returns the next trace ID and span ID.
func (g *SeqIDs) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	var tid trace.TraceID
	binary.BigEndian.PutUint64(tid[:8], g.next())
	binary.BigEndian.PutUint64(tid[8:], g.next())
	return tid, g.NewSpanID(ctx, tid)
}

// NewSpanID returns the next span ID.
func (g *SeqIDs) NewSpanID(context.Context, trace.TraceID) trace.SpanID {
	var sid trace.SpanID
	binary.BigEndian.PutUint64(sid[:], g.next())
	return sid
}
