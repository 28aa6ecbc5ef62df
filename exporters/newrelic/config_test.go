package newrelic_test

import (
	"strings"
	"testing"

	"github.com/otelswitch/otelswitch/exporters/newrelic"
	"github.com/otelswitch/otelswitch/exporters/otlp"
	"github.com/otelswitch/otelswitch/internal/testutil"
)

// key is a licence key of the real length; it is no real key.
const key = "0123456789abcdef0123456789abcdef0123NRAL"

// euKey is an EU licence key as New Relic issues them: region eu01, then x.
const euKey = "eu01xx6789abcdef0123456789abcdef0123NRAL"

type env = testutil.Env

// fromEnv reads the variables and validates them (strict or not is the
// same to New Relic: the licence key is always required).
func fromEnv(lookup func(string) (string, bool)) (newrelic.Config, error) {
	c, err := newrelic.ConfigFromEnv(lookup)
	if err != nil {
		return c, err
	}
	return c, c.Validate(false)
}

func TestConfigTargets(t *testing.T) {
	tests := []struct {
		name              string
		env               env
		traces, metrics   string
		protocol, compres string
	}{
		{"defaults: US over http/protobuf with gzip", env{"NEW_RELIC_LICENSE_KEY": key},
			"https://otlp.nr-data.net:4318/v1/traces", "https://otlp.nr-data.net:4318/v1/metrics", otlp.HTTPProtobuf, otlp.Gzip},
		{"EU", env{"NEW_RELIC_LICENSE_KEY": key, "NEW_RELIC_REGION": "eu"},
			"https://otlp.eu01.nr-data.net:4318/v1/traces", "https://otlp.eu01.nr-data.net:4318/v1/metrics", otlp.HTTPProtobuf, otlp.Gzip},
		{"region is not case sensitive", env{"NEW_RELIC_LICENSE_KEY": key, "NEW_RELIC_REGION": "EU"},
			"https://otlp.eu01.nr-data.net:4318/v1/traces", "https://otlp.eu01.nr-data.net:4318/v1/metrics", otlp.HTTPProtobuf, otlp.Gzip},
		{"an EU key with no region goes to the EU, as the agents do", env{"NEW_RELIC_LICENSE_KEY": euKey},
			"https://otlp.eu01.nr-data.net:4318/v1/traces", "https://otlp.eu01.nr-data.net:4318/v1/metrics", otlp.HTTPProtobuf, otlp.Gzip},
		{"an EU key with region eu", env{"NEW_RELIC_LICENSE_KEY": euKey, "NEW_RELIC_REGION": "eu"},
			"https://otlp.eu01.nr-data.net:4318/v1/traces", "https://otlp.eu01.nr-data.net:4318/v1/metrics", otlp.HTTPProtobuf, otlp.Gzip},
		{"a key naming another region goes to its hosts", env{"NEW_RELIC_LICENSE_KEY": "eu02xx6789abcdef0123456789abcdef0123NRAL"},
			"https://otlp.eu02.nr-data.net:4318/v1/traces", "https://otlp.eu02.nr-data.net:4318/v1/metrics", otlp.HTTPProtobuf, otlp.Gzip},
		{"an EU key over gRPC", env{"NEW_RELIC_LICENSE_KEY": euKey, "NEW_RELIC_OTLP_PROTOCOL": "grpc"},
			"https://otlp.eu01.nr-data.net:4317", "https://otlp.eu01.nr-data.net:4317", otlp.GRPC, otlp.Gzip},
		{"FedRAMP", env{"NEW_RELIC_LICENSE_KEY": key, "NEW_RELIC_REGION": "fedramp"},
			"https://gov-otlp.nr-data.net:4318/v1/traces", "https://gov-otlp.nr-data.net:4318/v1/metrics", otlp.HTTPProtobuf, otlp.Gzip},
		{"gRPC on 4317", env{"NEW_RELIC_LICENSE_KEY": key, "NEW_RELIC_OTLP_PROTOCOL": "grpc"},
			"https://otlp.nr-data.net:4317", "https://otlp.nr-data.net:4317", otlp.GRPC, otlp.Gzip},
		{"no compression", env{"NEW_RELIC_LICENSE_KEY": key, "NEW_RELIC_OTLP_COMPRESSION": "none"},
			"https://otlp.nr-data.net:4318/v1/traces", "https://otlp.nr-data.net:4318/v1/metrics", otlp.HTTPProtobuf, otlp.None},
		{"endpoint override to a local collector", env{"NEW_RELIC_LICENSE_KEY": key, "NEW_RELIC_OTLP_ENDPOINT": "http://127.0.0.1:4318"},
			"http://127.0.0.1:4318/v1/traces", "http://127.0.0.1:4318/v1/metrics", otlp.HTTPProtobuf, otlp.Gzip},
		{"endpoint with a base path", env{"NEW_RELIC_LICENSE_KEY": key, "NEW_RELIC_OTLP_ENDPOINT": "https://gw.example/nr/"},
			"https://gw.example/nr/v1/traces", "https://gw.example/nr/v1/metrics", otlp.HTTPProtobuf, otlp.Gzip},
		{"endpoint override wins over region", env{"NEW_RELIC_LICENSE_KEY": key, "NEW_RELIC_REGION": "eu", "NEW_RELIC_OTLP_ENDPOINT": "http://localhost:4318"},
			"http://localhost:4318/v1/traces", "http://localhost:4318/v1/metrics", otlp.HTTPProtobuf, otlp.Gzip},
		{"gRPC endpoint as host:port", env{"NEW_RELIC_LICENSE_KEY": key, "NEW_RELIC_OTLP_PROTOCOL": "grpc", "NEW_RELIC_OTLP_ENDPOINT": "collector:4317"},
			"https://collector:4317", "https://collector:4317", otlp.GRPC, otlp.Gzip},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := fromEnv(tt.env.Lookup)
			if err != nil {
				t.Fatal(err)
			}
			tr, mt, err := c.Targets()
			if err != nil {
				t.Fatal(err)
			}
			if tr.URL.String() != tt.traces || mt.URL.String() != tt.metrics {
				t.Errorf("targets = %s, %s; want %s, %s", tr.URL, mt.URL, tt.traces, tt.metrics)
			}
			for _, target := range []otlp.Target{tr, mt} {
				if target.Protocol != tt.protocol || target.Compression != tt.compres {
					t.Errorf("protocol, compression = %s, %s; want %s, %s", target.Protocol, target.Compression, tt.protocol, tt.compres)
				}
				if got := string(target.Headers["api-key"]); got != tt.env["NEW_RELIC_LICENSE_KEY"] || len(target.Headers) != 1 {
					t.Errorf("headers = %d, api-key = %q; want only the licence key", len(target.Headers), got)
				}
			}
		})
	}
}

func TestConfigRejects(t *testing.T) {
	tests := []struct {
		name string
		env  env
		want []string // each must appear in the error
	}{
		{"missing licence key", env{},
			[]string{"NEW_RELIC_LICENSE_KEY is not set"}},
		{"empty licence key", env{"NEW_RELIC_LICENSE_KEY": ""},
			[]string{"NEW_RELIC_LICENSE_KEY is not set"}},
		{"licence key with a line break", env{"NEW_RELIC_LICENSE_KEY": key + "\n"},
			[]string{"NEW_RELIC_LICENSE_KEY holds whitespace or a control character"}},
		{"unknown region", env{"NEW_RELIC_LICENSE_KEY": key, "NEW_RELIC_REGION": "mars"},
			[]string{`NEW_RELIC_REGION="mars": unknown region; want us, eu or fedramp`}},
		{"an EU key with region us", env{"NEW_RELIC_LICENSE_KEY": euKey, "NEW_RELIC_REGION": "us"},
			[]string{`NEW_RELIC_REGION="us" contradicts NEW_RELIC_LICENSE_KEY, whose region is "eu01"`}},
		{"an EU key with region fedramp", env{"NEW_RELIC_LICENSE_KEY": euKey, "NEW_RELIC_REGION": "fedramp"},
			[]string{`NEW_RELIC_REGION="fedramp" contradicts NEW_RELIC_LICENSE_KEY, whose region is "eu01"`}},
		{"an EU key with region us in agent mode", env{"NEW_RELIC_LICENSE_KEY": euKey, "NEW_RELIC_REGION": "us", "NEW_RELIC_MODE": "agent"},
			[]string{`NEW_RELIC_REGION="us" contradicts NEW_RELIC_LICENSE_KEY, whose region is "eu01"`}},
		{"unknown protocol", env{"NEW_RELIC_LICENSE_KEY": key, "NEW_RELIC_OTLP_PROTOCOL": "http/json"},
			[]string{`NEW_RELIC_OTLP_PROTOCOL="http/json": unknown protocol; want grpc or http/protobuf`}},
		{"unknown compression", env{"NEW_RELIC_LICENSE_KEY": key, "NEW_RELIC_OTLP_COMPRESSION": "zstd"},
			[]string{`NEW_RELIC_OTLP_COMPRESSION="zstd": unknown compression; want gzip or none`}},
		{"unknown mode", env{"NEW_RELIC_LICENSE_KEY": key, "NEW_RELIC_MODE": "apm"},
			[]string{`NEW_RELIC_MODE="apm": unknown mode; want otlp or agent`}},
		{"malformed endpoint", env{"NEW_RELIC_LICENSE_KEY": key, "NEW_RELIC_OTLP_ENDPOINT": "otlp.nr-data.net"},
			[]string{`NEW_RELIC_OTLP_ENDPOINT="otlp.nr-data.net": malformed endpoint`}},
		{"endpoint with an unsupported scheme", env{"NEW_RELIC_LICENSE_KEY": key, "NEW_RELIC_OTLP_ENDPOINT": "ftp://otlp.nr-data.net"},
			[]string{`NEW_RELIC_OTLP_ENDPOINT="ftp://otlp.nr-data.net": unsupported scheme "ftp"`}},
		{"gRPC endpoint with a path", env{"NEW_RELIC_LICENSE_KEY": key, "NEW_RELIC_OTLP_PROTOCOL": "grpc", "NEW_RELIC_OTLP_ENDPOINT": "https://gw.example:4317/nr"},
			[]string{`NEW_RELIC_OTLP_ENDPOINT="https://gw.example:4317/nr": gRPC cannot use a URL path`}},
		{"several problems together", env{"NEW_RELIC_REGION": "mars", "NEW_RELIC_OTLP_PROTOCOL": "thrift", "NEW_RELIC_MODE": "apm"},
			[]string{"NEW_RELIC_LICENSE_KEY is not set", `NEW_RELIC_REGION="mars"`, `NEW_RELIC_OTLP_PROTOCOL="thrift"`, `NEW_RELIC_MODE="apm"`}},
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
		})
	}
}

func TestWarnings(t *testing.T) {
	if w := (newrelic.Config{LicenseKey: key}).Warnings(); len(w) != 0 {
		t.Errorf("a 40-character key drew warnings: %q", w)
	}
	w := (newrelic.Config{LicenseKey: "NRAK-SHORTUSERKEY"}).Warnings()
	if len(w) != 1 || !strings.Contains(w[0], "NEW_RELIC_LICENSE_KEY is not 40 characters long") {
		t.Errorf("warnings = %q; want one about the key's length", w)
	}
	if strings.Contains(strings.Join(w, ""), "SHORTUSERKEY") {
		t.Error("a warning holds the key")
	}
	if c, err := fromEnv(env{"NEW_RELIC_LICENSE_KEY": "NRAK-SHORTUSERKEY"}.Lookup); err != nil || len(c.Warnings()) != 1 {
		t.Errorf("an unusual key must be accepted with a warning: %v", err)
	}
}

func TestServiceName(t *testing.T) {
	for in, want := range map[string]string{"": "", "books": "books", " books ; all-apps;x": "books"} {
		if got := (newrelic.Config{AppName: in}).ServiceName(); got != want {
			t.Errorf("ServiceName(%q) = %q, want %q", in, got, want)
		}
	}
}
