package bootstrap

import (
	"fmt"

	"go.opentelemetry.io/contrib/instrumentation/runtime"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/otelswitch/otelswitch/internal/procmetrics"
)

// runtimeProducer reports the Go scheduler's latency histogram
// (go.schedule.duration), which is read from runtime/metrics at each
// collection rather than through an instrument. Each metric reader gets it.
func runtimeProducer() sdkmetric.Producer { return runtime.NewProducer() }

// startRuntimeMetrics adds the Go runtime instruments (memory, GC,
// goroutines, processors) and the process ones (CPU time, RSS, open file
// descriptors) to mp, on by default, off with TELEMETRY_RUNTIME_METRICS=false.
func startRuntimeMetrics(mp metric.MeterProvider) error {
	if err := runtime.Start(runtime.WithMeterProvider(mp)); err != nil {
		return fmt.Errorf("runtime metrics: %w", err)
	}
	return procmetrics.Register(mp)
}
