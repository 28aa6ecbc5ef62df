package bootstrap

import (
	"io"
	"os"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/internal/detect"
)

// Option configures Init. Environment variables are read first; options
// override them.
type Option interface{ apply(options) options }

type optionFunc func(options) options

func (f optionFunc) apply(c options) options { return f(c) }

// options are what the Option values of Init and Resolve set, over the
// EnvInput read from the environment.
type options struct {
	lookup         func(string) (string, bool)
	environment    string
	serviceName    string
	serviceVersion string
	processors     []sdktrace.SpanProcessor
	globals        bool
	logOutput      io.Writer
	registry       *exporters.Registry
	noRetry        bool
	metricReaders  []sdkmetric.Reader
	// cloud and detectors are what the cloud detectors found, set by Init.
	cloud     *resource.Resource
	detectors []detect.Outcome
}

func newOptions(opts []Option) options {
	c := options{lookup: os.LookupEnv, globals: true, logOutput: os.Stderr}
	for _, o := range opts {
		c = o.apply(c)
	}
	return c
}

// WithLookupEnv reads variables through lookup instead of the process
// environment, so tests never have to mutate it.
func WithLookupEnv(lookup func(key string) (string, bool)) Option {
	return optionFunc(func(c options) options { c.lookup = lookup; return c })
}

// WithEnvironment overrides the ENVIRONMENT variable.
func WithEnvironment(name string) Option {
	return optionFunc(func(c options) options { c.environment = name; return c })
}

// WithServiceName overrides the OTEL_SERVICE_NAME variable.
func WithServiceName(name string) Option {
	return optionFunc(func(c options) options { c.serviceName = name; return c })
}

// WithServiceVersion overrides the SERVICE_VERSION variable.
func WithServiceVersion(version string) Option {
	return optionFunc(func(c options) options { c.serviceVersion = version; return c })
}

// WithSpanProcessor adds a span processor beside the backends', such as an
// in-memory recorder.
func WithSpanProcessor(p sdktrace.SpanProcessor) Option {
	return optionFunc(func(c options) options { c.processors = append(c.processors, p); return c })
}

// WithoutGlobals leaves the global providers, propagator and slog default
// untouched; use the handle's instead. Tests that run several pipelines in one
// process need it.
func WithoutGlobals() Option {
	return optionFunc(func(c options) options { c.globals = false; return c })
}

// WithLogOutput sends the trace-correlated logger's output to w instead of
// standard error.
func WithLogOutput(w io.Writer) Option {
	return optionFunc(func(c options) options { c.logOutput = w; return c })
}

// WithRegistry replaces the backends Init knows, to add one of your own.
// DefaultRegistry returns the built-in set to start from.
func WithRegistry(r *exporters.Registry) Option {
	return optionFunc(func(c options) options { c.registry = r; return c })
}

// WithoutExportRetry makes every export return its error at once instead of
// retrying until the export timeout. `otelswitch doctor` uses it so that a
// refused connection is reported as such, not as the deadline that hid it;
// a service wants the retries.
func WithoutExportRetry() Option {
	return optionFunc(func(c options) options { c.noRetry = true; return c })
}

// WithMetricReader adds a metric reader beside the backends', such as
// sdkmetric.NewManualReader() in a test that asserts on the service's
// metrics. It applies whatever TELEMETRY_METRICS says: code wins over the
// environment.
func WithMetricReader(r sdkmetric.Reader) Option {
	return optionFunc(func(c options) options { c.metricReaders = append(c.metricReaders, r); return c })
}
