package bootstrap

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/otelswitch/otelswitch/exporters"
)

// encodedSink is an EncodedLogProcessor that keeps what it is handed.
type encodedSink struct {
	mu      sync.Mutex
	encoded [][]byte
	res     []*resource.Resource
	scopes  []instrumentation.Scope
	emitted int
	lim     exporters.EncodedLimits
}

func (s *encodedSink) EmitEncoded(rec []byte, res *resource.Resource, scope instrumentation.Scope) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.encoded = append(s.encoded, append([]byte(nil), rec...))
	s.res, s.scopes = append(s.res, res), append(s.scopes, scope)
}
func (s *encodedSink) EncodedLimits() exporters.EncodedLimits { return s.lim }
func (s *encodedSink) OnEmit(context.Context, *sdklog.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.emitted++
	return nil
}
func (s *encodedSink) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }
func (s *encodedSink) Shutdown(context.Context) error                         { return nil }
func (s *encodedSink) ForceFlush(context.Context) error                       { return nil }

// The queue's goroutine encodes a plain record itself and hands it to
// every backend's processor with that backend's resource, once each; a
// record from a handler with a group, or one it must refuse, takes the
// bridge (here a counting handler).
func TestWirePathTakesPlainRecords(t *testing.T) {
	res := resource.NewSchemaless(attribute.String("service.name", "svc"))
	own := resource.NewSchemaless(attribute.String("service.name", "rewritten"))
	a, b := &encodedSink{}, &encodedSink{lim: exporters.EncodedLimits{MaxValue: 3}}
	w := newWireSinks(res, []*exporters.Backend{{LogProcessor: a}, {}, {LogProcessor: b, LogResource: own}})
	if w == nil {
		t.Fatal("no wire path with two encoded processors")
	}
	if w.lim.MaxValue != 3 || w.lim.MaxAttrs != sdkAttrCountLimit {
		t.Errorf("limits %+v, want the tighter processor's MaxValue 3 and the SDK's count limit", w.lim)
	}
	q := newLogQueue(16, nil, w)
	h := countingHandler{slog.DiscardHandler, &sync.Mutex{}, new(int)}
	plain := entry(h, "plain")
	plain.rec.AddAttrs(slog.String("k", "abc"))
	plain.with = []slog.Attr{slog.Int("n", 1)}
	grouped := entry(h, "grouped")
	grouped.grouped = true
	long := entry(h, "long")
	long.rec.AddAttrs(slog.String("k", "abcd"))
	for _, e := range []*logEntry{plain, grouped, long} {
		q.put(e)
	}
	if err := q.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*encodedSink{a, b} {
		if len(s.encoded) != 1 || s.scopes[0] != bridgeScope {
			t.Fatalf("a processor was handed %d encoded records (scopes %v), want the plain one", len(s.encoded), s.scopes)
		}
	}
	if a.res[0].Equivalent() != res.Equivalent() || b.res[0].Equivalent() != own.Equivalent() {
		t.Errorf("resources %v and %v, want each backend's", a.res[0], b.res[0])
	}
	if h.count() != 2 {
		t.Errorf("the bridge handled %d records, want the grouped and the long one", h.count())
	}
}

// No wire path when a backend's processor takes no encoded records (the
// New Relic agent's), or when the SDK's own limit variables are set.
func TestWirePathOff(t *testing.T) {
	res := resource.Empty()
	plainSDK := sdklog.NewSimpleProcessor(nil)
	if w := newWireSinks(res, []*exporters.Backend{{LogProcessor: &encodedSink{}}, {LogProcessor: plainSDK}}); w != nil {
		t.Error("a wire path with a processor that takes no encoded records")
	}
	if w := newWireSinks(res, []*exporters.Backend{{}}); w != nil {
		t.Error("a wire path with no log processor")
	}
	t.Setenv("OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT", "4")
	if w := newWireSinks(res, []*exporters.Backend{{LogProcessor: &encodedSink{}}}); w != nil {
		t.Error("a wire path with OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT set")
	}
}
