package server

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
)

// Header names the server reads and writes.
const (
	HeaderRequestID   = "X-Request-ID"
	HeaderProcessTime = "X-Process-Time"
	headerChainDepth  = "X-Chain-Depth"
)

// AttrRequestID is the span attribute that carries the request ID (the
// Elastic Common Schema name for it).
const AttrRequestID = attribute.Key("http.request.id")

// maxRequestIDLen bounds an X-Request-ID taken from a client.
const maxRequestIDLen = 128

type requestIDKey struct{}

// RequestID returns the request ID of the request ctx belongs to.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// requestID returns the client's X-Request-ID when it is sane (1 to 128
// printable ASCII characters, no spaces) and a new random one otherwise.
func requestID(h string) string {
	if n := len(h); n > 0 && n <= maxRequestIDLen {
		ok := true
		for i := range n {
			if h[i] < 0x21 || h[i] > 0x7e {
				ok = false
				break
			}
		}
		if ok {
			return h
		}
	}
	return rand.Text()
}

// serve runs inside otelhttp's handler, so r's context holds the server span.
// It gives the request its ID, bounds its body, dispatches it to the route,
// turns a panic into a 500, and records the outcome in the log, the metrics
// and the span.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	span := trace.SpanFromContext(r.Context())
	id := requestID(r.Header.Get(HeaderRequestID))
	span.SetAttributes(AttrRequestID.String(id))

	rw := &responseWriter{ResponseWriter: w, start: start}
	rw.Header().Set(HeaderRequestID, id)
	inner := r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))
	if r.Body != nil && r.Body != http.NoBody {
		inner.Body = http.MaxBytesReader(rw, r.Body, s.cfg.MaxBodyBytes)
	}

	s.metrics.inFlight.Inc()
	var failure error
	defer func() {
		s.metrics.inFlight.Dec()
		rw.finish()
		// ServeMux set the pattern on inner; copying it to r lets otelhttp
		// name the span and label its metrics with the route.
		r.Pattern = inner.Pattern
		route := routeOf(inner.Pattern)
		if route != "" {
			span.SetAttributes(semconv.HTTPRoute(route))
		}
		d := time.Since(start)
		s.metrics.observe(r.Context(), r.Method, route, rw.status, d, failure != nil)
		s.logRequest(r.Context(), r, route, id, rw, d, failure)
	}()
	failure = s.dispatch(rw, inner)
}

// dispatch routes r and recovers a panic in the route, returning it as an
// error after answering 500.
func (s *Server) dispatch(w *responseWriter, r *http.Request) (failure error) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		failure = s.recovered(w, r, v)
		if v == http.ErrAbortHandler {
			panic(v) // net/http aborts the response quietly
		}
	}()
	if _, pattern := s.mux.Handler(r); pattern == "" {
		s.unmatched(w, r)
		return nil
	}
	s.mux.ServeHTTP(w, r)
	return nil
}

// recovered records a panic on the span as an exception event with the stack
// trace, marks the span as failed, and answers 500 unless a response has
// started.
func (s *Server) recovered(w *responseWriter, r *http.Request, v any) error {
	err, ok := v.(error)
	if !ok {
		err = fmt.Errorf("%v", v)
	}
	err = &PanicError{Value: v, err: err}
	span := trace.SpanFromContext(r.Context())
	// RecordError runs inside the deferred recover, so the stack it captures
	// still holds the frames that panicked.
	span.RecordError(err, trace.WithStackTrace(true))
	span.SetStatus(codes.Error, err.Error())
	span.SetAttributes(semconv.ErrorTypeKey.String(panicType(v)))
	if !w.wroteHeader {
		writeError(w, r, http.StatusInternalServerError, "internal server error: the request failed unexpectedly; it has been logged with its request ID", nil)
	}
	return err
}

// PanicError is a panic recovered from a route.
type PanicError struct {
	Value any // what was passed to panic
	err   error
}

func (e *PanicError) Error() string { return "panic: " + e.err.Error() }
func (e *PanicError) Unwrap() error { return e.err }

func panicType(v any) string {
	var err error
	if e, ok := v.(error); ok {
		err = e
		// Report the innermost meaningful type, as exception.type does.
		for u := errors.Unwrap(err); u != nil; u = errors.Unwrap(u) {
			err = u
		}
		return reflect.TypeOf(err).String()
	}
	return reflect.TypeOf(v).String()
}

// unmatched answers a request no route takes, as ServeMux would (404, or 405
// with Allow), but with a JSON body.
func (s *Server) unmatched(w http.ResponseWriter, r *http.Request) {
	probe := &statusProbe{header: http.Header{}}
	s.mux.ServeHTTP(probe, r) // ServeMux's own 404 or 405 handler
	r.Pattern = ""
	if allow := probe.header.Get("Allow"); allow != "" {
		w.Header().Set("Allow", allow)
	}
	switch probe.status {
	case http.StatusMethodNotAllowed:
		writeError(w, r, probe.status, fmt.Sprintf("method %s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, probe.header.Get("Allow")), nil)
	default:
		writeError(w, r, http.StatusNotFound, fmt.Sprintf("no route for %s %s; GET / lists the routes", r.Method, r.URL.Path), nil)
	}
}

// statusProbe captures the status and headers a handler writes and discards
// the body.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header { return p.header }
func (p *statusProbe) Write(b []byte) (int, error) {
	if p.status == 0 {
		p.status = http.StatusOK
	}
	return len(b), nil
}
func (p *statusProbe) WriteHeader(code int) {
	if p.status == 0 {
		p.status = code
	}
}

func (s *Server) logRequest(ctx context.Context, r *http.Request, route, id string, rw *responseWriter, d time.Duration, failure error) {
	level := slog.LevelInfo
	switch {
	case rw.status >= 500 || failure != nil:
		level = slog.LevelError
	case rw.status >= 400:
		level = slog.LevelWarn
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.String("route", route),
		slog.Int("status", rw.status),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000),
		slog.String("client", r.RemoteAddr),
		slog.String("request_id", id),
		slog.Int64("bytes_out", rw.bytes),
	}
	if failure != nil {
		attrs = append(attrs, slog.String("error", failure.Error()))
	}
	// With the request's context, so a trace-correlating handler adds the
	// IDs of the server span.
	s.cfg.Logger.LogAttrs(ctx, level, "request", attrs...)
}

// responseWriter records the status and size of a response, and sets
// X-Process-Time just before the header goes out.
type responseWriter struct {
	http.ResponseWriter
	start       time.Time
	status      int
	bytes       int64
	wroteHeader bool
}

func (w *responseWriter) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		w.ResponseWriter.WriteHeader(code) // informational; the real one follows
		return
	}
	w.wroteHeader = true
	w.status = code
	w.Header().Set(HeaderProcessTime, strconv.FormatFloat(time.Since(w.start).Seconds(), 'f', 6, 64))
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// finish sends the header of a response whose handler wrote nothing.
func (w *responseWriter) finish() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush sends buffered data to the client.
func (w *responseWriter) Flush() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	http.NewResponseController(w.ResponseWriter).Flush()
}
