package otlp_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/otelswitch/otelswitch/exporters/otlp"
)

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("!#$%&'*+-.^_`|~", r)) {
			return false
		}
	}
	return true
}

// FuzzParseHeaders checks that ParseHeaders never panics, returns only
// lower-case header names that are HTTP tokens and values that hold no
// control character but tab, and never puts a value in an error.
func FuzzParseHeaders(f *testing.F) {
	for _, seed := range []string{
		"", "api-key=abc", "Authorization=Bearer%20tok,X-Team=books", "bad name=v", "k=a%0D%0AX: y",
		"k=%zz", "=v", "k", "k=v=w", "Ü=v", "k=\x00", "(k)=v", "k=\t",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, list string) {
		headers, _ := otlp.ParseHeaders("OTEL_EXPORTER_OTLP_HEADERS", list)
		for name, value := range headers {
			if !isToken(name) {
				t.Fatalf("header name %q is not a lower-case token", name)
			}
			for _, r := range string(value) {
				if (r < 0x20 && r != '\t') || r == 0x7f {
					t.Fatalf("value of %q holds control character %U", name, r)
				}
			}
		}
		secret := "canary<" + list + ">canary"
		if _, err := otlp.ParseHeaders("OTEL_EXPORTER_OTLP_HEADERS", "x-secret="+secret); err != nil &&
			utf8.ValidString(secret) && strings.Contains(err.Error(), secret) {
			t.Fatalf("the value is in the error: %v", err)
		}
	})
}

// FuzzParseEndpoint checks that ParseEndpoint never panics and that what it
// accepts is an http or https URL with a host and no credentials, with the
// default path added over HTTP when the URL has none.
func FuzzParseEndpoint(f *testing.F) {
	for _, seed := range []string{
		"http://localhost:4318", "https://h.example/custom", "h.example:4317", "http://[::1]:4317",
		"ftp://h", "http://", "http://h:99999", "https://u:p@h", "http://h:http", "//h", "http://h/%zz", "h",
	} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	f.Fuzz(func(t *testing.T, value string, grpc bool) {
		protocol := otlp.HTTPProtobuf
		if grpc {
			protocol = otlp.GRPC
		}
		u, err := otlp.ParseEndpoint("V", value, protocol, otlp.TracesPath)
		if err != nil {
			if u != nil {
				t.Fatal("an error and a URL")
			}
			if ui := userinfo(value); ui != "" && strings.Contains(err.Error(), ui+"@") {
				t.Fatalf("the URL's credentials %q are in the error: %v", ui, err)
			}
			return
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			t.Fatalf("scheme %q accepted", u.Scheme)
		}
		if u.Host == "" || u.User != nil || u.Opaque != "" {
			t.Fatalf("accepted %#v", u)
		}
		if !grpc && u.Path == "" {
			t.Fatalf("no path for HTTP: %s", u)
		}
	})
}

// FuzzConfigTargets reads the OTLP variables from fuzzed values through a
// lookup, as Init does. It must never panic, never put a header value in an
// error, and resolve complete targets whenever it reports no error.
func FuzzConfigTargets(f *testing.F) {
	f.Add("", "", "", "", "", "", "", "")
	f.Add("https://collector:4318", "", "http/protobuf", "", "a=1", "1000", "gzip", "false")
	f.Add("collector:4317", "https://t.example/v1/traces", "grpc", "http/protobuf", "", "-1", "zstd", "maybe")
	f.Add("http://", "::", "x", "y", "bad name=1", "1s", "none", "true")
	f.Add("https://u:p@h", "", "", "grpc", "k=%0D%0A", "0", "", "")
	f.Fuzz(func(t *testing.T, endpoint, tracesEndpoint, protocol, tracesProtocol, headers, timeout, compression, insecure string) {
		const canary = "CANARYHEADERVALUE"
		e := env{
			"OTEL_EXPORTER_OTLP_ENDPOINT":        endpoint,
			"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": tracesEndpoint,
			"OTEL_EXPORTER_OTLP_PROTOCOL":        protocol,
			"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": tracesProtocol,
			"OTEL_EXPORTER_OTLP_HEADERS":         headers + ",x-canary=" + canary,
			"OTEL_EXPORTER_OTLP_TIMEOUT":         timeout,
			"OTEL_EXPORTER_OTLP_COMPRESSION":     compression,
			"OTEL_EXPORTER_OTLP_INSECURE":        insecure,
		}
		// Unset variables must stay unset, as in a real environment.
		for k, v := range e {
			if v == "" {
				delete(e, k)
			}
		}
		c, err := otlp.ConfigFromEnv(e.Lookup)
		if err == nil {
			var tr, mt otlp.Target
			tr, mt, _, err = c.Targets()
			if err == nil {
				for _, target := range []otlp.Target{tr, mt} {
					if target.URL == nil || target.URL.Host == "" {
						t.Fatalf("target without a host: %+v", target)
					}
					if target.Protocol != otlp.GRPC && target.Protocol != otlp.HTTPProtobuf {
						t.Fatalf("protocol %q", target.Protocol)
					}
					if target.Compression != otlp.Gzip && target.Compression != otlp.None {
						t.Fatalf("compression %q", target.Compression)
					}
					if string(target.Headers["x-canary"]) != canary {
						t.Fatal("the general headers were lost")
					}
				}
			}
		}
		inputs := endpoint + tracesEndpoint + protocol + tracesProtocol + headers + timeout + compression + insecure
		if err != nil && strings.Contains(err.Error(), canary) && !strings.Contains(inputs, canary) {
			t.Fatalf("a header value is in the error: %v", err)
		}
	})
}

// userinfo returns what stands between the scheme and the last '@' of the
// authority: the part of an endpoint that may be a credential.
func userinfo(value string) string {
	_, rest, ok := strings.Cut(value, "://")
	if !ok {
		rest = value
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	at := strings.LastIndex(rest, "@")
	if at <= 0 {
		return ""
	}
	return rest[:at]
}
