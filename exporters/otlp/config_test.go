package otlp_test

import (
	"strings"
	"testing"
	"time"

	"github.com/otelswitch/otelswitch/exporters/otlp"
	"github.com/otelswitch/otelswitch/internal/testutil"
)

type env = testutil.Env

func TestConfigTargets(t *testing.T) {
	tests := []struct {
		name            string
		env             env
		traces, metrics string
		protocol        string
		compression     string
		timeout         time.Duration
		headers         map[string]string
	}{
		{"defaults", env{},
			"http://localhost:4318/v1/traces", "http://localhost:4318/v1/metrics", otlp.HTTPProtobuf, otlp.None, 0, nil},
		{"grpc default endpoint", env{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
			"http://localhost:4317", "http://localhost:4317", otlp.GRPC, otlp.None, 0, nil},
		{"base endpoint gets the signal paths", env{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://collector.example:4318/otlp/"},
			"https://collector.example:4318/otlp/v1/traces", "https://collector.example:4318/otlp/v1/metrics", otlp.HTTPProtobuf, otlp.None, 0, nil},
		{"per-signal endpoint is used as it is", env{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://a.example", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://b.example/custom"},
			"https://b.example/custom", "https://a.example/v1/metrics", otlp.HTTPProtobuf, otlp.None, 0, nil},
		{"per-signal endpoint without a path gets the signal path", env{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://b.example"},
			"https://b.example/v1/traces", "http://localhost:4318/v1/metrics", otlp.HTTPProtobuf, otlp.None, 0, nil},
		{"headers, timeout and compression", env{"OTEL_EXPORTER_OTLP_HEADERS": "X-Team=books,Authorization=Bearer%20t", "OTEL_EXPORTER_OTLP_TIMEOUT": "2500", "OTEL_EXPORTER_OTLP_COMPRESSION": "gzip"},
			"http://localhost:4318/v1/traces", "http://localhost:4318/v1/metrics", otlp.HTTPProtobuf, otlp.Gzip, 2500 * time.Millisecond,
			map[string]string{"x-team": "books", "authorization": "Bearer t"}},
		{"per-signal values win", env{"OTEL_EXPORTER_OTLP_TIMEOUT": "1000", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "3000", "OTEL_EXPORTER_OTLP_HEADERS": "a=1", "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "b=2"},
			"http://localhost:4318/v1/traces", "http://localhost:4318/v1/metrics", otlp.HTTPProtobuf, otlp.None, 3 * time.Second,
			map[string]string{"b": "2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := otlp.ConfigFromEnv(tt.env.Lookup)
			if err != nil {
				t.Fatal(err)
			}
			tr, mt, timeout, err := c.Targets()
			if err != nil {
				t.Fatal(err)
			}
			if tr.URL.String() != tt.traces || mt.URL.String() != tt.metrics {
				t.Errorf("targets = %s, %s; want %s, %s", tr.URL, mt.URL, tt.traces, tt.metrics)
			}
			if tr.Protocol != tt.protocol || tr.Compression != tt.compression || timeout != tt.timeout {
				t.Errorf("protocol, compression, timeout = %s, %s, %s", tr.Protocol, tr.Compression, timeout)
			}
			if len(tr.Headers) != len(tt.headers) {
				t.Errorf("headers = %d, want %d", len(tr.Headers), len(tt.headers))
			}
			for k, v := range tt.headers {
				if string(tr.Headers[k]) != v {
					t.Errorf("header %s = %q, want %q", k, string(tr.Headers[k]), v)
				}
			}
		})
	}
}

func TestConfigRejects(t *testing.T) {
	tests := []struct {
		name string
		env  env
		want []string
	}{
		{"unknown protocol", env{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"},
			[]string{`OTEL_EXPORTER_OTLP_PROTOCOL="http/json": unknown protocol; want grpc or http/protobuf`}},
		{"unknown per-signal protocol", env{"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL": "udp"},
			[]string{`OTEL_EXPORTER_OTLP_METRICS_PROTOCOL="udp": unknown protocol`}},
		{"malformed endpoint", env{"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"},
			[]string{`OTEL_EXPORTER_OTLP_ENDPOINT="collector:4318": malformed endpoint`}},
		{"zero timeout", env{"OTEL_EXPORTER_OTLP_TIMEOUT": "0"},
			[]string{`OTEL_EXPORTER_OTLP_TIMEOUT=0: want a positive number of milliseconds`}},
		{"negative per-signal timeout", env{"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "-5"},
			[]string{`OTEL_EXPORTER_OTLP_TRACES_TIMEOUT=-5: want a positive number of milliseconds`}},
		{"timeout not a number", env{"OTEL_EXPORTER_OTLP_TIMEOUT": "10s"},
			[]string{`OTEL_EXPORTER_OTLP_TIMEOUT="10s": want a whole number`}},
		{"unknown compression", env{"OTEL_EXPORTER_OTLP_COMPRESSION": "zstd"},
			[]string{`OTEL_EXPORTER_OTLP_COMPRESSION="zstd": unknown compression; want gzip or none`}},
		{"header name not a token", env{"OTEL_EXPORTER_OTLP_HEADERS": "bad name=v"},
			[]string{`OTEL_EXPORTER_OTLP_HEADERS: "bad name" is not a valid HTTP header name`}},
		{"credentials in the URL", env{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://user:pass@collector"},
			[]string{`OTEL_EXPORTER_OTLP_ENDPOINT="https://[REDACTED]@collector": credentials in the URL are not allowed`}},
		{"several problems together", env{"OTEL_EXPORTER_OTLP_PROTOCOL": "x", "OTEL_EXPORTER_OTLP_COMPRESSION": "y", "OTEL_EXPORTER_OTLP_TIMEOUT": "0"},
			[]string{`PROTOCOL="x"`, `COMPRESSION="y"`, `TIMEOUT=0`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := otlp.ConfigFromEnv(tt.env.Lookup)
			if err == nil {
				err = c.Validate(false)
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
			if strings.Contains(err.Error(), "pass") {
				t.Errorf("a credential is in the error: %v", err)
			}
		})
	}
}
