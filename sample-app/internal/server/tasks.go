package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Bounds of the synthetic tasks.
const (
	DefaultIOMillis = 1000
	MaxIOMillis     = 60_000
	DefaultCPURound = 100_000
	MaxCPURounds    = 10_000_000
)

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"service": s.cfg.ServiceName,
		"routes": []string{
			"GET /books?page=1&page_size=20", "POST /books", "GET /books/{id}", "PUT /books/{id}", "DELETE /books/{id}",
			"GET /chain", "GET /io_task?ms=1000", "GET /cpu_task?n=100000", "GET /error", "GET /health", "GET /metrics",
		},
	})
}

// ioTask sleeps, as an I/O-bound handler waits on something slow.
func (s *Server) ioTask(w http.ResponseWriter, r *http.Request) {
	ms, problems := intParam(r.URL.Query(), "ms", DefaultIOMillis, 0, MaxIOMillis)
	if problems != nil {
		writeError(w, r, http.StatusBadRequest, "invalid query: "+summary(problems), problems)
		return
	}
	_, span := s.tracer.Start(r.Context(), "io_task.sleep", trace.WithAttributes(attribute.Int64("app.sleep_ms", ms)))
	t := time.NewTimer(time.Duration(ms) * time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
		span.End()
	case <-r.Context().Done(): // the client gave up; nobody reads an answer
		span.SetStatus(codes.Error, "client went away")
		span.End()
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"task": "io", "slept_ms": ms})
}

// cpuTask hashes in a loop, as a CPU-bound handler computes.
func (s *Server) cpuTask(w http.ResponseWriter, r *http.Request) {
	n, problems := intParam(r.URL.Query(), "n", DefaultCPURound, 1, MaxCPURounds)
	if problems != nil {
		writeError(w, r, http.StatusBadRequest, "invalid query: "+summary(problems), problems)
		return
	}
	_, span := s.tracer.Start(r.Context(), "cpu_task.hash", trace.WithAttributes(attribute.Int64("app.rounds", n)))
	sum := sha256.Sum256([]byte(RequestID(r.Context())))
	for range n {
		sum = sha256.Sum256(sum[:])
	}
	span.End()
	writeJSON(w, http.StatusOK, map[string]any{"task": "cpu", "rounds": n, "digest": hex.EncodeToString(sum[:8])})
}

// ErrDeliberate is the panic value of GET /error.
var ErrDeliberate = errors.New("deliberate failure: GET /error always panics")

// fail panics, to show an unhandled failure: the span records the exception
// and its stack, the client gets a 500 JSON body, the process keeps serving.
func (s *Server) fail(http.ResponseWriter, *http.Request) {
	panic(ErrDeliberate)
}

// Health is the body of GET /health.
type Health struct {
	Status    string `json:"status"` // "ok" or "unavailable"
	Service   string `json:"service"`
	Database  string `json:"database"`
	Reason    string `json:"reason,omitempty"`
	Uptime    string `json:"uptime"`
	RequestID string `json:"request_id"`
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	h := Health{Status: "ok", Service: s.cfg.ServiceName, Database: s.cfg.Store.Driver(),
		Uptime: time.Since(s.started).Round(time.Second).String(), RequestID: RequestID(r.Context())}
	status := http.StatusOK
	if err := s.cfg.Store.Ping(ctx); err != nil {
		status, h.Status, h.Reason = http.StatusServiceUnavailable, "unavailable", "database: "+err.Error()
		s.cfg.Logger.WarnContext(r.Context(), "health check failed", "reason", h.Reason)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, h)
}

// ChainResult is the body of GET /chain.
type ChainResult struct {
	Service   string      `json:"service"`
	TraceID   string      `json:"trace_id"`
	RequestID string      `json:"request_id"`
	Depth     int         `json:"depth"`
	Calls     []ChainCall `json:"calls"`
}

// ChainCall is one call /chain made to a peer.
type ChainCall struct {
	URL        string          `json:"url"`
	Status     int             `json:"status,omitempty"`
	DurationMS float64         `json:"duration_ms"`
	Error      string          `json:"error,omitempty"`
	Response   json.RawMessage `json:"response,omitempty"`
}

// chainCall calls each chain target in turn through the instrumented client,
// so the peers' spans join this trace. A peer's own /chain calls its own
// targets; X-Chain-Depth stops a loop.
func (s *Server) chainCall(w http.ResponseWriter, r *http.Request) {
	depth, _ := strconv.Atoi(r.Header.Get(headerChainDepth))
	if depth < 0 {
		depth = 0
	}
	if depth >= maxChainDepth {
		writeError(w, r, http.StatusLoopDetected, fmt.Sprintf("chain is %d calls deep; CHAIN_TARGETS must form a loop", depth), nil)
		return
	}
	res := ChainResult{
		Service: s.cfg.ServiceName, TraceID: trace.SpanContextFromContext(r.Context()).TraceID().String(),
		RequestID: RequestID(r.Context()), Depth: depth, Calls: []ChainCall{},
	}
	status := http.StatusOK
	for _, u := range s.chain {
		c := s.callPeer(r, u.String(), depth+1)
		if c.Error != "" || c.Status >= 500 {
			status = http.StatusBadGateway
		}
		res.Calls = append(res.Calls, c)
	}
	writeJSON(w, status, res)
}

func (s *Server) callPeer(r *http.Request, url string, depth int) ChainCall {
	start := time.Now()
	c := ChainCall{URL: url}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, url, nil)
	if err != nil {
		c.Error = err.Error()
		return c
	}
	req.Header.Set(HeaderRequestID, RequestID(r.Context()))
	req.Header.Set(headerChainDepth, strconv.Itoa(depth))
	req.Header.Set("Accept", "application/json")
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		c.DurationMS = ms(time.Since(start))
		c.Error = err.Error()
		return c
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	c.DurationMS = ms(time.Since(start))
	c.Status = resp.StatusCode
	if err != nil {
		c.Error = "reading the response: " + err.Error()
		return c
	}
	if json.Valid(body) {
		c.Response = body
	}
	return c
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
