package lab

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/tinylib/msgp/msgp"
)

// v04Payload is a Datadog v0.4 payload of one trace with a 128-bit trace ID:
// a root carrying the upper 64 bits in _dd.p.tid and a child that does not,
// which the receiver completes from its cache, the path that crashed it
// under concurrency.
func v04Payload(traceID uint64) []byte {
	b := msgp.AppendArrayHeader(nil, 1) // traces
	b = msgp.AppendArrayHeader(b, 2)    // spans
	b = appendSpan(b, traceID, traceID<<8, 0, map[string]string{"_dd.p.tid": fmt.Sprintf("%016x", traceID)})
	b = appendSpan(b, traceID, traceID<<8+1, traceID<<8, nil)
	return b
}

func appendSpan(b []byte, traceID, spanID, parentID uint64, meta map[string]string) []byte {
	b = msgp.AppendMapHeader(b, 10)
	for _, kv := range [][2]string{{"service", "proxy-test"}, {"name", "op"}, {"resource", "GET /x"}} {
		b = msgp.AppendString(b, kv[0])
		b = msgp.AppendString(b, kv[1])
	}
	b = msgp.AppendString(b, "trace_id")
	b = msgp.AppendUint64(b, traceID)
	b = msgp.AppendString(b, "span_id")
	b = msgp.AppendUint64(b, spanID)
	b = msgp.AppendString(b, "parent_id")
	b = msgp.AppendUint64(b, parentID)
	b = msgp.AppendString(b, "start")
	b = msgp.AppendInt64(b, time.Now().UnixNano())
	b = msgp.AppendString(b, "duration")
	b = msgp.AppendInt64(b, int64(time.Millisecond))
	b = msgp.AppendString(b, "error")
	b = msgp.AppendInt32(b, 0)
	b = msgp.AppendString(b, "meta")
	b = msgp.AppendMapHeader(b, uint32(len(meta)))
	for k, v := range meta {
		b = msgp.AppendString(b, k)
		b = msgp.AppendString(b, v)
	}
	return b
}

// Concurrent payloads reach the receiver one at a time through DatadogAgent,
// so the collector survives them and stores every span.
func TestDatadogAgentTakesConcurrentPayloads(t *testing.T) {
	l := ForTest(t)
	const workers, each = 16, 40
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				id := uint64(w*1000 + i + 1)
				req, _ := http.NewRequest(http.MethodPost, "http://"+l.DatadogAgent+"/v0.4/traces", bytes.NewReader(v04Payload(id)))
				req.Header.Set("Content-Type", "application/msgpack")
				req.Header.Set("X-Datadog-Trace-Count", "1")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					errs <- err
					continue
				}
				_ = resp.Body.Close()
				if resp.StatusCode/100 != 2 {
					errs <- fmt.Errorf("status %s", resp.Status)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("post: %v\n%s", err, l.Logs(30))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	spans, err := l.WaitForSpans(ctx, SourceDatadog, 2*workers*each, nil)
	if err != nil || len(spans) != 2*workers*each {
		t.Fatalf("stored %d spans, want %d: %v\n%s", len(spans), 2*workers*each, err, l.Logs(30))
	}
	if done, why := l.collector.exited(); done {
		t.Fatalf("collector exited: %v", why)
	}
}
