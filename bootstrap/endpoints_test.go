package bootstrap_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestConfigShowsResolvedEndpoints checks that Telemetry.Config shows where
// every backend sends, not only the variables it read: an EU licence key with
// no region shows New Relic's EU endpoint, defaults show their defaults.
func TestConfigShowsResolvedEndpoints(t *testing.T) {
	tel, _ := initEnv(t, env{
		"ENVIRONMENT":                     "development",
		"TELEMETRY_BACKEND":               "jaeger,newrelic,elastic,otlp,datadog",
		"NEW_RELIC_LICENSE_KEY":           "eu01xx6789abcdef0123456789abcdef0123NRAL",
		"OTEL_EXPORTER_OTLP_ENDPOINT":     "http://127.0.0.1:4318",
		"DD_TRACE_AGENT_URL":              "http://127.0.0.1:1",
		"DD_REMOTE_CONFIGURATION_ENABLED": "false",
		"TELEMETRY_METRICS":               "false",
	})
	raw, err := json.Marshal(tel.Config().Exporters)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]string{
		"jaeger":   {"traces_endpoint": "http://localhost:4317"},
		"newrelic": {"traces_endpoint": "https://otlp.eu01.nr-data.net:4318/v1/traces", "metrics_endpoint": "https://otlp.eu01.nr-data.net:4318/v1/metrics"},
		"elastic":  {"traces_endpoint": "http://localhost:8200", "metrics_endpoint": "http://localhost:8200"},
		"otlp":     {"traces_endpoint": "http://127.0.0.1:4318/v1/traces", "metrics_endpoint": "http://127.0.0.1:4318/v1/metrics"},
		"datadog":  {"endpoint": "http://127.0.0.1:1"},
	}
	for backend, fields := range want {
		for k, v := range fields {
			if g, _ := got[backend][k].(string); g != v {
				t.Errorf("%s.%s = %q, want %q", backend, k, g, v)
			}
		}
	}
	if strings.Contains(string(raw), "6789abcdef") {
		t.Errorf("the licence key shows in the config: %s", raw)
	}
}
