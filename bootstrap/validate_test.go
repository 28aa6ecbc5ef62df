package bootstrap_test

import (
	"strings"
	"testing"
)

func TestInitRejectsBadInput(t *testing.T) {
	tests := []struct {
		name string
		env  env
		want []string // every line must appear in the error
	}{
		{"unknown environment", env{"ENVIRONMENT": "prod"},
			[]string{`ENVIRONMENT="prod": unknown environment; want one of development, staging, production, test`}},
		{"unknown backend", env{"TELEMETRY_BACKEND": "datadgo"},
			[]string{`TELEMETRY_BACKEND="datadgo": unknown backend "datadgo"; want one of `}},
		{"backend listed twice", env{"TELEMETRY_BACKEND": "jaeger,jaeger"},
			[]string{`TELEMETRY_BACKEND="jaeger,jaeger": "jaeger" is listed twice`}},
		{"none with others", env{"TELEMETRY_BACKEND": "none,jaeger"},
			[]string{`none cannot be combined with other backends`}},
		{"empty backend list", env{"TELEMETRY_BACKEND": " , "},
			[]string{`TELEMETRY_BACKEND=" , ": no backend named`}},
		{"unknown sampler", env{"OTEL_TRACES_SAMPLER": "sometimes"},
			[]string{`OTEL_TRACES_SAMPLER="sometimes": unknown sampler; want one of always_on`}},
		{"ratio not a number", env{"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "half"},
			[]string{`OTEL_TRACES_SAMPLER_ARG="half": want a number from 0 to 1`}},
		{"ratio out of range", env{"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "1.5"},
			[]string{`OTEL_TRACES_SAMPLER_ARG="1.5": want a number from 0 to 1`}},
		{"unknown propagator", env{"OTEL_PROPAGATORS": "tracecontext,xray"},
			[]string{`OTEL_PROPAGATORS="tracecontext,xray": unknown propagator "xray"; want one of `}},
		{"zero shutdown timeout", env{"TELEMETRY_SHUTDOWN_TIMEOUT": "0s"},
			[]string{`TELEMETRY_SHUTDOWN_TIMEOUT=0s: want a positive duration`}},
		{"negative export timeout", env{"TELEMETRY_EXPORT_TIMEOUT": "-5s"},
			[]string{`TELEMETRY_EXPORT_TIMEOUT=-5s: want a positive duration`}},
		{"malformed duration", env{"TELEMETRY_EXPORT_TIMEOUT": "soon"},
			[]string{`TELEMETRY_EXPORT_TIMEOUT="soon": want a duration such as 500ms, 5s or 1m`}},
		{"malformed bool", env{"OTEL_SDK_DISABLED": "nope"},
			[]string{`OTEL_SDK_DISABLED="nope": want true or false`}},
		{"unknown log format", env{"TELEMETRY_LOG_FORMAT": "xml"},
			[]string{`TELEMETRY_LOG_FORMAT="xml": unknown format; want text or json`}},
		{"unknown jaeger protocol", env{"JAEGER_PROTOCOL": "thrift"},
			[]string{`JAEGER_PROTOCOL="thrift": unknown protocol; want grpc or http/protobuf`}},
		{"malformed jaeger endpoint", env{"JAEGER_ENDPOINT": "http://"},
			[]string{`JAEGER_ENDPOINT="http://": malformed endpoint`}},
		{"unknown otlp protocol", env{"TELEMETRY_BACKEND": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"},
			[]string{`OTEL_EXPORTER_OTLP_PROTOCOL="http/json": unknown protocol; want grpc or http/protobuf`}},
		{"zero otlp timeout", env{"TELEMETRY_BACKEND": "otlp", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "0"},
			[]string{`OTEL_EXPORTER_OTLP_TRACES_TIMEOUT=0: want a positive number of milliseconds`}},
		{"header with CR LF", env{"TELEMETRY_BACKEND": "otlp", "OTEL_EXPORTER_OTLP_HEADERS": "x-team=a%0D%0AEvil: 1"},
			[]string{`OTEL_EXPORTER_OTLP_HEADERS: value of "x-team" holds a control character`}},
		{"plaintext to a remote host in production", env{"ENVIRONMENT": "production", "TELEMETRY_BACKEND": "jaeger", "JAEGER_ENDPOINT": "jaeger.internal:4317"},
			[]string{`JAEGER_ENDPOINT="jaeger.internal:4317": plaintext to a host that is not loopback is refused in staging and production`}},
		{"plaintext http URL in staging", env{"ENVIRONMENT": "staging", "TELEMETRY_BACKEND": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector.example:4318"},
			[]string{`OTEL_EXPORTER_OTLP_ENDPOINT="http://collector.example:4318": plaintext to a host that is not loopback is refused`}},
		{"nothing to detect in production", env{"ENVIRONMENT": "production"},
			[]string{`TELEMETRY_BACKEND is unset and no vendor credentials are set for ENVIRONMENT=production`}},
		{"several problems together", env{"TELEMETRY_BACKEND": "datadgo", "OTEL_TRACES_SAMPLER": "sometimes", "TELEMETRY_SHUTDOWN_TIMEOUT": "-1s", "OTEL_PROPAGATORS": "xray"},
			[]string{`unknown backend "datadgo"`, `unknown sampler`, `TELEMETRY_SHUTDOWN_TIMEOUT=-1s`, `unknown propagator "xray"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := initErr(tt.env)
			if err == nil {
				t.Fatal("Init succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestInitAcceptsGoodInput(t *testing.T) {
	tests := []struct {
		name string
		env  env
	}{
		{"defaults", env{}},
		{"test profile", env{"ENVIRONMENT": "test"}},
		{"plaintext to loopback in production", env{"ENVIRONMENT": "production", "TELEMETRY_BACKEND": "jaeger", "JAEGER_ENDPOINT": "127.0.0.1:4317"}},
		{"plaintext allowed explicitly", env{"ENVIRONMENT": "production", "TELEMETRY_BACKEND": "jaeger", "JAEGER_ENDPOINT": "jaeger.internal:4317", "TELEMETRY_ALLOW_INSECURE": "true"}},
		{"TLS to a remote host in production", env{"ENVIRONMENT": "production", "TELEMETRY_BACKEND": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": "https://otlp.example.com"}},
		{"every sampler", env{"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.25"}},
		{"every propagator", env{"OTEL_PROPAGATORS": "tracecontext,baggage,b3,b3multi,jaeger"}},
		{"sdk disabled", env{"OTEL_SDK_DISABLED": "true"}},
		{"stdout", env{"TELEMETRY_BACKEND": "stdout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := initErr(tt.env); err != nil {
				t.Fatalf("Init: %v", err)
			}
		})
	}
}
