package otlp

import (
	"cmp"
	"context"
	"fmt"
	"time"

	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/otelswitch/otelswitch/exporters"
)

// Pipeline is what an OTLP-speaking backend sends where.
type Pipeline struct {
	Traces Target
	// Metrics is nil when the backend takes no OTLP metrics.
	Metrics     *Target
	Temporality Temporality
	// Logs is nil when the backend takes no OTLP logs.
	Logs *Target
	// Wrap, when set, wraps the span exporter, for a vendor's own limits.
	Wrap func(sdktrace.SpanExporter) sdktrace.SpanExporter
	// WrapMetrics, when set, wraps the metric exporter, for the same. (Two
	// fields: the SDK's exporter types differ by signal. Logs have
	// LogLimits instead.)
	WrapMetrics func(sdkmetric.Exporter) sdkmetric.Exporter
	// LogLimits, when set, are the vendor's limits on log records, which
	// the wire log processor keeps.
	LogLimits *LogLimits
	// Resource, when set, rewrites the resource this backend sends with
	// every span, metric export and log record, for this backend only: the
	// other backends of a fan-out keep the provider's. It is called again only
	// when the resource it is given changes; returning that resource itself
	// means no change, and spares copying the spans. Wrap sees the spans
	// with the rewritten resource.
	Resource func(*resource.Resource) *resource.Resource
}

// Targets returns the pipeline's targets that s turns on, for checks that
// apply to each.
func (p Pipeline) targets(s exporters.Settings) []Target {
	ts := []Target{p.Traces}
	if p.Metrics != nil && s.Metrics {
		ts = append(ts, *p.Metrics)
	}
	if p.Logs != nil && s.Logs {
		ts = append(ts, *p.Logs)
	}
	return ts
}

// NewBackend checks p's targets against the TLS policy and builds the
// backend called name: a counting batch processor over an OTLP span
// exporter; when metrics are on and the vendor takes them, a periodic metric
// reader over a counting metric exporter; when logs are exported and the
// vendor takes them, a counting batch log processor. All send p.Resource's
// rewrite of the resource when it is set. cfg is the backend's resolved
// configuration, kept for Telemetry.Config.
func NewBackend(ctx context.Context, name string, cfg any, p Pipeline, s exporters.Settings) (_ *exporters.Backend, err error) {
	for _, t := range p.targets(s) {
		// joinUnique: over gRPC every target is the same URL.
		err = joinUnique(err, t.CheckTransport(s.Strict, s.AllowInsecure))
	}
	if err != nil {
		return nil, err
	}
	p.Traces.noRetry = s.NoRetry
	counters := exporters.NewCounters(name)
	b := &exporters.Backend{Name: name, Config: cfg, Stats: counters}
	defer func() {
		if err != nil {
			err = fmt.Errorf("%s: %w", name, err)
			shutdownBackend(ctx, b)
		}
	}()
	var res *resourceCache
	if p.Resource != nil {
		res = &resourceCache{rewrite: p.Resource}
	}
	if b.SpanProcessor, err = newSpanProcessor(ctx, p, res, s, counters); err != nil {
		return nil, err
	}
	b.Endpoints = []exporters.Endpoint{p.Traces.Endpoint(exporters.EndpointTraces)}

	if p.Metrics != nil && s.Metrics {
		b.Endpoints = append(b.Endpoints, p.Metrics.Endpoint(exporters.EndpointMetrics))
		if b.MetricReader, err = newMetricReader(ctx, *p.Metrics, p.Temporality, p.WrapMetrics, res, s, counters); err != nil {
			return nil, err
		}
	}
	if p.Logs != nil && s.Logs {
		if err = addLogs(ctx, b, p, res, s, counters); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// newSpanProcessor is the counting batch span processor over p.Traces,
// sending res's rewrite of the resource when there is one.
func newSpanProcessor(ctx context.Context, p Pipeline, res *resourceCache, s exporters.Settings, counters *exporters.Counters) (sdktrace.SpanProcessor, error) {
	exp, err := NewSpanExporter(ctx, p.Traces, s.ExportTimeout, counters)
	if err != nil {
		return nil, err
	}
	if p.Wrap != nil {
		exp = p.Wrap(exp)
	}
	if res != nil {
		exp = resourceSpanExporter{next: exp, resource: res}
	}
	return exporters.NewBatchProcessor(exp, s.SpanBatchOptions(counters)...), nil
}

// addLogs gives b the counting batch log processor over p.Logs, its
// endpoint and, when res rewrites the resource, the rewritten one.
func addLogs(ctx context.Context, b *exporters.Backend, p Pipeline, res *resourceCache, s exporters.Settings, counters *exporters.Counters) error {
	timeout := s.LogExportTimeout
	if timeout <= 0 {
		timeout = s.ExportTimeout
	}
	lt := *p.Logs
	lt.noRetry = s.NoRetry
	b.Endpoints = append(b.Endpoints, lt.Endpoint(exporters.EndpointLogs))
	batch := s.LogBatch
	if batch.MaxQueue <= 0 {
		batch = s.Batch
	}
	opts := []exporters.BatchOption{exporters.WithBatch(batch), exporters.WithExportTimeout(timeout),
		exporters.WithCounters(counters), exporters.WithLogger(s.Logger)}
	var err error
	if b.LogProcessor, err = newLogProcessor(ctx, lt, timeout, p, counters, batch, opts); err != nil {
		return err
	}
	if res != nil && s.Resource != nil {
		if r := res.get(s.Resource); r != s.Resource {
			b.LogResource = r
		}
	}
	return nil
}

// newLogProcessor is the wire log processor over t, with p's LogLimits, or,
// for tests comparing the two, the SDK's exporter.
func newLogProcessor(ctx context.Context, t Target, timeout time.Duration, p Pipeline, counters *exporters.Counters, batch exporters.Batch, opts []exporters.BatchOption) (sdklog.Processor, error) {
	if !sdkLogExporter {
		tr, err := newTransport(t, timeout)
		if err != nil {
			return nil, err
		}
		return newWireLogProcessor(tr, counters, p.LogLimits, batch, opts...)
	}
	lexp, err := NewLogExporter(ctx, t, timeout, counters)
	if err != nil {
		return nil, err
	}
	return exporters.NewLogProcessor(lexp, opts...), nil
}

// NewMetricReader returns a periodic reader over an OTLP metric exporter
// for t, counted in counters' metric counters, every export sent with
// rewrite's resource when rewrite is not nil: what NewBackend builds for a
// Pipeline's Metrics, for a backend whose spans go another way (Datadog
// native mode).
func NewMetricReader(ctx context.Context, t Target, temporality Temporality, rewrite func(*resource.Resource) *resource.Resource, s exporters.Settings, counters *exporters.Counters) (sdkmetric.Reader, error) {
	if err := t.CheckTransport(s.Strict, s.AllowInsecure); err != nil {
		return nil, err
	}
	var res *resourceCache
	if rewrite != nil {
		res = &resourceCache{rewrite: rewrite}
	}
	return newMetricReader(ctx, t, temporality, nil, res, s, counters)
}

func newMetricReader(ctx context.Context, t Target, temporality Temporality, wrap func(sdkmetric.Exporter) sdkmetric.Exporter, res *resourceCache, s exporters.Settings, counters *exporters.Counters) (sdkmetric.Reader, error) {
	t.noRetry = s.NoRetry
	mexp, err := NewMetricExporter(ctx, t, s.ExportTimeout, temporality, counters)
	if err != nil {
		return nil, err
	}
	if wrap != nil {
		mexp = wrap(mexp)
	}
	if res != nil {
		mexp = resourceMetricExporter{Exporter: mexp, resource: res}
	}
	opts := []sdkmetric.PeriodicReaderOption{sdkmetric.WithInterval(s.MetricInterval), sdkmetric.WithTimeout(cmp.Or(s.MetricTimeout, s.ExportTimeout))}
	for _, p := range s.MetricProducers {
		opts = append(opts, sdkmetric.WithProducer(p))
	}
	return sdkmetric.NewPeriodicReader(exporters.CountMetrics(mexp, counters), opts...), nil
}

// shutdownBackend stops what a failed NewBackend had started.
func shutdownBackend(ctx context.Context, b *exporters.Backend) {
	// The construction error is the one to report.
	if b.SpanProcessor != nil {
		_ = b.SpanProcessor.Shutdown(ctx)
	}
	if b.MetricReader != nil {
		_ = b.MetricReader.Shutdown(ctx)
	}
	if b.LogProcessor != nil {
		_ = b.LogProcessor.Shutdown(ctx)
	}
}
