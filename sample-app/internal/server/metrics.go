package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/trace"
)

// Prometheus metric names served on /metrics.
const (
	MetricRequests        = "http_server_requests_total"
	MetricErrors          = "http_server_errors_total"
	MetricInFlight        = "http_server_requests_in_flight"
	MetricRequestDuration = "http_server_request_duration_seconds"
)

// Exemplar label names on the request-duration histogram.
const (
	ExemplarTraceID = "trace_id"
	ExemplarSpanID  = "span_id"
)

type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	errors   *prometheus.CounterVec
	inFlight prometheus.Gauge
	duration *prometheus.HistogramVec
}

func newMetrics(reg *prometheus.Registry) (*metrics, error) {
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(
			collectors.NewGoCollector(),
			collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		)
	}
	labels := []string{"method", "route", "status"}
	m := &metrics{
		registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricRequests,
			Help: "HTTP requests served, by method, route and status code.",
		}, labels),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricErrors,
			Help: "HTTP requests that failed on the server side (status 5xx or a panic), by method, route and status code.",
		}, labels),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: MetricInFlight,
			Help: "HTTP requests being served now.",
		}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    MetricRequestDuration,
			Help:    "Time to serve an HTTP request, by method, route and status code; exemplars carry the trace ID.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, labels),
	}
	for _, c := range []prometheus.Collector{m.requests, m.errors, m.inFlight, m.duration} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{
		EnableOpenMetrics: true, // exemplars are only in OpenMetrics
		Registry:          m.registry,
	})
}

// observe counts a finished request. Its duration carries the trace and span
// IDs as an exemplar when the trace is sampled, so a slow bucket leads to a
// stored trace.
func (m *metrics) observe(ctx context.Context, method, route string, status int, d time.Duration, failed bool) {
	if route == "" {
		route = "unmatched" // never a raw path: unbounded cardinality
	}
	lv := []string{methodLabel(method), route, strconv.Itoa(status)}
	m.requests.WithLabelValues(lv...).Inc()
	if status >= 500 || failed {
		m.errors.WithLabelValues(lv...).Inc()
	}
	obs := m.duration.WithLabelValues(lv...)
	sc := trace.SpanContextFromContext(ctx)
	if eo, ok := obs.(prometheus.ExemplarObserver); ok && sc.IsSampled() {
		eo.ObserveWithExemplar(d.Seconds(), prometheus.Labels{
			ExemplarTraceID: sc.TraceID().String(),
			ExemplarSpanID:  sc.SpanID().String(),
		})
		return
	}
	obs.Observe(d.Seconds())
}

func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}
