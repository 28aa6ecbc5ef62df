//go:build otelswitch_nocloud

package bootstrap_test

import (
	"strings"
	"testing"
)

// Run by TestSlimBuildTagsLeaveVendorSDKsOut, under the tag.
func TestLeftOutCloud(t *testing.T) {
	for _, d := range []string{"aws_ec2", "aws_eks", "gcp", "azure", "env,host,aws_ecs"} {
		err := initErr(env{"TELEMETRY_BACKEND": "none", "OTEL_RESOURCE_DETECTORS": d})
		if err == nil || !strings.Contains(err.Error(), "OTEL_RESOURCE_DETECTORS=") || !strings.Contains(err.Error(), "otelswitch_nocloud") {
			t.Errorf("OTEL_RESOURCE_DETECTORS=%s: Init error = %v; want one naming the variable and the tag otelswitch_nocloud", d, err)
		}
	}
	if err := initErr(env{"TELEMETRY_BACKEND": "none", "OTEL_RESOURCE_DETECTORS": "env,host,container,k8s"}); err != nil {
		t.Errorf("local detectors in a build without the cloud ones: %v", err)
	}
}
