package bootstrap

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/otelswitch/otelswitch/internal/envconf"
)

// newResource builds the resource every backend shares. Precedence for the
// service name and version: option, then the dedicated variable, then
// OTEL_RESOURCE_ATTRIBUTES, then a default. deployment.environment.name is
// always the ENVIRONMENT in force.
func newResource(ctx context.Context, e EnvInput, c options, environment string) (*resource.Resource, string, string, error) {
	// A malformed entry is reported, and the well-formed ones still used, so
	// the backends can be checked in the same run.
	pairs, perr := envconf.ParseList(envResourceAttributes, e.ResourceAttributes)
	attrs := make([]attribute.KeyValue, 0, len(pairs)+3)
	fromAttrs := map[string]string{}
	for _, p := range pairs {
		attrs = append(attrs, attribute.String(p.Key, p.Value))
		fromAttrs[p.Key] = p.Value
	}
	name := firstNonEmpty(c.serviceName, e.ServiceName, fromAttrs[string(semconv.ServiceNameKey)], defaultServiceName())
	version := firstNonEmpty(c.serviceVersion, e.ServiceVersion, fromAttrs[string(semconv.ServiceVersionKey)], mainModuleVersion())
	attrs = append(attrs, semconv.ServiceName(name), semconv.DeploymentEnvironmentNameKey.String(environment))
	if version != "" {
		attrs = append(attrs, semconv.ServiceVersion(version))
	}
	// Host and process detectors read local state only; none waits on the
	// network. Later options win, so the attributes above come last.
	opts := append([]resource.Option{
		resource.WithTelemetrySDK(),
		resource.WithHost(),
		resource.WithOS(),
		resource.WithProcessPID(),
		resource.WithProcessExecutableName(),
		resource.WithProcessRuntimeName(),
		resource.WithProcessRuntimeVersion(),
		resource.WithSchemaURL(semconv.SchemaURL),
	}, identity(c)...)
	res, err := resource.New(ctx, append(opts, resource.WithAttributes(attrs...))...)
	if err != nil {
		return nil, "", "", fmt.Errorf("resource: %w", err)
	}
	return res, name, version, perr
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// defaultServiceName is the specification's unknown_service:<executable>.
func defaultServiceName() string {
	exe, err := os.Executable()
	if err != nil {
		return "unknown_service"
	}
	return "unknown_service:" + filepath.Base(exe)
}

func mainModuleVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return ""
}
