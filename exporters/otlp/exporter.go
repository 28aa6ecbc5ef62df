package otlp

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/otelswitch/otelswitch/exporters"
)

// Signal paths of OTLP over HTTP.
const (
	TracesPath  = "/v1/traces"
	MetricsPath = "/v1/metrics"
	LogsPath    = "/v1/logs"
)

// The three constructors below are each a few options over one transport
// (transport.go), which holds the TLS, credential-masking and counting code.
// The option lists themselves are per signal and per protocol because every
// OTLP exporter package declares its own Option type; WithHeaders is passed
// even when empty so that the process's OTEL_EXPORTER_OTLP_HEADERS, which
// the exporters read on their own, never adds to what the Target says.

// NewSpanExporter returns an OTLP span exporter for t. It does not dial:
// the connection is made on the first export. Bytes written to the wire are
// added to counters' span counters when it is not nil.
//
// Same shape as NewMetricExporter and NewLogExporter: forced by the SDK's separate otlptrace, otlpmetric and otlplog Option types.
func NewSpanExporter(ctx context.Context, t Target, timeout time.Duration, counters *exporters.Counters) (sdktrace.SpanExporter, error) {
	tr, err := newTransport(t, timeout)
	if err != nil {
		return nil, err
	}
	wire := signalCounters(counters, (*exporters.Counters).Spans)
	if !sdkSpanExporter {
		return newWireSpanExporter(tr, wire)
	}
	switch t.Protocol {
	case GRPC:
		opts := []otlptracegrpc.Option{
			otlptracegrpc.WithEndpoint(t.URL.Host),
			otlptracegrpc.WithHeaders(tr.headers),
			otlptracegrpc.WithTimeout(tr.timeout),
			otlptracegrpc.WithDialOption(tr.grpcOptions(wire)...),
		}
		if t.Compression == Gzip {
			opts = append(opts, otlptracegrpc.WithCompressor(Gzip))
		}
		if t.noRetry {
			opts = append(opts, otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: false}))
		}
		return otlptracegrpc.New(ctx, opts...)
	case HTTPProtobuf:
		compression := otlptracehttp.NoCompression
		if t.Compression == Gzip {
			compression = otlptracehttp.GzipCompression
		}
		opts := []otlptracehttp.Option{
			otlptracehttp.WithEndpointURL(t.URL.String()),
			otlptracehttp.WithHeaders(tr.headers),
			otlptracehttp.WithTimeout(tr.timeout),
			otlptracehttp.WithHTTPClient(tr.httpClient(wire)),
			otlptracehttp.WithCompression(compression),
		}
		if t.noRetry {
			opts = append(opts, otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}))
		}
		return otlptracehttp.New(ctx, opts...)
	default:
		return nil, errProtocol(t.Protocol)
	}
}

// NewMetricExporter returns an OTLP metric exporter for t, counting its
// bytes in counters' metric counters when counters is not nil.
//
// Same shape as NewSpanExporter and NewLogExporter: forced by the SDK's separate otlptrace, otlpmetric and otlplog Option types.
func NewMetricExporter(ctx context.Context, t Target, timeout time.Duration, temporality Temporality, counters *exporters.Counters) (sdkmetric.Exporter, error) {
	tr, err := newTransport(t, timeout)
	if err != nil {
		return nil, err
	}
	wire := signalCounters(counters, (*exporters.Counters).Metrics)
	switch t.Protocol {
	case GRPC:
		opts := []otlpmetricgrpc.Option{
			otlpmetricgrpc.WithEndpoint(t.URL.Host),
			otlpmetricgrpc.WithHeaders(tr.headers),
			otlpmetricgrpc.WithTimeout(tr.timeout),
			otlpmetricgrpc.WithDialOption(tr.grpcOptions(wire)...),
			otlpmetricgrpc.WithTemporalitySelector(temporality.selector()),
		}
		if t.Compression == Gzip {
			opts = append(opts, otlpmetricgrpc.WithCompressor(Gzip))
		}
		if t.noRetry {
			opts = append(opts, otlpmetricgrpc.WithRetry(otlpmetricgrpc.RetryConfig{Enabled: false}))
		}
		return otlpmetricgrpc.New(ctx, opts...)
	case HTTPProtobuf:
		compression := otlpmetrichttp.NoCompression
		if t.Compression == Gzip {
			compression = otlpmetrichttp.GzipCompression
		}
		opts := []otlpmetrichttp.Option{
			otlpmetrichttp.WithEndpointURL(t.URL.String()),
			otlpmetrichttp.WithHeaders(tr.headers),
			otlpmetrichttp.WithTimeout(tr.timeout),
			otlpmetrichttp.WithHTTPClient(tr.httpClient(wire)),
			otlpmetrichttp.WithTemporalitySelector(temporality.selector()),
			otlpmetrichttp.WithCompression(compression),
		}
		if t.noRetry {
			opts = append(opts, otlpmetrichttp.WithRetry(otlpmetrichttp.RetryConfig{Enabled: false}))
		}
		return otlpmetrichttp.New(ctx, opts...)
	default:
		return nil, errProtocol(t.Protocol)
	}
}

// NewLogExporter returns an OTLP log exporter for t, counting its bytes in
// counters' log counters when counters is not nil.
//
// Same shape as NewSpanExporter and NewMetricExporter: forced by the SDK's separate otlptrace, otlpmetric and otlplog Option types.
func NewLogExporter(ctx context.Context, t Target, timeout time.Duration, counters *exporters.Counters) (sdklog.Exporter, error) {
	tr, err := newTransport(t, timeout)
	if err != nil {
		return nil, err
	}
	wire := signalCounters(counters, (*exporters.Counters).Logs)
	switch t.Protocol {
	case GRPC:
		opts := []otlploggrpc.Option{
			otlploggrpc.WithEndpoint(t.URL.Host),
			otlploggrpc.WithHeaders(tr.headers),
			otlploggrpc.WithTimeout(tr.timeout),
			otlploggrpc.WithDialOption(tr.grpcOptions(wire)...),
		}
		if t.Compression == Gzip {
			opts = append(opts, otlploggrpc.WithCompressor(Gzip))
		}
		if t.noRetry {
			opts = append(opts, otlploggrpc.WithRetry(otlploggrpc.RetryConfig{Enabled: false}))
		}
		return otlploggrpc.New(ctx, opts...)
	case HTTPProtobuf:
		compression := otlploghttp.NoCompression
		if t.Compression == Gzip {
			compression = otlploghttp.GzipCompression
		}
		opts := []otlploghttp.Option{
			otlploghttp.WithEndpointURL(t.URL.String()),
			otlploghttp.WithHeaders(tr.headers),
			otlploghttp.WithTimeout(tr.timeout),
			otlploghttp.WithHTTPClient(tr.httpClient(wire)),
			otlploghttp.WithCompression(compression),
		}
		if t.noRetry {
			opts = append(opts, otlploghttp.WithRetry(otlploghttp.RetryConfig{Enabled: false}))
		}
		return otlploghttp.New(ctx, opts...)
	default:
		return nil, errProtocol(t.Protocol)
	}
}

func signalCounters(c *exporters.Counters, pick func(*exporters.Counters) *exporters.SignalCounters) *exporters.SignalCounters {
	if c == nil {
		return nil
	}
	return pick(c)
}

// errProtocol refuses a Target whose Protocol no variable set: one built
// in code. A variable's value is checked by ParseProtocol.
func errProtocol(p string) error {
	return fmt.Errorf("protocol %q: want %s or %s", p, GRPC, HTTPProtobuf)
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
