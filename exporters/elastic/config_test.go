package elastic_test

import (
	"strings"
	"testing"

	"github.com/otelswitch/otelswitch/exporters/elastic"
	"github.com/otelswitch/otelswitch/exporters/otlp"
	"github.com/otelswitch/otelswitch/internal/testutil"
)

type env = testutil.Env

// fromEnv reads the variables and validates them as an environment,
// strict or not, sees them.
func fromEnv(lookup func(string) (string, bool), strict bool) (elastic.Config, error) {
	c, err := elastic.ConfigFromEnv(lookup)
	if err != nil {
		return c, err
	}
	return c, c.Validate(strict)
}

func TestConfigTargets(t *testing.T) {
	tests := []struct {
		name            string
		env             env
		strict          bool
		traces, metrics string
		protocol        string
		auth            string
	}{
		{"development defaults to a local APM Server over gRPC", env{}, false,
			"http://localhost:8200", "http://localhost:8200", otlp.GRPC, ""},
		{"secret token", env{"ELASTIC_APM_SERVER_URL": "https://apm.example:8200", "ELASTIC_APM_SECRET_TOKEN": "tok"}, true,
			"https://apm.example:8200", "https://apm.example:8200", otlp.GRPC, "Bearer tok"},
		{"API key on Elastic Cloud", env{"ELASTIC_APM_SERVER_URL": "https://my-deployment.apm.us-east-1.aws.cloud.es.io:443", "ELASTIC_APM_API_KEY": "aWQ6a2V5"}, true,
			"https://my-deployment.apm.us-east-1.aws.cloud.es.io:443", "https://my-deployment.apm.us-east-1.aws.cloud.es.io:443", otlp.GRPC, "ApiKey aWQ6a2V5"},
		{"http/protobuf appends the signal paths", env{"ELASTIC_APM_SERVER_URL": "https://apm.example:8200", "ELASTIC_APM_SECRET_TOKEN": "tok", "ELASTIC_OTLP_PROTOCOL": "http/protobuf"}, true,
			"https://apm.example:8200/v1/traces", "https://apm.example:8200/v1/metrics", otlp.HTTPProtobuf, "Bearer tok"},
		{"http/protobuf behind a proxy path", env{"ELASTIC_APM_SERVER_URL": "https://gw.example/apm/", "ELASTIC_APM_API_KEY": "k", "ELASTIC_OTLP_PROTOCOL": "http/protobuf"}, true,
			"https://gw.example/apm/v1/traces", "https://gw.example/apm/v1/metrics", otlp.HTTPProtobuf, "ApiKey k"},
		{"a local lab collector without credentials", env{"ELASTIC_APM_SERVER_URL": "http://127.0.0.1:4317"}, false,
			"http://127.0.0.1:4317", "http://127.0.0.1:4317", otlp.GRPC, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := fromEnv(tt.env.Lookup, tt.strict)
			if err != nil {
				t.Fatal(err)
			}
			tr, mt, err := c.Targets(tt.strict)
			if err != nil {
				t.Fatal(err)
			}
			if tr.URL.String() != tt.traces || mt.URL.String() != tt.metrics {
				t.Errorf("targets = %s, %s; want %s, %s", tr.URL, mt.URL, tt.traces, tt.metrics)
			}
			for _, target := range []otlp.Target{tr, mt} {
				if target.Protocol != tt.protocol {
					t.Errorf("protocol = %s, want %s", target.Protocol, tt.protocol)
				}
				if got := string(target.Headers["authorization"]); got != tt.auth {
					t.Errorf("authorization = %q, want %q", got, tt.auth)
				}
			}
		})
	}
}

func TestConfigRejects(t *testing.T) {
	tests := []struct {
		name   string
		env    env
		strict bool
		want   []string
	}{
		{"URL missing in production", env{"ELASTIC_APM_SECRET_TOKEN": "tok"}, true,
			[]string{"ELASTIC_APM_SERVER_URL is not set; staging and production need the APM Server URL"}},
		{"credential missing in production", env{"ELASTIC_APM_SERVER_URL": "https://apm.example:8200"}, true,
			[]string{"neither ELASTIC_APM_SECRET_TOKEN nor ELASTIC_APM_API_KEY is set; staging and production need one"}},
		{"both credentials, even in development", env{"ELASTIC_APM_SECRET_TOKEN": "tok", "ELASTIC_APM_API_KEY": "key"}, false,
			[]string{"ELASTIC_APM_SECRET_TOKEN and ELASTIC_APM_API_KEY are both set; set one"}},
		{"URL without a scheme", env{"ELASTIC_APM_SERVER_URL": "apm.example:8200"}, false,
			[]string{`ELASTIC_APM_SERVER_URL="apm.example:8200": malformed URL; want http:// or https://`}},
		{"URL with another scheme", env{"ELASTIC_APM_SERVER_URL": "tcp://apm.example:8200"}, false,
			[]string{`ELASTIC_APM_SERVER_URL="tcp://apm.example:8200": unsupported scheme "tcp"`}},
		{"URL without a host", env{"ELASTIC_APM_SERVER_URL": "https://"}, false,
			[]string{`ELASTIC_APM_SERVER_URL="https://": malformed endpoint`}},
		{"gRPC with a path", env{"ELASTIC_APM_SERVER_URL": "https://gw.example/apm"}, false,
			[]string{`ELASTIC_APM_SERVER_URL="https://gw.example/apm": gRPC cannot use a URL path; remove "/apm", or set ELASTIC_OTLP_PROTOCOL=http/protobuf`}},
		{"unknown protocol", env{"ELASTIC_OTLP_PROTOCOL": "http/json"}, false,
			[]string{`ELASTIC_OTLP_PROTOCOL="http/json": unknown protocol; want grpc or http/protobuf`}},
		{"token with a line break", env{"ELASTIC_APM_SECRET_TOKEN": "tok\r\nX-Evil: 1"}, false,
			[]string{"ELASTIC_APM_SECRET_TOKEN holds whitespace or a control character"}},
		{"several problems together", env{"ELASTIC_OTLP_PROTOCOL": "thrift"}, true,
			[]string{"ELASTIC_OTLP_PROTOCOL=\"thrift\"", "neither ELASTIC_APM_SECRET_TOKEN", "ELASTIC_APM_SERVER_URL is not set"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := fromEnv(tt.env.Lookup, tt.strict)
			if err == nil {
				t.Fatal("Validate succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
		})
	}
}
