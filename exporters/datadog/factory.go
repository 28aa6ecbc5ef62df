package datadog

import (
	"context"
	"fmt"
	"time"

	"github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/exporters/otlp"
)

// Name is the backend's name in TELEMETRY_BACKEND, and the propagator's in
// OTEL_PROPAGATORS.
const Name = "datadog"

// Factory builds the datadog backend.
type Factory struct {
	// Sockets are the Agent's Unix sockets probed when no variable names
	// the Agent; the zero value means the defaults.
	Sockets Sockets
}

var _ exporters.Factory = Factory{}

// Spec implements exporters.Factory.
func (Factory) Spec() any { return &Config{} }

// Detect implements exporters.Factory: a Datadog Agent is configured when
// DD_AGENT_HOST or DD_TRACE_AGENT_URL is set. DD_API_KEY alone is not
// enough: it means agentless submission, which this backend does not do.
// The Agent's trace socket, mounted where dd-trace-go looks for it, names
// it too, as it does for dd-trace-go.
func (f Factory) Detect(lookup func(string) (string, bool)) bool {
	return exporters.AnySet(lookup, f.DetectVars()...) || exists(f.Sockets.apm())
}

// DetectVars implements exporters.DetectingFactory.
func (Factory) DetectVars() []string { return []string{envAgentHost, envAgentURL} }

// Propagators implements exporters.PropagatorFactory: Datadog's headers
// (x-datadog-*), named "datadog" in OTEL_PROPAGATORS.
func (Factory) Propagators() []exporters.NamedPropagator {
	return []exporters.NamedPropagator{{Name: Name, Propagator: Propagator{}}}
}

// New implements exporters.Factory. Native mode starts dd-trace-go in the
// background: New never waits on the Agent.
func (f Factory) New(ctx context.Context, s exporters.Settings) (*exporters.Backend, error) {
	c, err := ConfigFromEnv(s.Lookup)
	if err != nil {
		return nil, err
	}
	r, err := c.WithSockets(f.Sockets).Resolve(s.Strict)
	if err != nil {
		return nil, err
	}
	r.Identity = ResolveIdentity(r.Config, s)
	if r.Mode == ModeOTLP {
		return newOTLP(ctx, r, s)
	}
	return newNative(ctx, r, s)
}

func newNative(ctx context.Context, r Resolved, s exporters.Settings) (*exporters.Backend, error) {
	c, id, agent := r.Config, r.Identity, r.Agent
	if err := agent.CheckTransport(s.Strict, s.AllowInsecure); err != nil {
		return nil, err
	}
	stats := exporters.NewCounters(Name)
	endpoints := []exporters.Endpoint{{
		Signal: exporters.EndpointTraces, URL: agent.URL.Redacted(), Protocol: "datadog-agent",
		Plaintext: agent.Plaintext(), Variable: agent.Var, Auth: "none (the Agent holds the API key)",
	}}
	reader, mep, err := nativeMetrics(ctx, r.Metrics, id, s, stats)
	if err != nil {
		return nil, err
	}
	endpoints = append(endpoints, mep...)
	p := newNativeProcessor(s, stats)
	rules := p.useRules(r.Sampler, id)
	tags, containerID := nativeTags(c, id, s.Lookup), containerIDOf(s.Resource)
	opts := tracerOptions(agent, id, tags, s.ExportTimeout, p, containerID, r.Sampler)
	// Runtime metrics follow dd-trace-go's DD_RUNTIME_METRICS_ENABLED, and
	// TELEMETRY_RUNTIME_METRICS when it is unset, through DogStatsD at the
	// address tracerOptions resolved with the Agent's.
	if cmpOrBool(c.RuntimeMetrics, s.RuntimeMetrics) {
		opts = append(opts, tracer.WithRuntimeMetrics())
	}
	if !mirrorPath.Load() {
		// The spans go to the Agent straight from the SDK; dd-trace-go
		// runs beside them for its runtime and health metrics only.
		p.useWire(c, agent, id, tags, s, containerID, r.Sampler)
	}
	if err := p.launch(opts); err != nil {
		if reader != nil {
			_ = reader.Shutdown(ctx)
		}
		return nil, err
	}
	return &exporters.Backend{
		Name:          Name,
		Config:        r,
		SpanProcessor: p,
		MetricReader:  reader,
		Correlate:     Correlate(id),
		Propagators:   Factory{}.Propagators(),
		Stats:         stats,
		Sampler:       rules,
		Endpoints:     endpoints,
		LogsVia:       "stdout JSON with dd.* correlation fields, tailed by the Datadog Agent",
	}, nil
}

// cmpOrBool is *set when it is set, else def.
func cmpOrBool(set *bool, def bool) bool {
	if set != nil {
		return *set
	}
	return def
}

// tracerOptions configures dd-trace-go from the backend's configuration
// alone: explicit options win over the DD_ variables dd-trace-go would
// otherwise read from the process environment.
func tracerOptions(a Agent, id Identity, tags []Tag, timeout time.Duration, acc accountant, containerID string, rates *Sampler) []tracer.StartOption {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	agentURL := a.URL.String()
	if sock := a.Socket(); sock != "" {
		agentURL = "unix://" + sock
	}
	opts := []tracer.StartOption{
		tracer.WithAgentURL(agentURL),
		tracer.WithHTTPClient(withAgentRates(withContainerID(newHTTPClient(a, timeout, acc), containerID), rates)),
		tracer.WithService(id.Service),
		tracer.WithEnv(id.Env),
		// otelswitch's sampler decides; every mirrored span carries its
		// decision as the sampling priority.
		tracer.WithTraceEnabled(true),
		// Each payload is sent once, so each outcome counts once.
		tracer.WithSendRetries(0),
		// Spans are read after they finish (a late child's parent).
		tracer.WithSpanPool(false),
		tracer.WithLogStartup(false),
		// AppSec and profiler code hotspots need dd-trace-go's own
		// integrations; for mirrored spans they would only load the WAF
		// (about 150 ms of tracer.Start) and relabel goroutines.
		tracer.WithAppSecEnabled(false),
		tracer.WithProfilerCodeHotspots(false),
		tracer.WithProfilerEndpoints(false),
	}
	if id.Version != "" {
		opts = append(opts, tracer.WithServiceVersion(id.Version))
	}
	if a.DogStatsD != "" {
		opts = append(opts, tracer.WithDogstatsdAddr(a.DogStatsD))
	}
	for _, t := range tags {
		opts = append(opts, tracer.WithGlobalTag(t.Key, t.Value))
	}
	return opts
}

func newOTLP(ctx context.Context, r Resolved, s exporters.Settings) (*exporters.Backend, error) {
	id := r.Identity
	b, err := otlp.NewBackend(ctx, Name, r, otlp.Pipeline{
		Traces:      r.Traces,
		Metrics:     &r.Metrics,
		Temporality: otlp.Delta,
		Logs:        &r.Logs,
		// The Agent reads service, env and version from the resource; only
		// this backend's copy follows DD_SERVICE, DD_ENV and DD_VERSION.
		Resource: func(r *resource.Resource) *resource.Resource { return withIdentity(r, id) },
		// http.route from otelhttp's span name, as native mode's mapping.
		Wrap: func(next sdktrace.SpanExporter) sdktrace.SpanExporter { return routeExporter{next} },
	}, s)
	if err != nil {
		return nil, err
	}
	b.Correlate = Correlate(id)
	b.Propagators = Factory{}.Propagators()
	return b, nil
}

// useRules makes p hold the local traces sampler decides (holds) and
// returns the backend's Sampler: nil when the Datadog variables leave
// sampling to OpenTelemetry.
func (p *nativeProcessor) useRules(sampler *Sampler, id Identity) sdktrace.Sampler {
	if sampler == nil {
		return nil
	}
	p.holds = newHolds()
	p.rules = &otelSampler{dd: sampler, service: id.Service, env: id.Env, holds: p.holds}
	return *p.rules
}

// nativeMetrics returns the reader that sends application metrics to the
// Agent's OTLP ingest, as dd-trace-go's own OTel metrics support sends them,
// rather than nowhere, and its endpoint; nothing when metrics are off.
func nativeMetrics(ctx context.Context, mt otlp.Target, id Identity, s exporters.Settings, stats *exporters.Counters) (sdkmetric.Reader, []exporters.Endpoint, error) {
	if !s.Metrics {
		return nil, nil, nil
	}
	reader, err := otlp.NewMetricReader(ctx, mt, otlp.Delta,
		func(r *resource.Resource) *resource.Resource { return withIdentity(r, id) }, s, stats)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", Name, err)
	}
	return reader, []exporters.Endpoint{mt.Endpoint(exporters.EndpointMetrics)}, nil
}
