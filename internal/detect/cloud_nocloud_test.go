//go:build otelswitch_nocloud

package detect_test

import (
	"strings"
	"testing"

	"github.com/otelswitch/otelswitch/internal/detect"
)

// Run by bootstrap's TestSlimBuildTagsLeaveVendorSDKsOut, under the tag:
// every cloud detector is known but left out, and naming one says which tag
// to drop; the always-on names still pass.
func TestLeftOutCloudDetectors(t *testing.T) {
	for _, name := range []string{"aws_ec2", "aws_ecs", "aws_eks", "gcp", "azure_vm", "ec2"} {
		_, err := detect.ParseDetectors("OTEL_RESOURCE_DETECTORS", "env,"+name)
		if err == nil || !strings.Contains(err.Error(), "-tags otelswitch_nocloud") || strings.Contains(err.Error(), "unknown") {
			t.Errorf("%s: error %v; want one naming the tag otelswitch_nocloud", name, err)
		}
	}
	if got, err := detect.ParseDetectors("OTEL_RESOURCE_DETECTORS", "env,host,k8s"); err != nil || len(got) != 0 {
		t.Errorf("local detectors: %q, %v", got, err)
	}
}
