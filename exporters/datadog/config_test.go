package datadog_test

import (
	"strings"
	"testing"

	"go.opentelemetry.io/otel/sdk/resource"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/exporters/datadog"
	"github.com/otelswitch/otelswitch/internal/testutil"
)

func TestConfigFromEnvRejectsBadInput(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string // every one must appear in the error
	}{
		{"unknown mode", map[string]string{"DATADOG_MODE": "agentless"},
			[]string{`DATADOG_MODE="agentless": unknown mode; want native or otlp`}},
		{"port not a number", map[string]string{"DD_TRACE_AGENT_PORT": "eight"},
			[]string{`DD_TRACE_AGENT_PORT="eight": want a whole number`}},
		{"port out of range", map[string]string{"DD_TRACE_AGENT_PORT": "70000"},
			[]string{`DD_TRACE_AGENT_PORT=70000: want a port from 1 to 65535`}},
		{"host with a scheme", map[string]string{"DD_AGENT_HOST": "http://agent"},
			[]string{`DD_AGENT_HOST="http://agent": want a host name or IP address, without scheme or port`}},
		{"agent URL scheme", map[string]string{"DD_TRACE_AGENT_URL": "tcp://agent:8126"},
			[]string{`DD_TRACE_AGENT_URL="tcp://agent:8126": unsupported scheme "tcp"; want http, https or unix`}},
		{"agent URL without host", map[string]string{"DD_TRACE_AGENT_URL": "http://"},
			[]string{`DD_TRACE_AGENT_URL="http://": no host`}},
		{"socket without path", map[string]string{"DD_TRACE_AGENT_URL": "unix://"},
			[]string{`DD_TRACE_AGENT_URL="unix://": no socket path`}},
		{"credentials in the agent URL", map[string]string{"DD_TRACE_AGENT_URL": "http://user:pw@agent:8126"},
			[]string{`DD_TRACE_AGENT_URL: credentials in the URL are not allowed`}},
		{"unknown OTLP protocol", map[string]string{"DATADOG_MODE": "otlp", "DATADOG_OTLP_PROTOCOL": "http/json"},
			[]string{`DATADOG_OTLP_PROTOCOL="http/json": unknown protocol; want grpc or http/protobuf`}},
		{"malformed OTLP endpoint", map[string]string{"DATADOG_MODE": "otlp", "DATADOG_OTLP_ENDPOINT": "ftp://agent:4317"},
			[]string{`DATADOG_OTLP_ENDPOINT="ftp://agent:4317": unsupported scheme "ftp"`}},
		{"tag without key", map[string]string{"DD_TAGS": "team:books,:web"},
			[]string{`DD_TAGS="team:books,:web": entry ":web" has no key; want key:value`}},
		{"CR LF in tags", map[string]string{"DD_TAGS": "team:books\r\nX-Evil: 1"},
			[]string{`DD_TAGS: holds a control character`}},
		{"commit that is not a hash", map[string]string{"DD_GIT_COMMIT_SHA": "main"},
			[]string{`DD_GIT_COMMIT_SHA="main": not a git commit hash; want hexadecimal digits`}},
		{"process tags not a bool", map[string]string{"DD_EXPERIMENTAL_PROPAGATE_PROCESS_TAGS_ENABLED": "maybe"},
			[]string{`DD_EXPERIMENTAL_PROPAGATE_PROCESS_TAGS_ENABLED="maybe"`}},
		{"several problems together", map[string]string{"DATADOG_MODE": "nope", "DD_TRACE_AGENT_PORT": "0", "DD_TAGS": ":x"},
			[]string{`DATADOG_MODE="nope"`, `DD_TRACE_AGENT_PORT=0`, `DD_TAGS=":x"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := fromEnv(testutil.Env(tt.env).Lookup)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\ndoes not contain\n%s", err, w)
				}
			}
		})
	}
}

func TestAgent(t *testing.T) {
	tests := []struct {
		name       string
		env        map[string]string
		wantURL    string
		wantSocket string
		wantVar    string
	}{
		{"default", nil, "http://localhost:8126", "", "DD_TRACE_AGENT_PORT"},
		{"host", map[string]string{"DD_AGENT_HOST": "10.0.0.7"}, "http://10.0.0.7:8126", "", "DD_AGENT_HOST"},
		{"host and port", map[string]string{"DD_AGENT_HOST": "agent", "DD_TRACE_AGENT_PORT": "9126"}, "http://agent:9126", "", "DD_AGENT_HOST"},
		{"IPv6 host", map[string]string{"DD_AGENT_HOST": "::1"}, "http://[::1]:8126", "", "DD_AGENT_HOST"},
		{"URL wins over host and port", map[string]string{"DD_AGENT_HOST": "agent", "DD_TRACE_AGENT_PORT": "9126", "DD_TRACE_AGENT_URL": "https://apm.example:8443/ignored"},
			"https://apm.example:8443", "", "DD_TRACE_AGENT_URL"},
		{"Unix socket", map[string]string{"DD_TRACE_AGENT_URL": "unix:///var/run/datadog/apm.socket"},
			"unix:///var/run/datadog/apm.socket", "/var/run/datadog/apm.socket", "DD_TRACE_AGENT_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := fromEnv(testutil.Env(tt.env).Lookup)
			if err != nil {
				t.Fatal(err)
			}
			a, err := c.Agent()
			if err != nil {
				t.Fatal(err)
			}
			if a.URL.String() != tt.wantURL || a.Socket() != tt.wantSocket || a.Var != tt.wantVar {
				t.Errorf("Agent() = %s (socket %q, from %s); want %s (socket %q, from %s)",
					a.URL, a.Socket(), a.Var, tt.wantURL, tt.wantSocket, tt.wantVar)
			}
		})
	}
}

func TestAgentTLSPolicy(t *testing.T) {
	tests := []struct {
		env           map[string]string
		strict, allow bool
		wantErr       string
	}{
		{map[string]string{"DD_AGENT_HOST": "10.0.0.7"}, false, false, ""},
		{map[string]string{"DD_AGENT_HOST": "10.0.0.7"}, true, false,
			`DD_AGENT_HOST="http://10.0.0.7:8126": plaintext to a host that is not loopback is refused in staging and production; point DD_TRACE_AGENT_URL at the Agent's socket (unix:///var/run/datadog/apm.socket), or set TELEMETRY_ALLOW_INSECURE=true`},
		{map[string]string{"DD_AGENT_HOST": "10.0.0.7"}, true, true, ""},
		{map[string]string{"DD_AGENT_HOST": "127.0.0.1"}, true, false, ""},
		{nil, true, false, ""}, // localhost
		{map[string]string{"DD_TRACE_AGENT_URL": "unix:///var/run/datadog/apm.socket"}, true, false, ""},
		{map[string]string{"DD_TRACE_AGENT_URL": "https://agent.internal:8126"}, true, false, ""},
	}
	for _, tt := range tests {
		c, err := fromEnv(testutil.Env(tt.env).Lookup)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := c.Agent()
		err = a.CheckTransport(tt.strict, tt.allow)
		if got := errString(err); !strings.HasPrefix(got, tt.wantErr) || (tt.wantErr == "") != (err == nil) {
			t.Errorf("%v strict=%v allow=%v: err = %q; want %q", tt.env, tt.strict, tt.allow, got, tt.wantErr)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestOTLPTarget(t *testing.T) {
	tests := []struct {
		name      string
		env       map[string]string
		wantURL   string
		wantProto string
		plaintext bool
	}{
		{"default: the local Agent's gRPC port", nil, "http://localhost:4317", "grpc", true},
		{"the Agent's host", map[string]string{"DD_AGENT_HOST": "10.0.0.7"}, "http://10.0.0.7:4317", "grpc", true},
		{"http/protobuf on 4318", map[string]string{"DD_AGENT_HOST": "agent", "DATADOG_OTLP_PROTOCOL": "http/protobuf"},
			"http://agent:4318/v1/traces", "http/protobuf", true},
		{"explicit endpoint", map[string]string{"DD_AGENT_HOST": "agent", "DATADOG_OTLP_ENDPOINT": "https://otlp.internal:4317"},
			"https://otlp.internal:4317", "grpc", false},
		{"bare host:port is plaintext gRPC", map[string]string{"DATADOG_OTLP_ENDPOINT": "agent:4317"}, "https://agent:4317", "grpc", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"DATADOG_MODE": "otlp"}
			for k, v := range tt.env {
				env[k] = v
			}
			c, err := fromEnv(testutil.Env(env).Lookup)
			if err != nil {
				t.Fatal(err)
			}
			tg, err := c.OTLPTarget()
			if err != nil {
				t.Fatal(err)
			}
			plaintext := tg.Insecure || tg.URL.Scheme == "http"
			if tg.URL.String() != tt.wantURL || tg.Protocol != tt.wantProto || plaintext != tt.plaintext {
				t.Errorf("OTLPTarget() = %s %s plaintext=%v; want %s %s plaintext=%v",
					tg.URL, tg.Protocol, plaintext, tt.wantURL, tt.wantProto, tt.plaintext)
			}
		})
	}
}

func TestResolveIdentityPrecedence(t *testing.T) {
	// What bootstrap resolves from OTEL_SERVICE_NAME, SERVICE_VERSION and
	// ENVIRONMENT: the OpenTelemetry resource.
	s := exporters.Settings{
		Environment:    "production",
		ServiceName:    "books-otel",
		ServiceVersion: "1.0.0-otel",
		Resource: resource.NewWithAttributes(semconv.SchemaURL,
			semconv.ServiceName("books-otel"),
			semconv.ServiceVersion("1.0.0-otel"),
			semconv.DeploymentEnvironmentNameKey.String("production"),
		),
	}
	tests := []struct {
		name string
		env  map[string]string
		want datadog.Identity
	}{
		{"the OTel resource when no DD_ variable is set", nil,
			datadog.Identity{Service: "books-otel", Env: "production", Version: "1.0.0-otel"}},
		{"DD_TAGS over the OTel resource", map[string]string{"DD_TAGS": "service:books-tags,env:prod-tags,version:2-tags,team:shelf"},
			datadog.Identity{Service: "books-tags", Env: "prod-tags", Version: "2-tags", Tags: []datadog.Tag{{Key: "team", Value: "shelf"}}}},
		{"DD_SERVICE, DD_ENV, DD_VERSION over DD_TAGS", map[string]string{
			"DD_SERVICE": "books-dd", "DD_ENV": "prod", "DD_VERSION": "3-dd",
			"DD_TAGS": "service:books-tags env:prod-tags version:2-tags team:shelf tier:web"},
			datadog.Identity{Service: "books-dd", Env: "prod", Version: "3-dd", Tags: []datadog.Tag{{Key: "team", Value: "shelf"}, {Key: "tier", Value: "web"}}}},
		{"each variable on its own", map[string]string{"DD_ENV": "prod"},
			datadog.Identity{Service: "books-otel", Env: "prod", Version: "1.0.0-otel"}},
		{"a tag without a value", map[string]string{"DD_TAGS": "canary"},
			datadog.Identity{Service: "books-otel", Env: "production", Version: "1.0.0-otel", Tags: []datadog.Tag{{Key: "canary", Value: ""}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := fromEnv(testutil.Env(tt.env).Lookup)
			if err != nil {
				t.Fatal(err)
			}
			got := datadog.ResolveIdentity(c, s)
			if got.Service != tt.want.Service || got.Env != tt.want.Env || got.Version != tt.want.Version || !equalTags(got.Tags, tt.want.Tags) {
				t.Errorf("ResolveIdentity() = %+v; want %+v", got, tt.want)
			}
		})
	}
}

func equalTags(a, b []datadog.Tag) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDetect(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want bool
	}{
		{nil, false},
		{map[string]string{"DD_AGENT_HOST": "10.0.0.7"}, true},
		{map[string]string{"DD_TRACE_AGENT_URL": "unix:///var/run/datadog/apm.socket"}, true},
		{map[string]string{"DD_AGENT_HOST": ""}, false},
		// Agentless submission is not supported, so an API key alone does
		// not select the backend.
		{map[string]string{"DD_API_KEY": "0123456789abcdef"}, false},
		{map[string]string{"DD_SERVICE": "books", "DD_ENV": "prod"}, false},
	}
	for _, tt := range tests {
		if got := (datadog.Factory{}).Detect(testutil.Env(tt.env).Lookup); got != tt.want {
			t.Errorf("Detect(%v) = %v; want %v", tt.env, got, tt.want)
		}
	}
}
