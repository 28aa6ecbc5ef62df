package newrelic_test

import (
	"strings"
	"testing"

	"github.com/otelswitch/otelswitch/exporters/newrelic"
	"github.com/otelswitch/otelswitch/exporters/otlp"
)

// FuzzConfig reads the backend's variables from fuzzed values. It must never
// panic, never put the licence key in an error, and resolve valid targets
// whenever it reports no error.
func FuzzConfig(f *testing.F) {
	f.Add("0123456789abcdef0123456789abcdef0123NRAL", "us", "", "", "", "", "")
	f.Add("k", "EU", "http://127.0.0.1:4318", "http/protobuf", "none", "otlp", "books;all")
	f.Add("k", "fedramp", "collector:4317", "grpc", "gzip", "", "")
	f.Add("", "mars", "::", "thrift", "zstd", "agent", "")
	f.Add("k\r\nx: y", "us", "https://user:pw@host", "grpc", "", "apm", "")
	f.Add("k", "us", "https://gw.example:4317/path", "grpc", "", "", "")
	f.Fuzz(func(t *testing.T, licenseKey, region, endpoint, protocol, compression, mode, appName string) {
		// The key is framed so that no fixed text of an error can hold it.
		key := "nrk<" + licenseKey + ">nrk"
		e := env{
			"NEW_RELIC_LICENSE_KEY":      key,
			"NEW_RELIC_REGION":           region,
			"NEW_RELIC_OTLP_ENDPOINT":    endpoint,
			"NEW_RELIC_OTLP_PROTOCOL":    protocol,
			"NEW_RELIC_OTLP_COMPRESSION": compression,
			"NEW_RELIC_MODE":             mode,
			"NEW_RELIC_APP_NAME":         appName,
		}
		c, err := fromEnv(e.Lookup)
		if err != nil {
			others := region + endpoint + protocol + compression + mode + appName
			if strings.Contains(err.Error(), key) && !strings.Contains(others, key) {
				t.Fatalf("the licence key is in the error: %v", err)
			}
			return
		}
		if c.Mode == newrelic.ModeAgent {
			// Agent mode reads no OTLP variable.
			return
		}
		tr, mt, err := c.Targets()
		if err != nil {
			t.Fatalf("Validate passed but Targets failed: %v", err)
		}
		for _, target := range []otlp.Target{tr, mt} {
			if target.URL == nil || target.URL.Host == "" {
				t.Fatalf("target without a host: %+v", target)
			}
			if target.URL.Scheme != "http" && target.URL.Scheme != "https" {
				t.Fatalf("scheme %q", target.URL.Scheme)
			}
			if target.Protocol != otlp.GRPC && target.Protocol != otlp.HTTPProtobuf {
				t.Fatalf("protocol %q", target.Protocol)
			}
			if string(target.Headers["api-key"]) != key {
				t.Fatal("api-key header is not the licence key")
			}
			if strings.ContainsAny(key, "\r\n\x00") {
				t.Fatal("a key with a line break was accepted")
			}
		}
		if tr.Protocol == otlp.HTTPProtobuf && !strings.HasSuffix(tr.URL.Path, otlp.TracesPath) {
			t.Fatalf("traces path %q", tr.URL.Path)
		}
		_ = c.Warnings()
		_ = c.ServiceName()
	})
}
