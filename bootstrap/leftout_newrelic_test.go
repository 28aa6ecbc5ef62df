//go:build otelswitch_nonewrelic

package bootstrap_test

import (
	"strings"
	"testing"
)

// Run by TestSlimBuildTagsLeaveVendorSDKsOut, under the tag.
func TestLeftOutNewRelic(t *testing.T) {
	for _, e := range []env{
		{"TELEMETRY_BACKEND": "newrelic", "NEW_RELIC_LICENSE_KEY": "k"},
		{"ENVIRONMENT": "production", "NEW_RELIC_LICENSE_KEY": "k"},
	} {
		err := initErr(e)
		if err == nil || !strings.Contains(err.Error(), "otelswitch_nonewrelic") || strings.Contains(err.Error(), "unknown") || strings.Contains(err.Error(), `"k"`) {
			t.Errorf("%v: Init error = %v; want one naming the tag otelswitch_nonewrelic", e, err)
		}
	}
}
