package tracer

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
	"go.opentelemetry.io/otel/trace/noop"
)

// Provider is a trace.TracerProvider. Its zero value is not usable; make
// one with NewProvider.
type Provider struct {
	embedded.TracerProvider

	sampler  sdktrace.Sampler
	resource *resource.Resource
	limits   sdktrace.SpanLimits
	ids      sdktrace.IDGenerator

	// processors is swapped for an empty list by Shutdown, as the SDK
	// does: spans that end afterwards go nowhere.
	processors atomic.Pointer[[]sdktrace.SpanProcessor]

	mu       sync.Mutex
	tracers  map[scopeKey]*tracer              // by Tracer's arguments
	byScope  map[instrumentation.Scope]*tracer // by the scope they make
	shutdown atomic.Bool

	// norm normalizes what the SDK keeps the rules of to itself (see
	// normalize.go).
	norm normalizer
}

// scopeKey is what names a tracer: the arguments of Tracer.
type scopeKey struct {
	name, version, schemaURL string
	attrs                    attribute.Distinct
}

// Option configures a Provider.
type Option interface{ apply(config) config }

type optionFunc func(config) config

func (f optionFunc) apply(c config) config { return f(c) }

type config struct {
	sampler    sdktrace.Sampler
	resource   *resource.Resource
	limits     sdktrace.SpanLimits
	ids        sdktrace.IDGenerator
	processors []sdktrace.SpanProcessor
}

// WithSampler sets the sampler, like sdktrace.WithSampler. Default:
// parent-based, always on. Unlike sdktrace.NewTracerProvider, NewProvider
// does not read OTEL_TRACES_SAMPLER for its default (bootstrap reads it and
// always passes a sampler).
func WithSampler(s sdktrace.Sampler) Option {
	return optionFunc(func(c config) config { c.sampler = s; return c })
}

// WithResource sets the resource every span carries, as
// sdktrace.WithResource does: r over the environment's resource
// (OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME), r winning where both set
// an attribute. Default: resource.Default().
func WithResource(r *resource.Resource) Option {
	return optionFunc(func(c config) config {
		var err error
		// On conflicting schema URLs Merge still returns the merged
		// attributes, schemaless; the SDK reports the error the same way.
		if c.resource, err = resource.Merge(resource.Environment(), r); err != nil {
			otel.Handle(err)
		}
		return c
	})
}

// WithRawSpanLimits sets the span limits as given, like
// sdktrace.WithRawSpanLimits: a negative limit is no limit. Default:
// sdktrace.NewSpanLimits().
func WithRawSpanLimits(l sdktrace.SpanLimits) Option {
	return optionFunc(func(c config) config { c.limits = l; return c })
}

// WithIDGenerator sets what makes trace and span IDs, like
// sdktrace.WithIDGenerator. Default: random IDs.
func WithIDGenerator(g sdktrace.IDGenerator) Option {
	return optionFunc(func(c config) config { c.ids = g; return c })
}

// WithSpanProcessor adds a span processor, like sdktrace.WithSpanProcessor;
// processors are called in the order they were added.
func WithSpanProcessor(sp sdktrace.SpanProcessor) Option {
	return optionFunc(func(c config) config { c.processors = append(c.processors, sp); return c })
}

// NewProvider returns a Provider configured by opts.
func NewProvider(opts ...Option) *Provider {
	c := config{limits: sdktrace.NewSpanLimits()}
	for _, o := range opts {
		c = o.apply(c)
	}
	if c.sampler == nil {
		c.sampler = sdktrace.ParentBased(sdktrace.AlwaysSample())
	}
	if c.resource == nil {
		c.resource = resource.Default()
	}
	if c.ids == nil {
		c.ids = randomIDs{}
	}
	p := &Provider{
		sampler:  c.sampler,
		resource: c.resource,
		limits:   c.limits,
		ids:      c.ids,
		tracers:  map[scopeKey]*tracer{},
		byScope:  map[instrumentation.Scope]*tracer{},
		norm:     newNormalizer(c.limits),
	}
	processors := append([]sdktrace.SpanProcessor(nil), c.processors...)
	p.processors.Store(&processors)
	return p
}

// Tracer returns the tracer of the named instrumentation scope, the same
// one for the same arguments. After Shutdown it returns a no-op tracer.
func (p *Provider) Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	if p.shutdown.Load() {
		return noop.NewTracerProvider().Tracer(name, opts...)
	}
	c := trace.NewTracerConfig(opts...)
	attrs := c.InstrumentationAttributes()
	key := scopeKey{name: name, version: c.InstrumentationVersion(), schemaURL: c.SchemaURL(), attrs: attrs.Equivalent()}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shutdown.Load() {
		return noop.NewTracerProvider().Tracer(name, opts...)
	}
	t, ok := p.tracers[key]
	if !ok {
		// Arguments that make the same scope (an empty name and the
		// SDK's default one; attributes equal once normalized) get the
		// same tracer, as from the SDK's provider.
		scope := p.scope(name, opts)
		if t, ok = p.byScope[scope]; !ok {
			t = &tracer{provider: p, scope: scope}
			p.byScope[scope] = t
		}
		p.tracers[key] = t
	}
	return t
}

// ForceFlush flushes every processor in turn, stopping early when ctx is
// done, as the SDK's TracerProvider does.
func (p *Provider) ForceFlush(ctx context.Context) error {
	var err error
	for _, sp := range *p.processors.Load() {
		if e := ctx.Err(); e != nil {
			return e
		}
		err = errors.Join(err, sp.ForceFlush(ctx))
	}
	return err
}

// Shutdown shuts every processor down in turn, once, stopping early when
// ctx is done. Spans that end afterwards go to no processor, and Tracer
// returns no-op tracers.
func (p *Provider) Shutdown(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shutdown.Load() {
		return nil
	}
	p.shutdown.Store(true)
	var err error
	for _, sp := range *p.processors.Load() {
		if e := ctx.Err(); e != nil {
			return e
		}
		err = errors.Join(err, sp.Shutdown(ctx))
	}
	p.processors.Store(&[]sdktrace.SpanProcessor{})
	return err
}

// tracer is a trace.Tracer of one instrumentation scope.
type tracer struct {
	embedded.Tracer

	provider *Provider
	scope    instrumentation.Scope
}
