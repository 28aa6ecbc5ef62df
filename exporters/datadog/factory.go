package datadog

import (
	"context"
	"fmt"
	"time"

	"github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"

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
	for _, k := range []string{envAgentHost, envAgentURL} {
		if v, ok := lookup(k); ok && v != "" {
			return true
		}
	}
	return exists(f.Sockets.apm())
}

// resolved is the configuration Telemetry.Config shows for the backend.
type resolved struct {
	Config
	Identity Identity `json:"identity"`
	// Endpoint is where spans go: the trace intake or the OTLP ingest.
	Endpoint string `json:"endpoint"`
	// DogStatsD is where dd-trace-go sends its own metrics (native mode).
	DogStatsD string `json:"dogstatsd,omitempty"`
}

// New implements exporters.Factory. Native mode starts dd-trace-go in the
// background: New never waits on the Agent.
func (f Factory) New(ctx context.Context, s exporters.Settings) (*exporters.Backend, error) {
	c, err := ConfigFromEnv(s.Lookup)
	if err != nil {
		return nil, err
	}
	c = c.WithSockets(f.Sockets)
	id := ResolveIdentity(c, s)
	switch c.Mode {
	case ModeOTLP:
		return newOTLP(ctx, c, id, s)
	default:
		return newNative(ctx, c, id, s)
	}
}

func newNative(ctx context.Context, c Config, id Identity, s exporters.Settings) (*exporters.Backend, error) {
	agent, err := c.Agent()
	if err != nil {
		return nil, err
	}
	if err := agent.CheckTransport(s.Strict, s.AllowInsecure); err != nil {
		return nil, err
	}
	sampler, err := NewSampler(c.SamplingConfig)
	if err != nil {
		return nil, err
	}
	stats := exporters.NewCounters(Name)
	reader, endpoints, err := nativeMetrics(ctx, c, id, s, stats)
	if err != nil {
		return nil, err
	}
	endpoints = append([]exporters.Endpoint{{
		Signal: exporters.EndpointTraces, URL: agent.URL.Redacted(), Protocol: "datadog-agent",
		Plaintext: agent.Plaintext(), Variable: agent.Var, Auth: "none (the Agent holds the API key)",
	}}, endpoints...)
	p := newNativeProcessor(s, stats)
	opts := tracerOptions(agent, id, nativeTags(c, id, s.Lookup), s.ExportTimeout, p, containerIDOf(s.Resource))
	// Runtime metrics follow dd-trace-go's DD_RUNTIME_METRICS_ENABLED, and
	// TELEMETRY_RUNTIME_METRICS when it is unset, through DogStatsD at the
	// address tracerOptions resolved with the Agent's.
	if cmpOrBool(c.RuntimeMetrics, s.RuntimeMetrics) {
		opts = append(opts, tracer.WithRuntimeMetrics())
	}
	if err := p.launch(opts); err != nil {
		if reader != nil {
			_ = reader.Shutdown(ctx)
		}
		return nil, err
	}
	return &exporters.Backend{
		Name:          Name,
		Config:        resolved{Config: c, Identity: id, Endpoint: agent.URL.Redacted(), DogStatsD: agent.DogStatsD},
		SpanProcessor: p,
		MetricReader:  reader,
		Correlate:     Correlate(id),
		Propagators:   []string{Name},
		Stats:         stats,
		Sampler:       rootSampler(sampler, id.Service),
		Endpoints:     endpoints,
		LogsVia:       "stdout JSON with dd.* correlation fields, tailed by the Datadog Agent",
	}, nil
}

// nativeMetrics is the reader of application metrics in native mode and
// its endpoint, none when TELEMETRY_METRICS=false. They go to the Agent's OTLP
// ingest, as dd-trace-go's own OTel metrics support sends them, rather than
// nowhere.
func nativeMetrics(ctx context.Context, c Config, id Identity, s exporters.Settings, stats *exporters.Counters) (sdkmetric.Reader, []exporters.Endpoint, error) {
	if !s.Metrics {
		return nil, nil, nil
	}
	mt, err := c.NativeMetricsTarget()
	if err != nil {
		return nil, nil, err
	}
	reader, err := otlp.NewMetricReader(ctx, mt, otlp.Delta,
		func(r *resource.Resource) *resource.Resource { return withIdentity(r, id) }, s, stats)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", Name, err)
	}
	return reader, []exporters.Endpoint{mt.Endpoint(exporters.EndpointMetrics)}, nil
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
func tracerOptions(a Agent, id Identity, tags []Tag, timeout time.Duration, acc accountant, containerID string) []tracer.StartOption {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	agentURL := a.URL.String()
	if sock := a.Socket(); sock != "" {
		agentURL = "unix://" + sock
	}
	opts := []tracer.StartOption{
		tracer.WithAgentURL(agentURL),
		tracer.WithHTTPClient(withContainerID(newHTTPClient(a, timeout, acc), containerID)),
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

func newOTLP(ctx context.Context, c Config, id Identity, s exporters.Settings) (*exporters.Backend, error) {
	t, err := c.OTLPTarget()
	if err != nil {
		return nil, err
	}
	m := t.ForSignal(otlp.MetricsPath)
	l := t.ForSignal(otlp.LogsPath)
	b, err := otlp.NewBackend(ctx, Name, resolved{Config: c, Identity: id, Endpoint: t.URL.Redacted()}, otlp.Pipeline{
		Traces:      t,
		Metrics:     &m,
		Temporality: otlp.Delta,
		Logs:        &l,
		// The Agent reads service, env and version from the resource; only
		// this backend's copy follows DD_SERVICE, DD_ENV and DD_VERSION.
		Resource: func(r *resource.Resource) *resource.Resource { return withIdentity(r, id) },
	}, s)
	if err != nil {
		return nil, err
	}
	b.Correlate = Correlate(id)
	b.Propagators = []string{Name}
	return b, nil
}
