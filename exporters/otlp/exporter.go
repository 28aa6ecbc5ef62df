package otlp

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/stats"

	"github.com/otelswitch/otelswitch/exporters"
)

// Signal paths of OTLP over HTTP.
const (
	TracesPath  = "/v1/traces"
	MetricsPath = "/v1/metrics"
	LogsPath    = "/v1/logs"
)

// NewSpanExporter returns an OTLP span exporter for t. It does not dial:
// the connection is made on the first export. Bytes written to the wire are
// added to counters when it is not nil.
func NewSpanExporter(ctx context.Context, t Target, timeout time.Duration, counters *exporters.Counters) (sdktrace.SpanExporter, error) {
	tlsCfg, err := t.tlsConfig()
	if err != nil {
		return nil, err
	}
	timeout = exportTimeoutOrDefault(timeout)
	switch t.Protocol {
	case GRPC:
		opts := []otlptracegrpc.Option{
			otlptracegrpc.WithEndpoint(t.URL.Host),
			otlptracegrpc.WithHeaders(t.headers()),
			otlptracegrpc.WithTimeout(timeout),
			otlptracegrpc.WithDialOption(grpc.WithStatsHandler(wireCounter{counters})),
		}
		if t.plaintext() {
			opts = append(opts, otlptracegrpc.WithInsecure())
		} else {
			opts = append(opts, otlptracegrpc.WithTLSCredentials(credentials.NewTLS(tlsCfg)))
		}
		if t.Compression == Gzip {
			opts = append(opts, otlptracegrpc.WithCompressor(Gzip))
		}
		if t.noRetry {
			opts = append(opts, otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: false}))
		}
		exp, err := otlptracegrpc.New(ctx, opts...)
		return maskSpanExporter(exp, err, t.Headers)
	case HTTPProtobuf:
		opts := []otlptracehttp.Option{
			otlptracehttp.WithEndpointURL(t.URL.String()),
			otlptracehttp.WithHeaders(t.headers()),
			otlptracehttp.WithTimeout(timeout),
			otlptracehttp.WithHTTPClient(t.httpClient(tlsCfg, timeout, counters)),
			otlptracehttp.WithCompression(otlptracehttp.NoCompression),
		}
		if t.Compression == Gzip {
			opts = append(opts, otlptracehttp.WithCompression(otlptracehttp.GzipCompression))
		}
		if t.noRetry {
			opts = append(opts, otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}))
		}
		exp, err := otlptracehttp.New(ctx, opts...)
		return maskSpanExporter(exp, err, t.Headers)
	default:
		return nil, fmt.Errorf("protocol %q: want %s or %s", t.Protocol, GRPC, HTTPProtobuf)
	}
}

// Temporality selects cumulative (the OTLP default) or delta metrics.
type Temporality int

const (
	Cumulative Temporality = iota
	// Delta is what New Relic and Datadog want.
	Delta
)

func (tp Temporality) selector() sdkmetric.TemporalitySelector {
	if tp == Delta {
		return func(k sdkmetric.InstrumentKind) metricdata.Temporality {
			switch k {
			case sdkmetric.InstrumentKindUpDownCounter, sdkmetric.InstrumentKindObservableUpDownCounter:
				return metricdata.CumulativeTemporality
			}
			return metricdata.DeltaTemporality
		}
	}
	return sdkmetric.DefaultTemporalitySelector
}

// NewMetricExporter returns an OTLP metric exporter for t.
func NewMetricExporter(ctx context.Context, t Target, timeout time.Duration, temporality Temporality) (sdkmetric.Exporter, error) {
	tlsCfg, err := t.tlsConfig()
	if err != nil {
		return nil, err
	}
	timeout = exportTimeoutOrDefault(timeout)
	switch t.Protocol {
	case GRPC:
		opts := []otlpmetricgrpc.Option{
			otlpmetricgrpc.WithEndpoint(t.URL.Host),
			otlpmetricgrpc.WithHeaders(t.headers()),
			otlpmetricgrpc.WithTimeout(timeout),
			otlpmetricgrpc.WithTemporalitySelector(temporality.selector()),
		}
		if t.plaintext() {
			opts = append(opts, otlpmetricgrpc.WithInsecure())
		} else {
			opts = append(opts, otlpmetricgrpc.WithTLSCredentials(credentials.NewTLS(tlsCfg)))
		}
		if t.Compression == Gzip {
			opts = append(opts, otlpmetricgrpc.WithCompressor(Gzip))
		}
		if t.noRetry {
			opts = append(opts, otlpmetricgrpc.WithRetry(otlpmetricgrpc.RetryConfig{Enabled: false}))
		}
		exp, err := otlpmetricgrpc.New(ctx, opts...)
		return maskMetricExporter(exp, err, t.Headers)
	case HTTPProtobuf:
		opts := []otlpmetrichttp.Option{
			otlpmetrichttp.WithEndpointURL(t.URL.String()),
			otlpmetrichttp.WithHeaders(t.headers()),
			otlpmetrichttp.WithTimeout(timeout),
			otlpmetrichttp.WithHTTPClient(t.httpClient(tlsCfg, timeout, nil)),
			otlpmetrichttp.WithTemporalitySelector(temporality.selector()),
			otlpmetrichttp.WithCompression(otlpmetrichttp.NoCompression),
		}
		if t.Compression == Gzip {
			opts = append(opts, otlpmetrichttp.WithCompression(otlpmetrichttp.GzipCompression))
		}
		if t.noRetry {
			opts = append(opts, otlpmetrichttp.WithRetry(otlpmetrichttp.RetryConfig{Enabled: false}))
		}
		exp, err := otlpmetrichttp.New(ctx, opts...)
		return maskMetricExporter(exp, err, t.Headers)
	default:
		return nil, fmt.Errorf("protocol %q: want %s or %s", t.Protocol, GRPC, HTTPProtobuf)
	}
}

// httpClient carries the TLS policy itself, because a client given to the
// OTLP HTTP exporters replaces their own TLS and timeout settings.
func (t Target) httpClient(tlsCfg *tls.Config, timeout time.Duration, counters *exporters.Counters) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsCfg
	var rt http.RoundTripper = tr
	if counters != nil {
		rt = countingTransport{next: tr, counters: counters}
	}
	return &http.Client{Transport: rt, Timeout: timeout}
}

// countingTransport adds each request body's size, as sent, to counters. The
// gzip path of the OTLP exporter leaves ContentLength unknown, so the body is
// counted as the transport reads it.
type countingTransport struct {
	next     http.RoundTripper
	counters *exporters.Counters
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		r = r.Clone(r.Context())
		r.Body = &countingBody{ReadCloser: r.Body, counters: c.counters}
	}
	return c.next.RoundTrip(r)
}

type countingBody struct {
	io.ReadCloser
	counters *exporters.Counters
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.counters.AddBytes(int64(n))
	return n, err
}

// wireCounter is a gRPC stats handler that adds the compressed size of every
// outgoing message to counters.
type wireCounter struct{ counters *exporters.Counters }

func (w wireCounter) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context   { return ctx }
func (w wireCounter) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (w wireCounter) HandleConn(context.Context, stats.ConnStats)                       {}
func (w wireCounter) HandleRPC(_ context.Context, s stats.RPCStats) {
	if out, ok := s.(*stats.OutPayload); ok && w.counters != nil {
		w.counters.AddBytes(int64(out.WireLength))
	}
}
