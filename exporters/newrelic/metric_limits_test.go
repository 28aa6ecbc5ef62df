package newrelic

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

type captureMetrics struct {
	sdkmetric.Exporter
	got *metricdata.ResourceMetrics
}

func (c *captureMetrics) Export(_ context.Context, rm *metricdata.ResourceMetrics) error {
	c.got = rm
	return nil
}

// TestMetricLimits checks that data point attributes are held to the record
// limits (count, name and value) and scope attributes to 8, on a copy.
func TestMetricLimits(t *testing.T) {
	kvs := make([]attribute.KeyValue, 150)
	for i := range kvs {
		kvs[i] = attribute.Int(fmt.Sprintf("k%03d", i), i)
	}
	kvs[0] = attribute.String("k000", strings.Repeat("v", 5000))
	scopeKVs := make([]attribute.KeyValue, 10)
	for i := range scopeKVs {
		scopeKVs[i] = attribute.Int(fmt.Sprintf("s%d", i), i)
	}
	big, small := attribute.NewSet(kvs...), attribute.NewSet(attribute.String("a", "b"))
	in := &metricdata.ResourceMetrics{ScopeMetrics: []metricdata.ScopeMetrics{
		{Scope: instrumentation.Scope{Name: "untouched"}, Metrics: []metricdata.Metrics{
			{Name: "ok", Data: metricdata.Sum[int64]{DataPoints: []metricdata.DataPoint[int64]{{Attributes: small, Value: 1}}}},
		}},
		{Scope: instrumentation.Scope{Name: "s", Attributes: attribute.NewSet(scopeKVs...)}, Metrics: []metricdata.Metrics{
			{Name: "sum", Data: metricdata.Sum[float64]{DataPoints: []metricdata.DataPoint[float64]{{Attributes: small}, {Attributes: big}}}},
			{Name: "hist", Data: metricdata.Histogram[float64]{DataPoints: []metricdata.HistogramDataPoint[float64]{{Attributes: big}}}},
		}},
	}}
	c := &captureMetrics{}
	if err := newLimitMetricExporter(c).Export(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if c.got == in {
		t.Fatal("limits were applied to the SDK's own data")
	}
	if c.got.ScopeMetrics[0].Metrics[0].Data.(metricdata.Sum[int64]).DataPoints[0].Attributes.Len() != 1 {
		t.Error("a point within the limits changed")
	}
	sm := c.got.ScopeMetrics[1]
	if sm.Scope.Attributes.Len() != maxScopeAttrs {
		t.Errorf("scope attributes = %d, want %d", sm.Scope.Attributes.Len(), maxScopeAttrs)
	}
	sum := sm.Metrics[0].Data.(metricdata.Sum[float64]).DataPoints
	hist := sm.Metrics[1].Data.(metricdata.Histogram[float64]).DataPoints
	for _, set := range []attribute.Set{sum[1].Attributes, hist[0].Attributes} {
		if set.Len() != maxRecordAttrs {
			t.Errorf("point attributes = %d, want %d", set.Len(), maxRecordAttrs)
		}
		if v, _ := set.Value("k000"); len(v.AsString()) != maxValueBytes {
			t.Errorf("long value is %d bytes, want %d", len(v.AsString()), maxValueBytes)
		}
	}
	if in.ScopeMetrics[1].Metrics[0].Data.(metricdata.Sum[float64]).DataPoints[1].Attributes.Len() != 150 {
		t.Error("the input was changed")
	}
}
