//go:build !otelswitch_nocloud

package detect

import (
	"go.opentelemetry.io/contrib/detectors/aws/ec2/v2"
	"go.opentelemetry.io/contrib/detectors/aws/ecs"
	"go.opentelemetry.io/contrib/detectors/azure/azurevm"
	"go.opentelemetry.io/contrib/detectors/gcp"
	"go.opentelemetry.io/otel/sdk/resource"
)

// cloudDetectors runs each of cloudNames. Each reads its metadata service's
// address the way its cloud's own SDK does: ECS_CONTAINER_METADATA_URI_V4,
// AWS_EC2_METADATA_SERVICE_ENDPOINT, GCE_METADATA_HOST, and for EKS the
// in-cluster KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT; Azure's
// address is fixed (169.254.169.254, dialled without a proxy).
var cloudDetectors = map[string]func() resource.Detector{
	"aws_ec2":  func() resource.Detector { return ec2.NewResourceDetector() },
	"aws_ecs":  func() resource.Detector { return ecs.NewResourceDetector() },
	"aws_eks":  func() resource.Detector { return newEKS() },
	"gcp":      func() resource.Detector { return gcp.NewDetector() },
	"azure_vm": func() resource.Detector { return azurevm.New() },
}
