package newrelic

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// limitMetricExporter keeps New Relic's attribute limits on each data
// point's attributes (the record limit, 128) and on each scope's (8). The
// resource is held to its limits by rewriteResource. The SDK's data is not
// changed: what needs a change is copied, so other backends of a fan-out,
// which have their own readers, are unaffected either way.
type limitMetricExporter struct{ sdkmetric.Exporter }

func newLimitMetricExporter(next sdkmetric.Exporter) sdkmetric.Exporter {
	return limitMetricExporter{next}
}

// Export sends rm with the limits applied.
func (e limitMetricExporter) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	var out *metricdata.ResourceMetrics
	for i, sm := range rm.ScopeMetrics {
		lsm, changed := limitScopeMetrics(sm)
		if !changed {
			continue
		}
		if out == nil {
			c := *rm
			c.ScopeMetrics = append([]metricdata.ScopeMetrics(nil), rm.ScopeMetrics...)
			out = &c
		}
		out.ScopeMetrics[i] = lsm
	}
	if out == nil {
		out = rm
	}
	return e.Exporter.Export(ctx, out)
}

func limitScopeMetrics(sm metricdata.ScopeMetrics) (metricdata.ScopeMetrics, bool) {
	scope, changed := limitScope(sm.Scope)
	var metrics []metricdata.Metrics
	for i, m := range sm.Metrics {
		data, ok := limitAggregation(m.Data)
		if !ok {
			continue
		}
		if metrics == nil {
			metrics = append([]metricdata.Metrics(nil), sm.Metrics...)
		}
		metrics[i].Data = data
	}
	if metrics != nil {
		sm.Metrics, changed = metrics, true
	}
	sm.Scope = scope
	return sm, changed
}

// limitAggregation returns a copy of data with its points' attributes
// limited, and whether any needed it.
func limitAggregation(data metricdata.Aggregation) (metricdata.Aggregation, bool) {
	// One case per type, alike: forced by the SDK's separate generic metric data and data point types, which share no interface.
	switch d := data.(type) {
	case metricdata.Sum[int64]:
		var ok bool
		d.DataPoints, ok = limitPoints(d.DataPoints, func(p *metricdata.DataPoint[int64]) *attribute.Set { return &p.Attributes })
		return d, ok
	case metricdata.Sum[float64]:
		var ok bool
		d.DataPoints, ok = limitPoints(d.DataPoints, func(p *metricdata.DataPoint[float64]) *attribute.Set { return &p.Attributes })
		return d, ok
	case metricdata.Gauge[int64]:
		var ok bool
		d.DataPoints, ok = limitPoints(d.DataPoints, func(p *metricdata.DataPoint[int64]) *attribute.Set { return &p.Attributes })
		return d, ok
	case metricdata.Gauge[float64]:
		var ok bool
		d.DataPoints, ok = limitPoints(d.DataPoints, func(p *metricdata.DataPoint[float64]) *attribute.Set { return &p.Attributes })
		return d, ok
	case metricdata.Histogram[int64]:
		var ok bool
		d.DataPoints, ok = limitPoints(d.DataPoints, func(p *metricdata.HistogramDataPoint[int64]) *attribute.Set { return &p.Attributes })
		return d, ok
	case metricdata.Histogram[float64]:
		var ok bool
		d.DataPoints, ok = limitPoints(d.DataPoints, func(p *metricdata.HistogramDataPoint[float64]) *attribute.Set { return &p.Attributes })
		return d, ok
	case metricdata.ExponentialHistogram[int64]:
		var ok bool
		d.DataPoints, ok = limitPoints(d.DataPoints, func(p *metricdata.ExponentialHistogramDataPoint[int64]) *attribute.Set { return &p.Attributes })
		return d, ok
	case metricdata.ExponentialHistogram[float64]:
		var ok bool
		d.DataPoints, ok = limitPoints(d.DataPoints, func(p *metricdata.ExponentialHistogramDataPoint[float64]) *attribute.Set { return &p.Attributes })
		return d, ok
	case metricdata.Summary:
		var ok bool
		d.DataPoints, ok = limitPoints(d.DataPoints, func(p *metricdata.SummaryDataPoint) *attribute.Set { return &p.Attributes })
		return d, ok
	}
	return data, false
}

// limitPoints returns points, copied if any point's attributes need the
// limits, with them applied.
func limitPoints[P any](points []P, attrs func(*P) *attribute.Set) ([]P, bool) {
	var out []P
	for i := range points {
		set := attrs(&points[i])
		kvs, _, changed := limitAttributesN(set.ToSlice(), maxRecordAttrs)
		if !changed {
			continue
		}
		if out == nil {
			out = append([]P(nil), points...)
		}
		*attrs(&out[i]) = attribute.NewSet(kvs...)
	}
	if out == nil {
		return points, false
	}
	return out, true
}
