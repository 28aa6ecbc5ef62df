//go:build otelswitch_nojaegerremote

package bootstrap_test

import (
	"strings"
	"testing"
)

// Run by TestSlimBuildTagsLeaveVendorSDKsOut, under the tag.
func TestLeftOutJaegerRemote(t *testing.T) {
	for _, s := range []string{"jaeger_remote", "parentbased_jaeger_remote", "Jaeger_Remote"} {
		err := initErr(env{"TELEMETRY_BACKEND": "none", "OTEL_TRACES_SAMPLER": s})
		if err == nil || !strings.Contains(err.Error(), "OTEL_TRACES_SAMPLER=") || !strings.Contains(err.Error(), "-tags otelswitch_nojaegerremote") {
			t.Errorf("OTEL_TRACES_SAMPLER=%s: Init error = %v; want one naming the variable and the tag otelswitch_nojaegerremote", s, err)
		}
	}
	if err := initErr(env{"TELEMETRY_BACKEND": "none", "OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.5"}); err != nil {
		t.Errorf("a local sampler in a build without the remote one: %v", err)
	}
}
