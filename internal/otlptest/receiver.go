package otlptest

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	collectorlogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
)

// Request is one export the receiver accepted.
type Request struct {
	// Headers holds HTTP headers, or gRPC metadata, lower-cased.
	Headers map[string][]string
	// Gzip reports a gzip-encoded HTTP body.
	Gzip  bool
	Spans []*tracepb.ResourceSpans
	// Logs holds the records of a log export (posted to /v1/logs over HTTP).
	Logs []*logspb.ResourceLogs
	// BodyBytes is the HTTP body's size as sent.
	BodyBytes int
}

// Receiver records OTLP trace and log exports. Over HTTP, a post to a path
// ending in /v1/logs is a log export; /v1/metrics is accepted and ignored;
// anything else is read as traces.
type Receiver struct {
	mu       sync.Mutex
	requests []Request
	arrived  chan struct{}
}

func newReceiver() *Receiver { return &Receiver{arrived: make(chan struct{}, 1)} }

func (r *Receiver) add(req Request) {
	r.mu.Lock()
	r.requests = append(r.requests, req)
	r.mu.Unlock()
	select {
	case r.arrived <- struct{}{}:
	default:
	}
}

// Requests returns what has arrived so far.
func (r *Receiver) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.requests...)
}

// SpanNames returns the names of every span received, in arrival order.
func (r *Receiver) SpanNames() []string {
	var names []string
	for _, req := range r.Requests() {
		for _, rs := range req.Spans {
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					names = append(names, s.Name)
				}
			}
		}
	}
	return names
}

// WaitForSpans waits until at least n spans have arrived, or d has passed,
// and returns the span names.
func (r *Receiver) WaitForSpans(n int, d time.Duration) []string {
	deadline := time.After(d)
	for {
		if names := r.SpanNames(); len(names) >= n {
			return names
		}
		select {
		case <-r.arrived:
		case <-deadline:
			return r.SpanNames()
		}
	}
}

// NewHTTP starts an OTLP/HTTP receiver; its URL is the server's URL and
// traces are posted to URL + "/v1/traces".
func NewHTTP(tb testing.TB) (*Receiver, *httptest.Server) {
	tb.Helper()
	r := newReceiver()
	srv := httptest.NewServer(r.httpHandler())
	tb.Cleanup(srv.Close)
	return r, srv
}

// NewHTTPS is NewHTTP over TLS, with a certificate for 127.0.0.1 that only
// srv.Certificate() makes trusted.
func NewHTTPS(tb testing.TB) (*Receiver, *httptest.Server) {
	tb.Helper()
	r := newReceiver()
	srv := httptest.NewTLSServer(r.httpHandler())
	tb.Cleanup(srv.Close)
	return r, srv
}

func (r *Receiver) httpHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		size := len(body)
		gz := req.Header.Get("Content-Encoding") == "gzip"
		if gz {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err == nil {
				body, err = io.ReadAll(zr)
			}
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
		}
		var out []byte
		switch {
		case strings.HasSuffix(req.URL.Path, "/v1/metrics"):
		case strings.HasSuffix(req.URL.Path, "/v1/logs"):
			var msg collectorlogs.ExportLogsServiceRequest
			if err := proto.Unmarshal(body, &msg); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			r.add(Request{Headers: lower(req.Header), Gzip: gz, Logs: msg.ResourceLogs, BodyBytes: size})
			out, _ = proto.Marshal(&collectorlogs.ExportLogsServiceResponse{})
		default:
			var msg collectortrace.ExportTraceServiceRequest
			if err := proto.Unmarshal(body, &msg); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			r.add(Request{Headers: lower(req.Header), Gzip: gz, Spans: msg.ResourceSpans, BodyBytes: size})
			out, _ = proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	})
}

// NewGRPC starts an OTLP/gRPC receiver in plaintext and returns its
// host:port.
func NewGRPC(tb testing.TB) (*Receiver, string) {
	tb.Helper()
	r := newReceiver()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := grpc.NewServer()
	collectortrace.RegisterTraceServiceServer(srv, traceService{r: r})
	collectorlogs.RegisterLogsServiceServer(srv, logsService{r: r})
	go func() { _ = srv.Serve(lis) }()
	tb.Cleanup(srv.Stop)
	return r, lis.Addr().String()
}

type traceService struct {
	collectortrace.UnimplementedTraceServiceServer
	r *Receiver
}

func (s traceService) Export(ctx context.Context, req *collectortrace.ExportTraceServiceRequest) (*collectortrace.ExportTraceServiceResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	s.r.add(Request{Headers: md, Spans: req.ResourceSpans})
	return &collectortrace.ExportTraceServiceResponse{}, nil
}

type logsService struct {
	collectorlogs.UnimplementedLogsServiceServer
	r *Receiver
}

func (s logsService) Export(ctx context.Context, req *collectorlogs.ExportLogsServiceRequest) (*collectorlogs.ExportLogsServiceResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	s.r.add(Request{Headers: md, Logs: req.ResourceLogs})
	return &collectorlogs.ExportLogsServiceResponse{}, nil
}

// LogRecords returns every log record received, in arrival order, each with
// the headers of the request that carried it.
func (r *Receiver) LogRecords() []LogRecord {
	var out []LogRecord
	for _, req := range r.Requests() {
		for _, rl := range req.Logs {
			for _, sl := range rl.ScopeLogs {
				for _, lr := range sl.LogRecords {
					out = append(out, LogRecord{Record: lr, Resource: rl.Resource.GetAttributes(), Headers: req.Headers})
				}
			}
		}
	}
	return out
}

// LogRecord is one received log record.
type LogRecord struct {
	Record   *logspb.LogRecord
	Resource []*commonpb.KeyValue
	Headers  map[string][]string
}

// WaitForLogs waits until at least n log records have arrived, or d has
// passed, and returns them.
func (r *Receiver) WaitForLogs(n int, d time.Duration) []LogRecord {
	deadline := time.After(d)
	for {
		if recs := r.LogRecords(); len(recs) >= n {
			return recs
		}
		select {
		case <-r.arrived:
		case <-deadline:
			return r.LogRecords()
		}
	}
}

func lower(h http.Header) map[string][]string {
	out := make(map[string][]string, len(h))
	for k, v := range h {
		out[strings.ToLower(k)] = v
	}
	return out
}

// Blackhole listens on loopback, accepts every connection and never answers:
// the worst kind of dead backend, for it makes clients wait rather than fail.
// It returns host:port.
func Blackhole(tb testing.TB) string {
	addr, _ := BlackholeGiveUps(tb)
	return addr
}

// BlackholeGiveUps is Blackhole, also counting the connections the client
// closed: a client that gave up waiting (a request timeout) closes its
// connection, so a call that returns while gaveUp is 0 did not wait for the
// backend's answer, whatever the machine's speed.
func BlackholeGiveUps(tb testing.TB) (addr string, gaveUp func() int64) {
	tb.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	var closed atomic.Int64
	go func() {
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go func() {
				if _, err := io.Copy(io.Discard, c); err == nil {
					closed.Add(1) // EOF: the client closed it
				}
			}()
		}
	}()
	tb.Cleanup(func() {
		_ = lis.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return lis.Addr().String(), closed.Load
}
