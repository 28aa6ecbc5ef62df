package bootstrap

import (
	"errors"
	"fmt"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/otelswitch/otelswitch/exporters"
)

// The OpenTelemetry specification's SDK variables that tune the pipeline.
// Times are in milliseconds, as the specification has them.
const (
	envBSPScheduleDelay    = "OTEL_BSP_SCHEDULE_DELAY"
	envBSPExportTimeout    = "OTEL_BSP_EXPORT_TIMEOUT"
	envBSPMaxQueue         = "OTEL_BSP_MAX_QUEUE_SIZE"
	envBSPMaxExport        = "OTEL_BSP_MAX_EXPORT_BATCH_SIZE"
	envMetricInterval      = "OTEL_METRIC_EXPORT_INTERVAL"
	envMetricTimeout       = "OTEL_METRIC_EXPORT_TIMEOUT"
	envAttrValueLength     = "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT"
	envAttrCount           = "OTEL_ATTRIBUTE_COUNT_LIMIT"
	envSpanAttrValueLength = "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT"
	envSpanAttrCount       = "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT"
	envSpanEventCount      = "OTEL_SPAN_EVENT_COUNT_LIMIT"
	envSpanLinkCount       = "OTEL_SPAN_LINK_COUNT_LIMIT"
	envEventAttrCount      = "OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT"
	envLinkAttrCount       = "OTEL_LINK_ATTRIBUTE_COUNT_LIMIT"
	envTracesExporter      = "OTEL_TRACES_EXPORTER"
	envMetricsExporter     = "OTEL_METRICS_EXPORTER"
	envLogsExporter        = "OTEL_LOGS_EXPORTER"
	envOTLPEndpoint        = "OTEL_EXPORTER_OTLP_ENDPOINT"
	envOTLPTracesEndpoint  = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
)

// The SDK's span limits when no variable sets them.
const (
	sdkDefaultLimit       = 128
	sdkUnlimitedValueSize = -1
)

// StandardEnv holds the specification's variables that override a
// profile's batching, metric and span-limit defaults, and choose exporters
// the specification's way. It is embedded in Env, so the generated reference
// lists them beside the others. Pointers tell "unset" from zero.
type StandardEnv struct {
	TracesExporter  string `envconfig:"OTEL_TRACES_EXPORTER" desc:"Comma list of otlp, console or none (case-insensitive). When TELEMETRY_BACKEND is unset it chooses the backends: otlp is the otlp backend, console the stdout backend. Unset variables of the three default to otlp as the specification says, once any of them is set."`
	MetricsExporter string `envconfig:"OTEL_METRICS_EXPORTER" desc:"otlp, console or none. none turns metrics off (like TELEMETRY_METRICS=false); otherwise it must name the backends OTEL_TRACES_EXPORTER names (a backend takes both signals or none)."`
	LogsExporter    string `envconfig:"OTEL_LOGS_EXPORTER" desc:"otlp, console or none: validated here; where logs go is decided by the log pipeline."`

	BSPScheduleDelay *int `envconfig:"OTEL_BSP_SCHEDULE_DELAY" desc:"Milliseconds a span may wait in a backend's queue before it is sent. Default from the profile (500 development, 2000 staging, 5000 production)."`
	BSPExportTimeout *int `envconfig:"OTEL_BSP_EXPORT_TIMEOUT" desc:"Milliseconds each export may take. TELEMETRY_EXPORT_TIMEOUT wins when both are set."`
	BSPMaxQueue      *int `envconfig:"OTEL_BSP_MAX_QUEUE_SIZE" desc:"Spans each backend queues at most; beyond it spans are dropped and counted. Default from the profile."`
	BSPMaxExport     *int `envconfig:"OTEL_BSP_MAX_EXPORT_BATCH_SIZE" desc:"Spans sent in one export at most; no more than OTEL_BSP_MAX_QUEUE_SIZE. Default 512."`

	MetricInterval *int `envconfig:"OTEL_METRIC_EXPORT_INTERVAL" desc:"Milliseconds between metric exports. Default from the profile (10000 development, 30000 staging, 60000 production)."`
	MetricTimeout  *int `envconfig:"OTEL_METRIC_EXPORT_TIMEOUT" desc:"Milliseconds each metric export may take. Default: the export timeout."`

	AttrValueLength     *int `envconfig:"OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT" desc:"Longest attribute value kept, longer ones truncated. Default unlimited."`
	AttrCount           *int `envconfig:"OTEL_ATTRIBUTE_COUNT_LIMIT" desc:"Most attributes kept on a span. Default 128."`
	SpanAttrValueLength *int `envconfig:"OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT" desc:"As OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT, for spans only; wins over it."`
	SpanAttrCount       *int `envconfig:"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT" desc:"As OTEL_ATTRIBUTE_COUNT_LIMIT, for spans only; wins over it."`
	SpanEventCount      *int `envconfig:"OTEL_SPAN_EVENT_COUNT_LIMIT" desc:"Most events kept on a span. Default 128."`
	SpanLinkCount       *int `envconfig:"OTEL_SPAN_LINK_COUNT_LIMIT" desc:"Most links kept on a span. Default 128."`
	EventAttrCount      *int `envconfig:"OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT" desc:"Most attributes kept on a span event. Default 128."`
	LinkAttrCount       *int `envconfig:"OTEL_LINK_ATTRIBUTE_COUNT_LIMIT" desc:"Most attributes kept on a span link. Default 128."`
}

// Tuning is what the standard variables resolved to, shown in Config.
type Tuning struct {
	BatchDelay     Duration            `json:"batch_delay"`
	MaxQueue       int                 `json:"max_queue"`
	MaxExport      int                 `json:"max_export"`
	MetricInterval Duration            `json:"metric_interval"`
	MetricTimeout  Duration            `json:"metric_timeout,omitempty"`
	SpanLimits     sdktrace.SpanLimits `json:"span_limits"`
}

func millis(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// positive reads a millisecond or count variable that must be > 0 (zero
// would stall a queue or export nothing): set gets it when it is set and
// positive; otherwise an error naming the variable is added to errs. The
// standard batch, metric and log record processor variables share it.
func positive(errs *[]error, name string, v *int, set func(int)) {
	if v == nil {
		return
	}
	if *v <= 0 {
		*errs = append(*errs, fmt.Errorf("%s=%d: want a positive whole number", name, *v))
		return
	}
	set(*v)
}

// applyBatching overrides s's batching and metric timing with the standard
// variables that are set. TELEMETRY_* variables win over the standard ones,
// so it runs before they are applied.
func applyBatching(se StandardEnv, s *exporters.Settings) error {
	var errs []error
	positive(&errs, envBSPScheduleDelay, se.BSPScheduleDelay, func(n int) { s.Batch.Delay = millis(n) })
	positive(&errs, envBSPExportTimeout, se.BSPExportTimeout, func(n int) { s.ExportTimeout = millis(n) })
	positive(&errs, envBSPMaxQueue, se.BSPMaxQueue, func(n int) { s.Batch.MaxQueue = n })
	positive(&errs, envBSPMaxExport, se.BSPMaxExport, func(n int) { s.Batch.MaxExport = n })
	positive(&errs, envMetricInterval, se.MetricInterval, func(n int) { s.MetricInterval = millis(n) })
	positive(&errs, envMetricTimeout, se.MetricTimeout, func(n int) { s.MetricTimeout = millis(n) })
	if se.BSPMaxExport != nil && s.Batch.MaxExport > s.Batch.MaxQueue {
		errs = append(errs, fmt.Errorf("%s=%d: want at most the queue size, %d (%s)", envBSPMaxExport, s.Batch.MaxExport, s.Batch.MaxQueue, envBSPMaxQueue))
	}
	return errors.Join(errs...)
}

// spanLimits resolves the span limits from the standard variables over the
// SDK's defaults. The SDK would read them itself, but from the process
// environment and without reporting a bad value.
func spanLimits(se StandardEnv) (sdktrace.SpanLimits, error) {
	var errs []error

	// The SDK's defaults; the general OTEL_ATTRIBUTE_* limits apply unless
	// the span-specific ones are set, as the specification orders them.
	l := sdktrace.SpanLimits{
		AttributeValueLengthLimit:   sdkUnlimitedValueSize,
		AttributeCountLimit:         sdkDefaultLimit,
		EventCountLimit:             sdkDefaultLimit,
		LinkCountLimit:              sdkDefaultLimit,
		AttributePerEventCountLimit: sdkDefaultLimit,
		AttributePerLinkCountLimit:  sdkDefaultLimit,
	}
	nonNegative := func(name string, v *int, dst *int) {
		if v == nil {
			return
		}
		if *v < 0 {
			errs = append(errs, fmt.Errorf("%s=%d: want a whole number of 0 or more", name, *v))
			return
		}
		*dst = *v
	}
	nonNegative(envAttrValueLength, se.AttrValueLength, &l.AttributeValueLengthLimit)
	nonNegative(envAttrCount, se.AttrCount, &l.AttributeCountLimit)
	nonNegative(envSpanAttrValueLength, se.SpanAttrValueLength, &l.AttributeValueLengthLimit)
	nonNegative(envSpanAttrCount, se.SpanAttrCount, &l.AttributeCountLimit)
	nonNegative(envSpanEventCount, se.SpanEventCount, &l.EventCountLimit)
	nonNegative(envSpanLinkCount, se.SpanLinkCount, &l.LinkCountLimit)
	nonNegative(envEventAttrCount, se.EventAttrCount, &l.AttributePerEventCountLimit)
	nonNegative(envLinkAttrCount, se.LinkAttrCount, &l.AttributePerLinkCountLimit)
	return l, errors.Join(errs...)
}
