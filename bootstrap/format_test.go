package bootstrap_test

import (
	"fmt"
	"strings"
	"testing"
)

// The handle prints as its configuration, credentials redacted, under every
// verb: fmt would otherwise print its unexported fields in full.
func TestHandlePrintsWithoutCredentials(t *testing.T) {
	const key = "handle-licence-key-0000000000000000000NRAL"
	tel, _ := initEnv(t, env{
		"TELEMETRY_BACKEND":       "newrelic",
		"NEW_RELIC_LICENSE_KEY":   key,
		"NEW_RELIC_OTLP_ENDPOINT": "http://127.0.0.1:4318",
		"TELEMETRY_METRICS":       "false",
	})
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		got := fmt.Sprintf(verb, tel)
		if strings.Contains(got, key) || strings.Contains(got, fmt.Sprintf("%x", key)) {
			t.Errorf("%s of the handle shows the licence key: %s", verb, got)
		}
		if !strings.Contains(got, `"newrelic"`) || !strings.Contains(got, "[REDACTED]") {
			t.Errorf("%s of the handle = %s, want its configuration", verb, got)
		}
	}
}
