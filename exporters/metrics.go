package exporters

import (
	"context"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// CountMetrics wraps a metric exporter so that every export is counted in
// stats.Metrics(): data points exported, or dropped with the failed export
// and its error. The periodic reader only hands export errors to the global
// error handler; this puts a metrics endpoint answering 401 or 404 in Stats.
func CountMetrics(exp sdkmetric.Exporter, stats *Counters) sdkmetric.Exporter {
	return countingMetricExporter{Exporter: exp, stats: stats.Metrics()}
}

type countingMetricExporter struct {
	sdkmetric.Exporter
	stats *SignalCounters
}

func (e countingMetricExporter) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	n := DataPoints(rm)
	start := time.Now()
	err := e.Exporter.Export(ctx, rm)
	e.stats.Sent(n, time.Since(start), err)
	return err
}

// DataPoints counts the data points in rm.
func DataPoints(rm *metricdata.ResourceMetrics) int {
	n := 0
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			// One case per type, alike: forced by the SDK's separate generic
			// metric data types, which share no interface.
			switch d := m.Data.(type) {
			case metricdata.Gauge[int64]:
				n += len(d.DataPoints)
			case metricdata.Gauge[float64]:
				n += len(d.DataPoints)
			case metricdata.Sum[int64]:
				n += len(d.DataPoints)
			case metricdata.Sum[float64]:
				n += len(d.DataPoints)
			case metricdata.Histogram[int64]:
				n += len(d.DataPoints)
			case metricdata.Histogram[float64]:
				n += len(d.DataPoints)
			case metricdata.ExponentialHistogram[int64]:
				n += len(d.DataPoints)
			case metricdata.ExponentialHistogram[float64]:
				n += len(d.DataPoints)
			case metricdata.Summary:
				n += len(d.DataPoints)
			}
		}
	}
	return n
}
