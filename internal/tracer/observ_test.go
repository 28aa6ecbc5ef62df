package tracer_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/internal/tracer"
)

// TestNormalizingLeavesNoLiveSpan: the SDK spans the normalizer borrows
// (for a tracer's scope, a value past the length limit, a MAP value) are
// ended, so with the SDK's experimental self-observability on
// (OTEL_GO_X_OBSERVABILITY) otel.sdk.span.live does not grow with every
// normalized value. (otel.sdk.span.started still counts them: see the
// package doc.)
func TestNormalizingLeavesNoLiveSpan(t *testing.T) {
	t.Setenv("OTEL_GO_X_OBSERVABILITY", "true")
	reader := sdkmetric.NewManualReader()
	prev := otel.GetMeterProvider()
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	defer otel.SetMeterProvider(prev)

	tp := tracer.NewProvider(tracer.WithRawSpanLimits(sdktrace.SpanLimits{AttributeValueLengthLimit: 3, AttributeCountLimit: -1,
		EventCountLimit: -1, AttributePerEventCountLimit: -1}))
	_, s := tp.Tracer("x").Start(context.Background(), "s", trace.WithAttributes(attribute.String("k", "long value")))
	s.AddEvent("e", trace.WithAttributes(attribute.Map("m", attribute.Int("a", 1), attribute.Int("a", 2))))
	s.End()

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	started := false
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch m.Name {
			case "otel.sdk.span.started":
				started = true
			case "otel.sdk.span.live":
				for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
					if dp.Value != 0 {
						t.Errorf("otel.sdk.span.live %v = %d: the normalizer leaves SDK spans open", dp.Attributes, dp.Value)
					}
				}
			}
		}
	}
	if !started {
		t.Fatal("no otel.sdk.span.started: the SDK's self-observability did not run, the test sees nothing")
	}
}
