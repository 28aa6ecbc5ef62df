//go:build otelswitch_nodatadog

package bootstrap_test

import (
	"strings"
	"testing"
)

// Run by TestSlimBuildTagsLeaveVendorSDKsOut, under the tag.
func TestLeftOutDatadog(t *testing.T) {
	for _, e := range []env{
		{"TELEMETRY_BACKEND": "datadog"},
		{"TELEMETRY_BACKEND": "jaeger,datadog"},
		{"ENVIRONMENT": "production", "DD_AGENT_HOST": "dd-agent"}, // chosen by its credentials
		{"TELEMETRY_BACKEND": "jaeger", "OTEL_PROPAGATORS": "tracecontext,datadog"},
	} {
		err := initErr(e)
		if err == nil || !strings.Contains(err.Error(), "otelswitch_nodatadog") || strings.Contains(err.Error(), "unknown") {
			t.Errorf("%v: Init error = %v; want one naming the tag otelswitch_nodatadog", e, err)
		}
	}
	if err := initErr(env{"TELEMETRY_BACKEND": "jaeger"}); err != nil {
		t.Errorf("jaeger in a build without Datadog: %v", err)
	}
}
