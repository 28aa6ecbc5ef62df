package bootstrap_test

import (
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
)

func TestStandardExporterVariablesChooseBackends(t *testing.T) {
	tests := []struct {
		name    string
		env     env
		want    string
		metrics bool
	}{
		{"traces exporter console", env{"OTEL_TRACES_EXPORTER": "console"}, "stdout", true},
		{"traces exporter list", env{"OTEL_TRACES_EXPORTER": "otlp, Console"}, "otlp,stdout", true},
		{"metrics only means traces otlp too", env{"OTEL_METRICS_EXPORTER": "otlp"}, "otlp", true},
		{"logs only means traces otlp", env{"OTEL_LOGS_EXPORTER": "none"}, "otlp", true},
		{"metrics none", env{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_METRICS_EXPORTER": "none"}, "otlp", false},
		{"traces none", env{"OTEL_TRACES_EXPORTER": "NONE", "OTEL_METRICS_EXPORTER": "none"}, "none", false},
		{"TELEMETRY_BACKEND wins", env{"TELEMETRY_BACKEND": "stdout", "OTEL_TRACES_EXPORTER": "otlp"}, "stdout", true},
		{"endpoint alone in development", env{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, "otlp", true},
		{"traces endpoint alone in test", env{"ENVIRONMENT": "test", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, "otlp", true},
		{"endpoint detected in production", env{"ENVIRONMENT": "production", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, "otlp", true},
		{"endpoint detected in staging", env{"ENVIRONMENT": "STAGING", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4318"}, "otlp", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tel, _ := initEnv(t, tt.env)
			c := tel.Config()
			if got := strings.Join(c.Backends, ","); got != tt.want || c.Metrics != tt.metrics {
				t.Errorf("backends %q, metrics %v; want %q, %v", got, c.Metrics, tt.want, tt.metrics)
			}
		})
	}
}

func TestStandardVariablesRejectBadValues(t *testing.T) {
	tests := []struct {
		env  env
		want string
	}{
		{env{"OTEL_TRACES_EXPORTER": "zipkin"}, `OTEL_TRACES_EXPORTER="zipkin": unknown exporter "zipkin"; want one of otlp, console, none`},
		{env{"OTEL_LOGS_EXPORTER": "otlp,none"}, `OTEL_LOGS_EXPORTER="otlp,none": none cannot be combined with other exporters`},
		{env{"OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "otlp"}, `OTEL_METRICS_EXPORTER="otlp": otlp must also be in OTEL_TRACES_EXPORTER ("none")`},
		{env{"OTEL_TRACES_EXPORTER": "otlp,console", "OTEL_METRICS_EXPORTER": "otlp"}, `OTEL_METRICS_EXPORTER="otlp": names fewer exporters than OTEL_TRACES_EXPORTER="otlp,console"`},
		{env{"OTEL_BSP_SCHEDULE_DELAY": "0"}, `OTEL_BSP_SCHEDULE_DELAY=0: want a positive whole number`},
		{env{"OTEL_BSP_MAX_QUEUE_SIZE": "lots"}, `OTEL_BSP_MAX_QUEUE_SIZE="lots": want a whole number`},
		{env{"OTEL_BSP_MAX_QUEUE_SIZE": "100", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "200"}, `OTEL_BSP_MAX_EXPORT_BATCH_SIZE=200: want at most the queue size, 100 (OTEL_BSP_MAX_QUEUE_SIZE)`},
		{env{"OTEL_METRIC_EXPORT_TIMEOUT": "-1"}, `OTEL_METRIC_EXPORT_TIMEOUT=-1: want a positive whole number`},
		{env{"OTEL_SPAN_EVENT_COUNT_LIMIT": "-3"}, `OTEL_SPAN_EVENT_COUNT_LIMIT=-3: want a whole number of 0 or more`},
		{env{"OTEL_LINK_ATTRIBUTE_COUNT_LIMIT": "x"}, `OTEL_LINK_ATTRIBUTE_COUNT_LIMIT="x": want a whole number`},
	}
	for _, tt := range tests {
		err := initErr(tt.env)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v; want it to contain %s", tt.env, err, tt.want)
		}
	}
}

func TestEnumValuesAreCaseInsensitive(t *testing.T) {
	tel, _ := initEnv(t, env{
		"ENVIRONMENT": "Test", "TELEMETRY_BACKEND": "Stdout", "OTEL_TRACES_SAMPLER": "ParentBased_TraceIdRatio",
		"OTEL_TRACES_SAMPLER_ARG": "0.5", "OTEL_PROPAGATORS": "TraceContext,B3", "TELEMETRY_LOG_FORMAT": "JSON",
		"TELEMETRY_LOG_LEVEL": "Debug", "JAEGER_PROTOCOL": "GRPC",
	})
	c := tel.Config()
	if c.Environment != "test" || c.Backends[0] != "stdout" || c.Sampler != "parentbased_traceidratio" ||
		strings.Join(c.Propagators, ",") != "tracecontext,b3" || c.LogFormat != "json" {
		t.Errorf("config %v", c)
	}
	tel, _ = initEnv(t, env{"TELEMETRY_BACKEND": "OTLP", "OTEL_EXPORTER_OTLP_PROTOCOL": "GRPC", "OTEL_EXPORTER_OTLP_COMPRESSION": "Gzip", "OTEL_METRICS_EXPORTER": "NONE"})
	if c := tel.Config(); c.Backends[0] != "otlp" || c.Metrics {
		t.Errorf("config %v", c)
	}
}

// The limits reach the SDK: the recorder of the test profile sees spans
// trimmed to them.
func TestSpanLimitsApply(t *testing.T) {
	tel, _ := initEnv(t, env{"ENVIRONMENT": "test", "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT": "2", "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT": "3", "OTEL_SPAN_EVENT_COUNT_LIMIT": "1"})
	_, span := tel.TracerProvider().Tracer("t").Start(context.Background(), "op")
	span.SetAttributes(attribute.String("a", "abcdef"), attribute.String("b", "x"), attribute.String("c", "y"))
	span.AddEvent("one")
	span.AddEvent("two")
	span.End()
	got := tel.Recorder().Ended()[0]
	if n := len(got.Attributes()); n != 2 {
		t.Errorf("%d attributes kept; want 2", n)
	}
	if v := got.Attributes()[0].Value.AsString(); v != "abc" {
		t.Errorf("value %q; want it trimmed to abc", v)
	}
	if n := len(got.Events()); n != 1 || got.DroppedEvents() != 1 {
		t.Errorf("%d events, %d dropped; want 1, 1", n, got.DroppedEvents())
	}
}
