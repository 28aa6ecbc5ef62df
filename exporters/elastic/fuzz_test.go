package elastic_test

import (
	"strings"
	"testing"

	"github.com/otelswitch/otelswitch/exporters/otlp"
)

// FuzzConfig reads the backend's variables from fuzzed values, in both
// strict and lenient environments. It must never panic, never put a
// credential in an error, and resolve valid targets whenever it reports no
// error.
func FuzzConfig(f *testing.F) {
	f.Add("https://apm.example:8200", "tok", "", "grpc", "", "", true)
	f.Add("", "", "", "", "", "", false)
	f.Add("http://127.0.0.1:4318/prefix", "", "a2V5", "http/protobuf", "books", "prod-eu", false)
	f.Add("apm:8200", "tok", "key", "thrift", "", "", true)
	f.Add("https://user:pw@apm.example", "t\r\nx: y", "", "", "", "", true)
	f.Add("https://gw.example/apm", "tok", "", "grpc", "", "", false)
	f.Fuzz(func(t *testing.T, serverURL, token, apiKey, protocol, serviceName, environment string, strict bool) {
		// Credentials are framed so that no fixed text of an error can hold
		// them; an empty one stays empty, for "unset".
		frame := func(s string) string {
			if s == "" {
				return ""
			}
			return "cred<" + s + ">cred"
		}
		token, apiKey = frame(token), frame(apiKey)
		e := env{
			"ELASTIC_APM_SERVER_URL":   serverURL,
			"ELASTIC_APM_SECRET_TOKEN": token,
			"ELASTIC_APM_API_KEY":      apiKey,
			"ELASTIC_OTLP_PROTOCOL":    protocol,
			"ELASTIC_APM_SERVICE_NAME": serviceName,
			"ELASTIC_APM_ENVIRONMENT":  environment,
		}
		c, err := fromEnv(e.Lookup, strict)
		if err != nil {
			others := serverURL + protocol + serviceName + environment
			for _, cred := range []string{token, apiKey} {
				if cred != "" && strings.Contains(err.Error(), cred) && !strings.Contains(others, cred) {
					t.Fatalf("a credential is in the error: %v", err)
				}
			}
			return
		}
		if token != "" && apiKey != "" {
			t.Fatal("both credentials were accepted")
		}
		if strict && ((token == "" && apiKey == "") || serverURL == "") {
			t.Fatal("a strict environment accepted a missing URL or credential")
		}
		tr, mt, err := c.Targets(strict)
		if err != nil {
			t.Fatalf("Validate passed but Targets failed: %v", err)
		}
		for _, target := range []otlp.Target{tr, mt} {
			if target.URL == nil || target.URL.Host == "" || (target.URL.Scheme != "http" && target.URL.Scheme != "https") {
				t.Fatalf("target %+v", target)
			}
			auth := string(target.Headers["authorization"])
			switch {
			case token != "" && auth != "Bearer "+token, apiKey != "" && auth != "ApiKey "+apiKey:
				t.Fatal("authorization header does not carry the credential")
			case strings.ContainsAny(auth, "\r\n\x00"):
				t.Fatal("a credential with a line break was accepted")
			}
		}
	})
}
