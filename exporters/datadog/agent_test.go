package datadog_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/tinylib/msgp/msgp"
)

// ddSpan is one span as dd-trace-go sends it to the Agent (v0.4 payload).
type ddSpan struct {
	TraceID, SpanID, ParentID uint64
	Name, Resource, Service   string
	Type                      string
	Start, Duration           int64
	Error                     int64
	Meta                      map[string]string
	Metrics                   map[string]float64
}

// testAgent is a Datadog Agent trace intake in the test process: it answers
// /info and decodes every /v0.4/traces payload. Until release is closed
// (when set), /info does not answer, which holds dd-trace-go's start.
type testAgent struct {
	*httptest.Server
	release chan struct{}

	mu    sync.Mutex
	spans []ddSpan
	rates string // the answer to a trace payload; SetRates
}

// SetRates makes the agent answer trace payloads with rates, a
// rate_by_service map as the Agent sends it.
func (a *testAgent) SetRates(rates string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.rates = `{"rate_by_service":` + rates + `}`
}

func newTestAgent(t *testing.T, hold bool) *testAgent {
	a := &testAgent{}
	if hold {
		a.release = make(chan struct{})
	}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/info":
			if a.release != nil {
				select {
				case <-a.release:
				case <-r.Context().Done():
					return
				}
			}
			_, _ = io.WriteString(w, `{"version":"7.70.0","endpoints":["/v0.4/traces","/v0.6/stats"]}`)
		case "/v0.4/traces":
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			spans, err := decodeV04(body)
			if err != nil {
				t.Errorf("test agent: %v", err)
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			a.mu.Lock()
			a.spans = append(a.spans, spans...)
			answer := a.rates
			a.mu.Unlock()
			if answer == "" {
				answer = `{"rate_by_service":{"service:,env:":1}}`
			}
			_, _ = io.WriteString(w, answer)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(a.Close)
	return a
}

// Spans returns what the agent has received so far.
func (a *testAgent) Spans() []ddSpan {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]ddSpan(nil), a.spans...)
}

func decodeV04(b []byte) ([]ddSpan, error) {
	v, _, err := msgp.ReadIntfBytes(b)
	if err != nil {
		return nil, err
	}
	traces, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("payload is %T, not an array", v)
	}
	var out []ddSpan
	for _, tr := range traces {
		spans, ok := tr.([]any)
		if !ok {
			return nil, fmt.Errorf("trace is %T, not an array", tr)
		}
		for _, sp := range spans {
			m, ok := sp.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("span is %T, not a map", sp)
			}
			s := ddSpan{Meta: map[string]string{}, Metrics: map[string]float64{}}
			s.TraceID, s.SpanID, s.ParentID = toU64(m["trace_id"]), toU64(m["span_id"]), toU64(m["parent_id"])
			s.Name, _ = m["name"].(string)
			s.Resource, _ = m["resource"].(string)
			s.Service, _ = m["service"].(string)
			s.Type, _ = m["type"].(string)
			s.Start, s.Duration, s.Error = int64(toU64(m["start"])), int64(toU64(m["duration"])), int64(toU64(m["error"]))
			if meta, ok := m["meta"].(map[string]any); ok {
				for k, v := range meta {
					s.Meta[k], _ = v.(string)
				}
			}
			if metrics, ok := m["metrics"].(map[string]any); ok {
				for k, v := range metrics {
					switch n := v.(type) {
					case float64:
						s.Metrics[k] = n
					case float32:
						s.Metrics[k] = float64(n)
					default:
						s.Metrics[k] = float64(toU64(v))
					}
				}
			}
			out = append(out, s)
		}
	}
	return out, nil
}

func toU64(v any) uint64 {
	switch n := v.(type) {
	case uint64:
		return n
	case int64:
		return uint64(n)
	case uint32:
		return uint64(n)
	case int32:
		return uint64(n)
	case int:
		return uint64(n)
	case float64:
		return uint64(n)
	}
	return 0
}
