package exporters

import (
	"log/slog"

	"go.opentelemetry.io/otel/trace"
)

// HexCorrelation is the default log correlation: the W3C hex trace_id and
// span_id, which Jaeger, Grafana and most OTLP backends link on.
func HexCorrelation(sc trace.SpanContext) []slog.Attr {
	return []slog.Attr{
		slog.String("trace_id", sc.TraceID().String()),
		slog.String("span_id", sc.SpanID().String()),
	}
}

// ECSCorrelation gives the Elastic Common Schema fields trace.id and span.id,
// in hex: what Elastic links logs to traces on, and New Relic's logs in
// context too.
func ECSCorrelation(sc trace.SpanContext) []slog.Attr {
	return []slog.Attr{
		slog.String("trace.id", sc.TraceID().String()),
		slog.String("span.id", sc.SpanID().String()),
	}
}
