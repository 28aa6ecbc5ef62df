package otlp_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/otelswitch/otelswitch/exporters/otlp"
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
