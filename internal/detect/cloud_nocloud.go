//go:build otelswitch_nocloud

package detect

import "go.opentelemetry.io/otel/sdk/resource"

// Built with otelswitch_nocloud (docs/performance.md, "Slim builds"): no
// cloud detector, so neither the AWS SDK nor the GCP and Azure packages are
// linked. Their names stay known, and naming one in OTEL_RESOURCE_DETECTORS
// is an error naming the tag (ParseDetectors).
var cloudDetectors = map[string]func() resource.Detector{}
