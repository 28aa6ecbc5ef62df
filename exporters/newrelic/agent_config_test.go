package newrelic_test

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/otelswitch/otelswitch/bootstrap"
	"github.com/otelswitch/otelswitch/exporters/newrelic"
)

// TestAgentConfigResolves checks which collector and app name agent mode
// gives the Go agent. The serverless hook keeps the agent off the network.
func TestAgentConfigResolves(t *testing.T) {
	tests := []struct {
		name        string
		env         env
		serviceName string
		collector   string
		application string
	}{
		{"defaults: the agent's default collector for a key naming no region", env{}, "books", "collector.newrelic.com", "books"},
		{"an EU key names the EU collector", env{"NEW_RELIC_LICENSE_KEY": euKey}, "books", "collector.eu01.nr-data.net", "books"},
		{"EU", env{"NEW_RELIC_REGION": "eu"}, "books", "collector.eu01.nr-data.net", "books"},
		{"FedRAMP", env{"NEW_RELIC_REGION": "FedRAMP"}, "books", "gov-collector.newrelic.com", "books"},
		{"NEW_RELIC_HOST wins over the region", env{"NEW_RELIC_REGION": "eu", "NEW_RELIC_HOST": "nr-proxy.internal:8443"}, "books", "nr-proxy.internal:8443", "books"},
		{"IPv6 host", env{"NEW_RELIC_HOST": "[::1]:8443"}, "books", "[::1]:8443", "books"},
		{"NEW_RELIC_APP_NAME with rollups when the service is unnamed", env{"NEW_RELIC_APP_NAME": "books ; all-apps"}, "unknown_service:books.test", "collector.newrelic.com", "books;all-apps"},
		{"the service name wins over NEW_RELIC_APP_NAME", env{"NEW_RELIC_APP_NAME": "legacy"}, "books", "collector.newrelic.com", "books"},
		{"OTLP variables are not read", env{"NEW_RELIC_OTLP_PROTOCOL": "thrift", "NEW_RELIC_OTLP_ENDPOINT": "::"}, "books", "collector.newrelic.com", "books"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := settings(agentEnv(tt.env))
			s.ServiceName = tt.serviceName
			b, err := newrelic.AgentServerlessFactory(io.Discard).New(context.Background(), s)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = b.SpanProcessor.Shutdown(context.Background()) }()
			var got struct {
				Mode        string `json:"mode"`
				LicenseKey  string `json:"license_key"`
				Collector   string `json:"collector"`
				Application string `json:"application"`
			}
			raw, _ := json.Marshal(b.Config)
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatal(err)
			}
			if got.Mode != "agent" || got.Collector != tt.collector || got.Application != tt.application || got.LicenseKey != "[REDACTED]" {
				t.Errorf("resolved %s; want collector %q application %q, key redacted", raw, tt.collector, tt.application)
			}
		})
	}
}

func TestAgentConfigRejects(t *testing.T) {
	tests := []struct {
		name string
		env  env
		want []string // each must appear in the error
	}{
		{"missing licence key", env{"NEW_RELIC_MODE": "agent"},
			[]string{"NEW_RELIC_LICENSE_KEY is not set"}},
		{"a key the Go agent refuses", env{"NEW_RELIC_MODE": "agent", "NEW_RELIC_LICENSE_KEY": "NRAK-SHORTUSERKEY"},
			[]string{"NEW_RELIC_LICENSE_KEY is 17 characters long; NEW_RELIC_MODE=agent needs a 40-character licence (Ingest - License) key"}},
		{"a key with a line break", env{"NEW_RELIC_MODE": "agent", "NEW_RELIC_LICENSE_KEY": key[:39] + "\n"},
			[]string{"NEW_RELIC_LICENSE_KEY holds whitespace or a control character"}},
		{"malformed labels", env{"NEW_RELIC_MODE": "agent", "NEW_RELIC_LICENSE_KEY": key, "NEW_RELIC_LABELS": "Server:North;South"},
			[]string{`NEW_RELIC_LABELS="Server:North;South": "South" is not a type:value pair`}},
		{"high security with a policies token", env{"NEW_RELIC_MODE": "agent", "NEW_RELIC_LICENSE_KEY": key, "NEW_RELIC_HIGH_SECURITY": "true", "NEW_RELIC_SECURITY_POLICIES_TOKEN": "t"},
			[]string{"NEW_RELIC_HIGH_SECURITY=true and NEW_RELIC_SECURITY_POLICIES_TOKEN are both set"}},
		{"high security not a bool", env{"NEW_RELIC_MODE": "agent", "NEW_RELIC_LICENSE_KEY": key, "NEW_RELIC_HIGH_SECURITY": "yes please"},
			[]string{`NEW_RELIC_HIGH_SECURITY="yes please"`}},
		{"unknown region", env{"NEW_RELIC_MODE": "agent", "NEW_RELIC_LICENSE_KEY": key, "NEW_RELIC_REGION": "mars"},
			[]string{`NEW_RELIC_REGION="mars": unknown region; want us, eu or fedramp`}},
		{"host with a scheme", env{"NEW_RELIC_MODE": "agent", "NEW_RELIC_LICENSE_KEY": key, "NEW_RELIC_HOST": "https://collector.newrelic.com"},
			[]string{`NEW_RELIC_HOST="https://collector.newrelic.com": a scheme is not allowed; want a host name or host:port`}},
		{"host with a path", env{"NEW_RELIC_MODE": "agent", "NEW_RELIC_LICENSE_KEY": key, "NEW_RELIC_HOST": "proxy/nr"},
			[]string{`NEW_RELIC_HOST="proxy/nr": a path, user or space is not allowed`}},
		{"host with a bad port", env{"NEW_RELIC_MODE": "agent", "NEW_RELIC_LICENSE_KEY": key, "NEW_RELIC_HOST": "proxy:99999"},
			[]string{`NEW_RELIC_HOST="proxy:99999": bad port`}},
		{"four app names", env{"NEW_RELIC_MODE": "agent", "NEW_RELIC_LICENSE_KEY": key, "NEW_RELIC_APP_NAME": "a;b;c;d"},
			[]string{`NEW_RELIC_APP_NAME="a;b;c;d": at most 3 names separated by semicolons`}},
		{"several problems together", env{"NEW_RELIC_MODE": "agent", "NEW_RELIC_REGION": "mars", "NEW_RELIC_HOST": "http://x"},
			[]string{"NEW_RELIC_LICENSE_KEY is not set", `NEW_RELIC_REGION="mars"`, `NEW_RELIC_HOST="http://x"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := fromEnv(tt.env.Lookup)
			if err == nil {
				t.Fatal("Validate succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
			if k := tt.env["NEW_RELIC_LICENSE_KEY"]; k != "" && strings.Contains(err.Error(), k) {
				t.Error("the licence key is in the error")
			}
		})
	}
}

// TestAgentConfigThroughInit: Init names the variable when agent mode is
// misconfigured, and starts nothing.
func TestAgentConfigThroughInit(t *testing.T) {
	e := agentEnv(env{"NEW_RELIC_LICENSE_KEY": ""})
	tel, err := bootstrap.Init(context.Background(), bootstrap.WithLookupEnv(e.Lookup), bootstrap.WithoutGlobals(), bootstrap.WithLogOutput(io.Discard))
	if err == nil {
		_ = tel.Shutdown(context.Background())
		t.Fatal("Init succeeded without a licence key")
	}
	if !strings.Contains(err.Error(), "NEW_RELIC_LICENSE_KEY is not set") {
		t.Errorf("Init error %v", err)
	}
}

func TestAgentWarnings(t *testing.T) {
	c, err := fromEnv(env{"NEW_RELIC_MODE": "agent", "NEW_RELIC_LICENSE_KEY": key, "NEW_RELIC_OTLP_ENDPOINT": "http://127.0.0.1:4318"}.Lookup)
	if err != nil {
		t.Fatal(err)
	}
	if w := c.Warnings(); len(w) != 1 || !strings.Contains(w[0], "NEW_RELIC_OTLP_ENDPOINT is set but NEW_RELIC_MODE=agent does not use it") {
		t.Errorf("agent-mode warnings %q", w)
	}
	c, err = fromEnv(env{"NEW_RELIC_LICENSE_KEY": key, "NEW_RELIC_HOST": "collector.newrelic.com"}.Lookup)
	if err != nil {
		t.Fatal(err)
	}
	if w := c.Warnings(); len(w) != 1 || !strings.Contains(w[0], "NEW_RELIC_HOST is set but applies to NEW_RELIC_MODE=agent only") {
		t.Errorf("otlp-mode warnings %q", w)
	}
}
