package bootstrap

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/otelswitch/otelswitch/internal/detect"
	"github.com/otelswitch/otelswitch/profiles"
)

const (
	envResourceDetectors = "OTEL_RESOURCE_DETECTORS"
	envDetectTimeout     = "TELEMETRY_DETECT_TIMEOUT"
	defaultDetectBudget  = time.Second
)

// DetectEnv chooses the resource detectors that ask the network.
type DetectEnv struct {
	ResourceDetectors string         `envconfig:"OTEL_RESOURCE_DETECTORS" desc:"Comma list of cloud detectors to run at Init: aws_ec2, aws_ecs, aws_eks, gcp, azure_vm (also ec2, ecs, eks, azure; not in a binary built with -tags otelswitch_nocloud); env, host, os, process, container, k8s and serviceinstance are accepted and always on. Default none: the local detectors only (service.instance.id, host, OS, process, container.id from the cgroup files, Kubernetes from K8S_POD_NAME, K8S_NAMESPACE_NAME, K8S_NODE_NAME, K8S_POD_UID, K8S_CONTAINER_NAME or the OTel Operator's OTEL_RESOURCE_ATTRIBUTES_POD_NAME, _POD_UID, _NODE_NAME)."`
	DetectTimeout     *time.Duration `envconfig:"TELEMETRY_DETECT_TIMEOUT" desc:"Total time the cloud detectors may take together (they run at once); Init never waits longer. A detector that fails or times out is logged and left out. Default 1s."`
}

// detectCloud runs the cloud detectors OTEL_RESOURCE_DETECTORS names and
// keeps their resource and outcomes in c for newResource and Config.
func detectCloud(ctx context.Context, e EnvInput, c *options, p profiles.Profile) error {
	names, err := detect.ParseDetectors(envResourceDetectors, e.ResourceDetectors)
	budget := defaultDetectBudget
	if e.DetectTimeout != nil {
		if *e.DetectTimeout <= 0 {
			return fmt.Errorf("%s=%s: want a positive duration", envDetectTimeout, *e.DetectTimeout)
		}
		budget = *e.DetectTimeout
	}
	if err != nil || len(names) == 0 || e.SDKDisabled {
		return err
	}
	// The library's logger does not exist yet; detection logs through one
	// like it.
	logger, lerr := newLogger(c.logOutput, firstNonEmpty(e.LogFormat, p.LogFormat), e.LogLevel, nil)
	if lerr != nil {
		return nil // settings reports the bad format or level
	}
	c.cloud, c.detectors = detect.Cloud(ctx, names, budget, logger)
	return nil
}

// identity returns the attributes the local detectors find: they read
// files and variables only. OTEL_RESOURCE_ATTRIBUTES, applied after them,
// overrides any of them, service.instance.id included.
func identity(c options) []resource.Option {
	attrs := []attribute.KeyValue{semconv.ServiceInstanceID(detect.InstanceID())}
	if id := detect.ContainerID(detect.CgroupPath, detect.MountinfoPath); id != "" {
		attrs = append(attrs, semconv.ContainerID(id))
	}
	attrs = append(attrs, detect.Kubernetes(c.lookup)...)
	opts := []resource.Option{resource.WithHostID()}
	if c.cloud != nil {
		opts = append(opts, resource.WithAttributes(c.cloud.Attributes()...))
	}
	return append(opts, resource.WithAttributes(attrs...))
}
