package otlp_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/otelswitch/otelswitch/exporters/otlp"
	"github.com/otelswitch/otelswitch/internal/secret"
)

func TestParseEndpoint(t *testing.T) {
	tests := []struct {
		value, protocol, want, wantErr string
	}{
		{"http://localhost:4318", otlp.HTTPProtobuf, "http://localhost:4318/v1/traces", ""},
		{"https://h.example/custom", otlp.HTTPProtobuf, "https://h.example/custom", ""},
		{"h.example:4317", otlp.GRPC, "https://h.example:4317", ""},
		{"http://[::1]:4317", otlp.GRPC, "http://[::1]:4317", ""},
		{"h.example:4318", otlp.HTTPProtobuf, "", "malformed endpoint"},
		{"ftp://h.example", otlp.HTTPProtobuf, "", `unsupported scheme "ftp"`},
		{"http://", otlp.HTTPProtobuf, "", "malformed endpoint"},
		{"http://h.example:99999", otlp.HTTPProtobuf, "", `malformed port "99999"`},
		{"https://u:p@h.example", otlp.HTTPProtobuf, "", "credentials in the URL are not allowed"},
	}
	for _, tt := range tests {
		u, err := otlp.ParseEndpoint("V", tt.value, tt.protocol, otlp.TracesPath)
		switch {
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("ParseEndpoint(%q) error = %v, want %q", tt.value, err, tt.wantErr)
		case tt.wantErr == "" && (err != nil || u.String() != tt.want):
			t.Errorf("ParseEndpoint(%q) = %v, %v; want %s", tt.value, u, err, tt.want)
		}
	}
}

func TestCheckTransport(t *testing.T) {
	target := func(raw string, insecure bool) otlp.Target {
		u, _ := url.Parse(raw)
		return otlp.Target{URL: u, Insecure: insecure, EndpointVar: "V"}
	}
	tests := []struct {
		name                  string
		t                     otlp.Target
		strict, allowInsecure bool
		wantErr               bool
	}{
		{"TLS anywhere", target("https://h.example", false), true, false, false},
		{"plaintext in development", target("http://h.example", false), false, false, false},
		{"plaintext to loopback in production", target("http://127.0.0.1:4318", false), true, false, false},
		{"plaintext to localhost in production", target("http://localhost:4318", false), true, false, false},
		{"plaintext to IPv6 loopback in production", target("http://[::1]:4318", false), true, false, false},
		{"plaintext to a remote host in production", target("http://h.example", false), true, false, true},
		{"insecure flag to a remote host in production", target("https://h.example", true), true, false, true},
		{"explicitly allowed", target("http://h.example", false), true, true, false},
	}
	for _, tt := range tests {
		err := tt.t.CheckTransport(tt.strict, tt.allowInsecure)
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: err = %v, want error %v", tt.name, err, tt.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), "TELEMETRY_ALLOW_INSECURE=true") {
			t.Errorf("%s: error does not say how to allow it: %v", tt.name, err)
		}
	}
}

func TestParseHeaders(t *testing.T) {
	h, err := otlp.ParseHeaders("V", "Api-Key=abc,x-b3=1%3D2")
	if err != nil || string(h["api-key"]) != "abc" || string(h["x-b3"]) != "1=2" {
		t.Errorf("ParseHeaders = %v, %v", h, err)
	}
	for in, want := range map[string]string{
		"bad name=v":       `"bad name" is not a valid HTTP header name`,
		"k=a%0D%0AEvil: 1": `value of "k" holds a control character`,
		"k=s3cr3t%zz":      `value of "k" has a malformed percent-encoding`,
		"(k)=v":            `"(k)" is not a valid HTTP header name`,
	} {
		_, err := otlp.ParseHeaders("V", in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseHeaders(%q) = %v, want %q", in, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("a value is in the error: %v", err)
		}
	}
}

func TestParseEndpointNeverShowsCredentials(t *testing.T) {
	for _, value := range []string{
		"https://user:hunter2@collector:4318",
		"ftp://user:hunter2@collector",
		"https://user:hunter2@",
		"user:hunter2@collector:4317",
		"https://user:hunter2@host:port/x",
	} {
		for _, proto := range []string{otlp.GRPC, otlp.HTTPProtobuf} {
			_, err := otlp.ParseEndpoint("OTEL_EXPORTER_OTLP_ENDPOINT", value, proto, otlp.TracesPath)
			if err == nil {
				t.Errorf("ParseEndpoint(%q, %s) accepted credentials in the URL", value, proto)
				continue
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("ParseEndpoint(%q, %s) error shows the password: %v", value, proto, err)
			}
		}
	}
}

func TestBaseTargets(t *testing.T) {
	hints := otlp.Hints{Credentials: "use VENDOR_TOKEN", GRPCPath: "set VENDOR_PROTOCOL=http/protobuf"}
	tests := []struct {
		base, protocol  string
		traces, metrics string
		wantErr         string
	}{
		{"https://v.example:4318", otlp.HTTPProtobuf, "https://v.example:4318/v1/traces", "https://v.example:4318/v1/metrics", ""},
		{"https://gw.example/v/", otlp.HTTPProtobuf, "https://gw.example/v/v1/traces", "https://gw.example/v/v1/metrics", ""},
		{"https://v.example:4317/", otlp.GRPC, "https://v.example:4317/", "https://v.example:4317/", ""},
		{"v.example:4317", otlp.GRPC, "https://v.example:4317", "https://v.example:4317", ""},
		{"https://gw.example/v", otlp.GRPC, "", "", `VENDOR_URL="https://gw.example/v": gRPC cannot use a URL path; remove "/v", or set VENDOR_PROTOCOL=http/protobuf`},
		{"v.example:4318", otlp.HTTPProtobuf, "", "", `VENDOR_URL="v.example:4318": malformed endpoint; want a URL such as https://host:4318`},
		{"https://u:hunter2@v.example", otlp.HTTPProtobuf, "", "", "VENDOR_URL: credentials in the URL are not allowed; use VENDOR_TOKEN"},
		{"u:hunter2@v.example:4318", otlp.HTTPProtobuf, "", "", "VENDOR_URL: credentials in the URL are not allowed; use VENDOR_TOKEN"},
		{"https://u:hunter2@", otlp.GRPC, "", "", "VENDOR_URL: credentials in the URL are not allowed; use VENDOR_TOKEN"},
	}
	for _, tt := range tests {
		tmpl := otlp.Target{Protocol: tt.protocol, Compression: otlp.Gzip, Headers: map[string]secret.String{"k": "v"}}
		tr, mt, err := otlp.BaseTargets("VENDOR_URL", tt.base, tmpl, hints)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("BaseTargets(%q, %s) error = %v, want %q", tt.base, tt.protocol, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("BaseTargets(%q, %s): %v", tt.base, tt.protocol, err)
			continue
		}
		if tr.URL.String() != tt.traces || mt.URL.String() != tt.metrics {
			t.Errorf("BaseTargets(%q, %s) = %s, %s; want %s, %s", tt.base, tt.protocol, tr.URL, mt.URL, tt.traces, tt.metrics)
		}
		for _, target := range []otlp.Target{tr, mt} {
			if target.EndpointVar != "VENDOR_URL" || target.Protocol != tt.protocol || target.Compression != otlp.Gzip || target.Headers["k"] != "v" {
				t.Errorf("BaseTargets(%q, %s) target = %+v; want the template's fields and VENDOR_URL", tt.base, tt.protocol, target)
			}
		}
	}
}
