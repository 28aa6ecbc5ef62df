package server

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/sample-app/internal/store"
)

// DefaultMaxBodyBytes bounds a request body unless Config.MaxBodyBytes says
// otherwise; a larger body gets 413.
const DefaultMaxBodyBytes = 64 << 10

// DefaultServiceName names the service when Config.ServiceName is empty.
const DefaultServiceName = "books"

// maxChainDepth stops a /chain loop (a peer listing itself, or a cycle).
const maxChainDepth = 8

// Config is what [New] needs. Store is required; every other field has a
// default.
type Config struct {
	Store *store.Store
	// ServiceName is reported by /, /chain and /health. It does not name
	// spans' service: that is the tracer provider's resource.
	ServiceName string
	// TracerProvider, MeterProvider and Propagator default to the globals.
	TracerProvider trace.TracerProvider
	MeterProvider  metric.MeterProvider
	Propagator     propagation.TextMapPropagator
	// Logger writes one line per request; it defaults to slog.Default().
	// Records are logged with the request's context so a trace-correlating
	// handler (the one bootstrap installs) can add the trace and span IDs.
	Logger *slog.Logger
	// ChainTargets are the peers /chain calls, in order: a base URL
	// (http://host:port) gets /chain appended, so calls cascade; a URL with a
	// path (http://host:port/io_task) is called as it is.
	ChainTargets []string
	// Client makes the /chain calls. The default traces each call with the
	// providers above and propagates the trace context.
	Client *http.Client
	// MaxBodyBytes bounds request bodies; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Registry receives the Prometheus metrics /metrics serves. The default
	// is a new registry with the Go runtime and process collectors.
	Registry *prometheus.Registry
}

// Server is the books service. Build it with [New].
type Server struct {
	cfg     Config
	chain   []*url.URL
	mux     *http.ServeMux
	handler http.Handler
	metrics *metrics
	tracer  trace.Tracer
	started time.Time
}

// New builds the service. It fails only on a bad Config: no store, or a
// chain target that is not an absolute http(s) URL.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("server: Config.Store is required")
	}
	if cfg.ServiceName == "" {
		cfg.ServiceName = DefaultServiceName
	}
	if cfg.TracerProvider == nil {
		cfg.TracerProvider = otel.GetTracerProvider()
	}
	if cfg.MeterProvider == nil {
		cfg.MeterProvider = otel.GetMeterProvider()
	}
	if cfg.Propagator == nil {
		cfg.Propagator = otel.GetTextMapPropagator()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	chain, err := ParseChainTargets(cfg.ChainTargets)
	if err != nil {
		return nil, err
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{
			Timeout: 30 * time.Second,
			Transport: otelhttp.NewTransport(http.DefaultTransport.(*http.Transport).Clone(),
				otelhttp.WithTracerProvider(cfg.TracerProvider),
				otelhttp.WithMeterProvider(cfg.MeterProvider),
				otelhttp.WithPropagators(cfg.Propagator),
			),
		}
	}
	m, err := newMetrics(cfg.Registry)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:     cfg,
		chain:   chain,
		mux:     http.NewServeMux(),
		metrics: m,
		tracer:  cfg.TracerProvider.Tracer("github.com/otelswitch/otelswitch/sample-app/internal/server"),
		started: time.Now(),
	}
	s.routes()
	s.handler = otelhttp.NewHandler(http.HandlerFunc(s.serve), s.cfg.ServiceName,
		otelhttp.WithTracerProvider(cfg.TracerProvider),
		otelhttp.WithMeterProvider(cfg.MeterProvider),
		otelhttp.WithPropagators(cfg.Propagator),
		otelhttp.WithSpanNameFormatter(spanName),
		// A scrape every few seconds would bury the requests that matter;
		// /metrics is still logged and counted.
		otelhttp.WithFilter(func(r *http.Request) bool { return r.URL.Path != "/metrics" }),
	)
	return s, nil
}

// ParseChainTargets checks CHAIN_TARGETS entries and resolves each to the URL
// /chain calls.
func ParseChainTargets(targets []string) ([]*url.URL, error) {
	var out []*url.URL
	var errs []error
	for _, t := range targets {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		u, err := url.Parse(t)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("CHAIN_TARGETS entry %q: want an absolute http:// or https:// URL", t))
			continue
		}
		if u.Path == "" || u.Path == "/" {
			u.Path = "/chain"
		}
		out = append(out, u)
	}
	return out, errors.Join(errs...)
}

// ServeHTTP serves a request through the whole middleware stack.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Registry is where the server's Prometheus metrics live.
func (s *Server) Registry() *prometheus.Registry { return s.metrics.registry }

func (s *Server) routes() {
	s.handle("GET /{$}", s.index)
	s.handle("GET /books", s.listBooks)
	s.handle("POST /books", s.createBook)
	s.handle("GET /books/{id}", s.getBook)
	s.handle("PUT /books/{id}", s.updateBook)
	s.handle("DELETE /books/{id}", s.deleteBook)
	s.handle("GET /chain", s.chainCall)
	s.handle("GET /io_task", s.ioTask)
	s.handle("GET /cpu_task", s.cpuTask)
	s.handle("GET /error", s.fail)
	s.handle("GET /health", s.health)
	s.mux.Handle("GET /metrics", s.metrics.handler())
}

// handle registers h for a ServeMux pattern of the form "METHOD /path".
func (s *Server) handle(pattern string, h func(http.ResponseWriter, *http.Request)) {
	s.mux.HandleFunc(pattern, h)
}

// spanName names a server span "METHOD /route" (e.g. "GET /books/{id}") once
// the route is known, and just the method before, or when no route matched, as
// the HTTP semantic conventions ask.
func spanName(_ string, r *http.Request) string {
	if route := routeOf(r.Pattern); route != "" {
		return r.Method + " " + route
	}
	return r.Method
}

// routeOf returns the path template of a ServeMux pattern: "/books/{id}" for
// "GET /books/{id}", "/" for "GET /{$}".
func routeOf(pattern string) string {
	if i := strings.IndexByte(pattern, '/'); i >= 0 {
		return strings.TrimSuffix(pattern[i:], "{$}")
	}
	return ""
}
