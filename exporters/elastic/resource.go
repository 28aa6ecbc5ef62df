package elastic

import (
	"context"
	"strings"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
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
// itself when nothing changes.
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

// resourceCache rewrites resources, remembering the last one: every span of
// a provider shares one resource.
type resourceCache struct {
	rewrite func(*resource.Resource) *resource.Resource

	mu      sync.Mutex
	in, out *resource.Resource
	done    bool
}

func (c *resourceCache) get(r *resource.Resource) *resource.Resource {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.done || r != c.in {
		c.in, c.out, c.done = r, c.rewrite(r), true
	}
	return c.out
}

// spanExporter sends spans with the resource Elastic is sent, leaving the
// spans other backends see untouched.
type spanExporter struct {
	next     sdktrace.SpanExporter
	resource *resourceCache
}

func (e spanExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	var out []sdktrace.ReadOnlySpan
	for i, s := range spans {
		r := e.resource.get(s.Resource())
		if r == s.Resource() {
			if out != nil {
				out = append(out, s)
			}
			continue
		}
		if out == nil {
			out = make([]sdktrace.ReadOnlySpan, i, len(spans))
			copy(out, spans[:i])
		}
		out = append(out, resourceSpan{s, r})
	}
	if out == nil {
		out = spans
	}
	return e.next.ExportSpans(ctx, out)
}

func (e spanExporter) Shutdown(ctx context.Context) error { return e.next.Shutdown(ctx) }

// resourceSpan is a span with another resource.
type resourceSpan struct {
	sdktrace.ReadOnlySpan
	res *resource.Resource
}

func (s resourceSpan) Resource() *resource.Resource { return s.res }

// metricExporter sends metrics with the resource Elastic is sent spans with.
type metricExporter struct {
	sdkmetric.Exporter
	resource *resourceCache
}

func (m metricExporter) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	r := m.resource.get(rm.Resource)
	if r == rm.Resource {
		return m.Exporter.Export(ctx, rm)
	}
	c := *rm
	c.Resource = r
	return m.Exporter.Export(ctx, &c)
}
