package bootstrap_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"

	"github.com/otelswitch/otelswitch/bootstrap"
	"github.com/otelswitch/otelswitch/internal/detect"
)

// source is one entry of a precedence rule: how to set it, and what the
// setting reads when it wins.
type source struct {
	env  env
	opts []bootstrap.Option
	want string
}

// precedenceCase proves one rule of bootstrap.Precedence: base is set in
// every run, sources[i] is bootstrap.Precedence's Order[i], and probe reads
// the setting from a running Telemetry.
type precedenceCase struct {
	base    env
	sources []source
	probe   func(*bootstrap.Telemetry) string
}

func ddIdentity(field string) func(*bootstrap.Telemetry) string {
	return func(tel *bootstrap.Telemetry) string {
		b, _ := json.Marshal(tel.Config().Exporters["datadog"])
		var v struct{ Identity map[string]string }
		_ = json.Unmarshal(b, &v)
		return v.Identity[field]
	}
}

// resourceProbe reads a resource attribute off a span the test profile
// recorded.
func resourceProbe(key string) func(*bootstrap.Telemetry) string {
	return func(tel *bootstrap.Telemetry) string {
		_, span := tel.TracerProvider().Tracer("t").Start(context.Background(), "op")
		span.End()
		ended := tel.Recorder().Ended()
		v, _ := ended[len(ended)-1].Resource().Set().Value(attribute.Key(key))
		return v.AsString()
	}
}

// ddBase runs the datadog backend in otlp mode against loopback, which
// starts nothing that waits on the network.
var ddBase = env{"TELEMETRY_BACKEND": "datadog", "DATADOG_MODE": "otlp", "DD_AGENT_HOST": "127.0.0.1", "TELEMETRY_METRICS": "false"}

var precedenceCases = map[string]precedenceCase{
	"environment (profile)": {
		base: env{"TELEMETRY_BACKEND": "none"},
		sources: []source{
			{opts: []bootstrap.Option{bootstrap.WithEnvironment("test")}, want: "test"},
			{env: env{"ENVIRONMENT": "Production"}, want: "production"},
			{want: "development"},
		},
		probe: func(tel *bootstrap.Telemetry) string { return tel.Config().Environment },
	},
	"backends": {
		sources: []source{
			{env: env{"TELEMETRY_BACKEND": "None"}, want: "none"},
			{env: env{"OTEL_TRACES_EXPORTER": "CONSOLE"}, want: "stdout"},
			{env: env{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, want: "otlp"},
			{want: "jaeger"},
		},
		probe: func(tel *bootstrap.Telemetry) string { return strings.Join(tel.Config().Backends, ",") },
	},
	"service.name": {
		base: env{"TELEMETRY_BACKEND": "none"},
		sources: []source{
			{opts: []bootstrap.Option{bootstrap.WithServiceName("from-option")}, want: "from-option"},
			{env: env{"OTEL_SERVICE_NAME": "from-variable"}, want: "from-variable"},
			{env: env{"OTEL_RESOURCE_ATTRIBUTES": "service.name=from-attributes"}, want: "from-attributes"},
			{want: "unknown_service:bootstrap.test"},
		},
		probe: func(tel *bootstrap.Telemetry) string { return tel.Config().ServiceName },
	},
	"service.version": {
		base: env{"TELEMETRY_BACKEND": "none"},
		sources: []source{
			{opts: []bootstrap.Option{bootstrap.WithServiceVersion("1.0.0-option")}, want: "1.0.0-option"},
			{env: env{"SERVICE_VERSION": "1.0.0-variable"}, want: "1.0.0-variable"},
			{env: env{"OTEL_RESOURCE_ATTRIBUTES": "service.version=1.0.0-attributes"}, want: "1.0.0-attributes"},
			{want: ""}, // a test binary has no module version
		},
		probe: func(tel *bootstrap.Telemetry) string { return tel.Config().ServiceVersion },
	},
	"service.instance.id": {
		base: env{"ENVIRONMENT": "test"},
		sources: []source{
			{env: env{"OTEL_RESOURCE_ATTRIBUTES": "service.instance.id=pod-a"}, want: "pod-a"},
			{want: detect.InstanceID()},
		},
		probe: resourceProbe("service.instance.id"),
	},
	"k8s.pod.name (and the other k8s.* attributes)": {
		base: env{"ENVIRONMENT": "test"},
		sources: []source{
			{env: env{"OTEL_RESOURCE_ATTRIBUTES": "k8s.pod.name=from-attributes"}, want: "from-attributes"},
			{env: env{"K8S_POD_NAME": "from-downward-api"}, want: "from-downward-api"},
			{env: env{"OTEL_RESOURCE_ATTRIBUTES_POD_NAME": "from-operator"}, want: "from-operator"},
			{want: ""},
		},
		probe: resourceProbe("k8s.pod.name"),
	},
	"Datadog service": {
		base: ddBase,
		sources: []source{
			{env: env{"DD_SERVICE": "dd-service"}, want: "dd-service"},
			{env: env{"DD_TAGS": "service:tag-service"}, want: "tag-service"},
			{env: env{"OTEL_SERVICE_NAME": "otel-service"}, want: "otel-service"},
		},
		probe: ddIdentity("service"),
	},
	"Datadog env": {
		base: ddBase,
		sources: []source{
			{env: env{"DD_ENV": "dd-env"}, want: "dd-env"},
			{env: env{"DD_TAGS": "env:tag-env"}, want: "tag-env"},
			{env: env{"ENVIRONMENT": "test"}, want: "test"},
		},
		probe: ddIdentity("env"),
	},
	"Datadog version": {
		base: ddBase,
		sources: []source{
			{env: env{"DD_VERSION": "dd-1"}, want: "dd-1"},
			{env: env{"DD_TAGS": "version:tag-1"}, want: "tag-1"},
			{env: env{"SERVICE_VERSION": "otel-1"}, want: "otel-1"},
		},
		probe: ddIdentity("version"),
	},
	"sampler": {
		base: env{"TELEMETRY_BACKEND": "datadog", "DD_TRACE_AGENT_URL": "http://127.0.0.1:1", "TELEMETRY_METRICS": "false"},
		sources: []source{
			{env: env{"DD_TRACE_SAMPLE_RATE": "0.5"}, want: "datadog_rules"},
			{env: env{"OTEL_TRACES_SAMPLER": "ALWAYS_OFF"}, want: "always_off"},
			{want: "parentbased_always_on"},
		},
		probe: func(tel *bootstrap.Telemetry) string { return tel.Config().Sampler },
	},
	"sampler rate limit": {
		base: env{"ENVIRONMENT": "test", "TELEMETRY_BACKEND": "datadog", "DD_TRACE_AGENT_URL": "http://127.0.0.1:1", "TELEMETRY_METRICS": "false"},
		sources: []source{
			// Slow refills (2 s, 0.83 s) keep the counts exact however
			// slowly the 50 roots start. One root kept: 0.5/s (burst 1)
			// binds before Datadog's limit.
			{env: env{"TELEMETRY_SAMPLER_RATE_LIMIT": "0.5"}, want: "1"},
			// DD_TRACE_RATE_LIMIT=1.2 (burst 2) limits the rules' keeps.
			{env: env{"DD_TRACE_RATE_LIMIT": "1.2", "DD_TRACE_SAMPLE_RATE": "1"}, want: "2"},
			{want: "50"},
		},
		probe: func(tel *bootstrap.Telemetry) string {
			tr := tel.TracerProvider().Tracer("t")
			kept := 0
			for range 50 {
				_, s := tr.Start(context.Background(), "op")
				if s.SpanContext().IsSampled() {
					kept++
				}
				s.End()
			}
			return fmt.Sprint(kept)
		},
	},
	"export timeout": {
		base: env{"TELEMETRY_BACKEND": "none"},
		sources: []source{
			{env: env{"TELEMETRY_EXPORT_TIMEOUT": "3s"}, want: "3s"},
			{env: env{"OTEL_BSP_EXPORT_TIMEOUT": "1500"}, want: "1.5s"},
			{want: "5s"},
		},
		probe: func(tel *bootstrap.Telemetry) string { return tel.Config().ExportTimeout.String() },
	},
	"batch delay": {
		base: env{"TELEMETRY_BACKEND": "none"},
		sources: []source{
			{env: env{"OTEL_BSP_SCHEDULE_DELAY": "250"}, want: "250ms"},
			{want: "500ms"},
		},
		probe: func(tel *bootstrap.Telemetry) string { return tel.Config().Tuning.BatchDelay.String() },
	},
	"queue size": {
		base: env{"TELEMETRY_BACKEND": "none"},
		sources: []source{
			{env: env{"OTEL_BSP_MAX_QUEUE_SIZE": "4000"}, want: "4000"},
			{want: "2048"},
		},
		probe: func(tel *bootstrap.Telemetry) string { return fmt.Sprint(tel.Config().Tuning.MaxQueue) },
	},
	"export batch size": {
		base: env{"TELEMETRY_BACKEND": "none"},
		sources: []source{
			{env: env{"OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "100"}, want: "100"},
			{want: "512"},
		},
		probe: func(tel *bootstrap.Telemetry) string { return fmt.Sprint(tel.Config().Tuning.MaxExport) },
	},
	"metric interval": {
		base: env{"TELEMETRY_BACKEND": "none"},
		sources: []source{
			{env: env{"OTEL_METRIC_EXPORT_INTERVAL": "2000"}, want: "2s"},
			{want: "10s"},
		},
		probe: func(tel *bootstrap.Telemetry) string { return tel.Config().Tuning.MetricInterval.String() },
	},
	"metrics on": {
		base: env{"TELEMETRY_BACKEND": "none"},
		sources: []source{
			{env: env{"OTEL_METRICS_EXPORTER": "None"}, want: "false"},
			{want: "true"},
		},
		probe: func(tel *bootstrap.Telemetry) string { return fmt.Sprint(tel.Config().Metrics) },
	},
	"span attribute count": {
		base: env{"TELEMETRY_BACKEND": "none"},
		sources: []source{
			{env: env{"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT": "7"}, want: "7"},
			{env: env{"OTEL_ATTRIBUTE_COUNT_LIMIT": "9"}, want: "9"},
			{want: "128"},
		},
		probe: func(tel *bootstrap.Telemetry) string {
			return fmt.Sprint(tel.Config().Tuning.SpanLimits.AttributeCountLimit)
		},
	},
	"span attribute value length": {
		base: env{"TELEMETRY_BACKEND": "none"},
		sources: []source{
			{env: env{"OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT": "64"}, want: "64"},
			{env: env{"OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT": "32"}, want: "32"},
			{want: "-1"},
		},
		probe: func(tel *bootstrap.Telemetry) string {
			return fmt.Sprint(tel.Config().Tuning.SpanLimits.AttributeValueLengthLimit)
		},
	},
}

// TestPrecedence proves every rule of bootstrap.Precedence, the table in
// docs/configuration.md: for each source, with it and every source below it
// set at once, the setting reads that source's value.
func TestPrecedence(t *testing.T) {
	for _, rule := range bootstrap.Precedence {
		t.Run(rule.Setting, func(t *testing.T) {
			c, ok := precedenceCases[rule.Setting]
			if !ok {
				t.Fatalf("no test case for the documented rule %q", rule.Setting)
			}
			if len(c.sources) != len(rule.Order) {
				t.Fatalf("the test has %d sources, the table %d: %q", len(c.sources), len(rule.Order), rule.Order)
			}
			for i := range c.sources {
				e := env{}
				for k, v := range c.base {
					e[k] = v
				}
				var opts []bootstrap.Option
				for _, s := range c.sources[i:] {
					for k, v := range s.env {
						e[k] = v
					}
					opts = append(opts, s.opts...)
				}
				tel, _ := initEnv(t, e, opts...)
				if got := c.probe(tel); got != c.sources[i].want {
					t.Errorf("%s set (with everything below it): got %q, want %q", rule.Order[i], got, c.sources[i].want)
				}
				// Now, not at the end of the test: Datadog's native mode
				// runs once per process.
				_ = tel.Shutdown(context.Background())
			}
		})
	}
	if len(precedenceCases) != len(bootstrap.Precedence) {
		t.Errorf("%d test cases for %d documented rules", len(precedenceCases), len(bootstrap.Precedence))
	}
}
