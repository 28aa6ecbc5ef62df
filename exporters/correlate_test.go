package exporters_test

import (
	"fmt"

	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/exporters"
)

func ExampleECSCorrelation() {
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:  trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
	})
	fmt.Println(exporters.ECSCorrelation(sc))
	fmt.Println(exporters.HexCorrelation(sc))
	// Output:
	// [trace.id=4bf92f3577b34da6a3ce929d0e0e4736 span.id=00f067aa0ba902b7]
	// [trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7]
}
