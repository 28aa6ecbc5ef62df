package bootstrap_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/otelswitch/otelswitch/bootstrap"
)

const canaryKey = "0123456789abcdefSECRET0123456789abcdef01"

func TestStartupLogSaysWhatWasSetUp(t *testing.T) {
	_, logs := initEnv(t, env{
		"TELEMETRY_BACKEND": "jaeger,newrelic", "OTEL_SERVICE_NAME": "books",
		"JAEGER_ENDPOINT": "127.0.0.1:4317", "NEW_RELIC_LICENSE_KEY": canaryKey,
		"NEW_RELIC_OTLP_ENDPOINT": "http://127.0.0.1:4318",
	})
	var line string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "otelswitch started") {
			if line != "" {
				t.Fatalf("two startup lines:\n%s", logs)
			}
			line = l
		}
	}
	for _, want := range []string{
		"level=INFO", "environment=development", "service=books", "backends=jaeger,newrelic",
		"jaeger traces grpc http://127.0.0.1:4317",
		"newrelic traces http/protobuf http://127.0.0.1:4318/v1/traces",
		"newrelic metrics http/protobuf http://127.0.0.1:4318/v1/metrics",
		"sampler=parentbased_always_on", "signals=traces,metrics",
	} {
		if !strings.Contains(line, want) {
			t.Errorf("startup line lacks %q:\n%s", want, line)
		}
	}
	if strings.Contains(logs.String(), canaryKey) {
		t.Errorf("the licence key is in the log:\n%s", logs)
	}
}

func TestStartupLogOff(t *testing.T) {
	_, logs := initEnv(t, env{"TELEMETRY_BACKEND": "none", "TELEMETRY_STARTUP_LOG": "false"})
	if strings.Contains(logs.String(), "otelswitch started") {
		t.Errorf("TELEMETRY_STARTUP_LOG=false still logged:\n%s", logs)
	}
}

func TestStartupWarningsInProduction(t *testing.T) {
	tests := []struct {
		name string
		env  env
		want []string
	}{
		{"service name unset", env{"ENVIRONMENT": "production", "TELEMETRY_BACKEND": "jaeger", "JAEGER_ENDPOINT": "127.0.0.1:4317"},
			[]string{`level=WARN msg="OTEL_SERVICE_NAME is unset: every span, metric and log of this service is reported as \"unknown_service:`}},
		{"sampler always_off", env{"ENVIRONMENT": "staging", "OTEL_SERVICE_NAME": "books", "TELEMETRY_BACKEND": "jaeger", "JAEGER_ENDPOINT": "127.0.0.1:4317", "OTEL_TRACES_SAMPLER": "always_off"},
			[]string{"OTEL_TRACES_SAMPLER=always_off: no trace this service starts is ever recorded"}},
		{"ratio zero", env{"ENVIRONMENT": "production", "OTEL_SERVICE_NAME": "books", "TELEMETRY_BACKEND": "jaeger", "JAEGER_ENDPOINT": "127.0.0.1:4317", "OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0"},
			[]string{"OTEL_TRACES_SAMPLER=parentbased_traceidratio with OTEL_TRACES_SAMPLER_ARG=0"}},
		{"plaintext allowed", env{"ENVIRONMENT": "production", "OTEL_SERVICE_NAME": "books", "TELEMETRY_BACKEND": "jaeger", "JAEGER_ENDPOINT": "jaeger.internal:4317", "TELEMETRY_ALLOW_INSECURE": "true"},
			[]string{"backend jaeger sends traces in plaintext to http://jaeger.internal:4317 (JAEGER_ENDPOINT), allowed by TELEMETRY_ALLOW_INSECURE=true"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.env["TELEMETRY_LOG_FORMAT"] = "text"
			_, logs := initEnv(t, tt.env)
			for _, w := range tt.want {
				if !strings.Contains(logs.String(), w) {
					t.Errorf("log lacks %q:\n%s", w, logs)
				}
			}
		})
	}
	// Development keeps quiet about all of it.
	_, logs := initEnv(t, env{"TELEMETRY_BACKEND": "none", "OTEL_TRACES_SAMPLER": "always_off"})
	if strings.Contains(logs.String(), "WARN") {
		t.Errorf("development warned:\n%s", logs)
	}
}

// TestResolveIsInitsPlan: the doctor's view and Init's are one resolution.
func TestResolveIsInitsPlan(t *testing.T) {
	e := env{"TELEMETRY_BACKEND": "newrelic", "NEW_RELIC_LICENSE_KEY": canaryKey, "NEW_RELIC_REGION": "eu", "OTEL_SERVICE_NAME": "books"}
	p, err := bootstrap.Resolve(context.Background(), bootstrap.WithLookupEnv(e.Lookup))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	if len(p.Backends) != 1 || len(p.Backends[0].Endpoints) != 2 {
		t.Fatalf("plan = %s", p)
	}
	ep := p.Backends[0].Endpoints[0]
	if ep.URL != "https://otlp.eu01.nr-data.net:4318/v1/traces" || ep.Auth != "api-key header" || ep.CredentialVar != "NEW_RELIC_LICENSE_KEY" || ep.Variable != "NEW_RELIC_REGION" {
		t.Errorf("traces endpoint = %+v", ep)
	}
	js, _ := json.Marshal(p)
	if strings.Contains(string(js), canaryKey) || strings.Contains(p.String(), canaryKey) {
		t.Errorf("the plan shows the licence key: %s", js)
	}
	if !strings.Contains(string(js), "[REDACTED]") {
		t.Errorf("the plan does not show the key as redacted: %s", js)
	}

	// The same variables with a mistake: Resolve fails exactly as Init does.
	e["NEW_RELIC_OTLP_ENDPOINT"] = "https://otlp.nr-data.net/v1/traces"
	e["OTEL_TRACES_SAMPLER"] = "sometimes"
	_, rerr := bootstrap.Resolve(context.Background(), bootstrap.WithLookupEnv(e.Lookup))
	ierr := initErr(e)
	if rerr == nil || ierr == nil || rerr.Error() != ierr.Error() {
		t.Fatalf("Resolve: %v\nInit: %v", rerr, ierr)
	}
	for _, want := range []string{"NEW_RELIC_OTLP_ENDPOINT", "OTEL_TRACES_SAMPLER"} {
		if !strings.Contains(rerr.Error(), want) {
			t.Errorf("error lacks %s: %v", want, rerr)
		}
	}
}
