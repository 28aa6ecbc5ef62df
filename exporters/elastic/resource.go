package elastic

import (
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// deploymentEnvironment is the attribute APM Server maps to
// service.environment (elastic/apm-data, input/otlp/metadata.go); newer
// semantic conventions renamed it deployment.environment.name, which the
// provider's resource carries. Sending both shows the environment on APM
// Servers of either age.
const deploymentEnvironment = attribute.Key("deployment.environment")

// rewriteResource returns the resource Elastic is sent, for this backend
// only: service.name from ELASTIC_APM_SERVICE_NAME when the service would
// otherwise be unknown_service; ELASTIC_APM_ENVIRONMENT, when set, as both
// environment attributes; otherwise deployment.environment copied from
// deployment.environment.name unless the resource has its own. It returns r
// itself when nothing changes. It is the backend's otlp.Pipeline.Resource,
// so spans and metrics are sent with it and other backends are not.
func rewriteResource(serviceName, environment string) func(*resource.Resource) *resource.Resource {
	return func(r *resource.Resource) *resource.Resource {
		if r == nil {
			return nil
		}
		set := r.Set()
		var add []attribute.KeyValue
		if serviceName != "" {
			if name, ok := set.Value(semconv.ServiceNameKey); !ok || strings.HasPrefix(name.AsString(), "unknown_service") {
				add = append(add, semconv.ServiceName(serviceName))
			}
		}
		if environment != "" {
			add = append(add, deploymentEnvironment.String(environment), semconv.DeploymentEnvironmentNameKey.String(environment))
		} else if _, ok := set.Value(deploymentEnvironment); !ok {
			if env, ok := set.Value(semconv.DeploymentEnvironmentNameKey); ok {
				add = append(add, deploymentEnvironment.String(env.AsString()))
			}
		}
		if len(add) == 0 {
			return r
		}
		// Later attributes win over earlier ones with the same key.
		return resource.NewWithAttributes(r.SchemaURL(), append(r.Attributes(), add...)...)
	}
}
