package bootstrap

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/exporters/otlp"
	"github.com/otelswitch/otelswitch/profiles"
)

// Plan is the environment resolved: the profile, the backends with the final
// endpoint of each signal, the sampler and the service's identity. Init
// builds its providers from it and `otelswitch doctor` prints and probes it;
// neither reads a variable the other does not. It prints and encodes with
// every credential redacted.
type Plan struct {
	Environment    string           `json:"environment"`
	ServiceName    string           `json:"service_name"`
	ServiceVersion string           `json:"service_version,omitempty"`
	Sampler        string           `json:"sampler"`
	SamplerRatio   float64          `json:"sampler_ratio,omitempty"`
	Signals        []string         `json:"signals"`
	SDKDisabled    bool             `json:"sdk_disabled"`
	AllowInsecure  bool             `json:"allow_insecure"`
	Backends       []PlannedBackend `json:"backends"`
	// Warnings are settings that work but look wrong for the environment,
	// such as a production service without a name; Init logs each.
	Warnings []string `json:"warnings,omitempty"`

	env      EnvInput
	cfg      options
	settings exporters.Settings
	profile  profiles.Profile
	// What Init builds the providers from, resolved once here.
	sampler     samplerChoice
	logs        logPlan
	limits      sdktrace.SpanLimits
	propagator  propagation.TextMapPropagator
	propagators []string
}

// PlannedBackend is one backend of a Plan, built but not yet sending.
type PlannedBackend struct {
	Name      string               `json:"name"`
	Endpoints []exporters.Endpoint `json:"endpoints"`
	// Config is the backend's resolved configuration, credentials redacted.
	Config any `json:"config"`
	// Backend is what the SDK plugs in; nothing has been sent through it.
	Backend *exporters.Backend `json:"-"`
}

// String renders p as indented JSON, credentials redacted.
func (p *Plan) String() string {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fmt.Sprintf("plan: %v", err)
	}
	return string(b)
}

// Resource returns the resource every backend is given.
func (p *Plan) Resource() *resource.Resource { return p.settings.Resource }

// Close shuts down the plan's backends, for a caller that resolved a plan
// and will not hand it to Init.
func (p *Plan) Close(ctx context.Context) error {
	var errs []error
	for _, b := range p.Backends {
		errs = append(errs, shutdownBackend(ctx, b.Backend))
	}
	return errors.Join(errs...)
}

// Resolve reads the environment as Init does and builds each backend, without
// installing anything or sending a byte. It returns every configuration
// problem at once, as Init does; on error nothing is left running.
func Resolve(ctx context.Context, opts ...Option) (*Plan, error) {
	c := newOptions(opts)
	if c.registry == nil {
		c.registry = DefaultRegistry()
	}
	c.lookup = caseInsensitive(c.lookup)
	e, profile, err := readInput(c)
	if profile.Name == "" {
		return nil, err
	}
	err = errors.Join(err, detectCloud(ctx, e, &c, profile))
	r, serr := settings(ctx, e, c, profile)
	p := newPlan(e, c, profile, r)
	var backends []*exporters.Backend
	if !e.SDKDisabled || err != nil || serr != nil {
		// Read and build every backend even when something else is wrong, so
		// one run shows every problem (with OTEL_SDK_DISABLED, only then).
		var berr error
		backends, berr = buildBackends(ctx, c, r.settings, r.names)
		serr = errors.Join(serr, berr)
	}
	// Default propagators are tracecontext and baggage plus what the
	// backends ask for.
	var perr error
	p.propagator, p.propagators, perr = newPropagator(e, c.registry, wantedPropagators(backends))
	if err = errors.Join(err, serr, perr); err != nil {
		shutdownAll(ctx, backends)
		return nil, err
	}
	planBackends(p, backends)
	return p, nil
}

// newPlan is the plan of what settings resolved, before any backend.
func newPlan(e EnvInput, c options, profile profiles.Profile, r resolved) *Plan {
	p := &Plan{
		Environment:    profile.Name,
		ServiceName:    r.settings.ServiceName,
		ServiceVersion: r.settings.ServiceVersion,
		Sampler:        r.sampler.name,
		SamplerRatio:   r.sampler.ratio,
		SDKDisabled:    e.SDKDisabled,
		AllowInsecure:  e.AllowInsecure,
		Backends:       []PlannedBackend{},
		env:            e,
		cfg:            c,
		settings:       r.settings,
		profile:        profile,
		sampler:        r.sampler,
		logs:           r.logs,
		limits:         r.limits,
	}
	if e.SDKDisabled {
		p.Sampler, p.SamplerRatio = "always_off", 0
	}
	return p
}

// readInput reads the environment and looks up its profile; the profile is
// empty when ENVIRONMENT names none, and nothing more can be resolved.
func readInput(c options) (EnvInput, profiles.Profile, error) {
	e, err := readEnv(c.lookup)
	if c.environment != "" {
		e.Environment = c.environment
	}
	profile, perr := profiles.Lookup(e.Environment)
	if perr != nil {
		return e, profiles.Profile{}, errors.Join(err, perr)
	}
	return e, profile, err
}

func wantedPropagators(backends []*exporters.Backend) []exporters.NamedPropagator {
	var wanted []exporters.NamedPropagator
	for _, b := range backends {
		wanted = append(wanted, b.Propagators...)
	}
	return wanted
}

// planBackends lists the backends in p, the signals they send and the
// warnings about them.
func planBackends(p *Plan, backends []*exporters.Backend) {
	if p.SDKDisabled {
		return
	}
	p.Signals = []string{exporters.EndpointTraces}
	metrics, logs := false, false
	for _, b := range backends {
		p.Backends = append(p.Backends, PlannedBackend{Name: b.Name, Endpoints: b.Endpoints, Config: b.Config, Backend: b})
		metrics = metrics || b.MetricReader != nil
		logs = logs || b.LogProcessor != nil
	}
	if p.env.Metrics && metrics {
		p.Signals = append(p.Signals, exporters.EndpointMetrics)
	}
	if logs {
		p.Signals = append(p.Signals, exporters.EndpointLogs)
	}
	p.Warnings = warnings(p)
}

// warnings lists what works but looks wrong in staging and production.
func warnings(p *Plan) []string {
	if !p.profile.Strict {
		return nil
	}
	var w []string
	if strings.HasPrefix(p.ServiceName, "unknown_service") {
		w = append(w, fmt.Sprintf("%s is unset: every span, metric and log of this service is reported as %q; set %s (or WithServiceName)", envServiceName, p.ServiceName, envServiceName))
	}
	if p.Sampler == "always_off" || p.Sampler == "parentbased_always_off" ||
		(strings.HasSuffix(p.Sampler, "traceidratio") && p.SamplerRatio == 0) {
		w = append(w, fmt.Sprintf("%s=%s%s: no trace this service starts is ever recorded", envSampler, p.Sampler, ratioNote(p)))
	}
	if u := remoteEndpoint(p.env); u != "" && !loopbackURL(u) && strings.HasPrefix(u, "http:") {
		w = append(w, fmt.Sprintf("sampler %s fetches its strategies in plaintext from %s (%s), allowed by TELEMETRY_ALLOW_INSECURE=true: whoever answers there decides what is recorded", p.Sampler, u, envSamplerArg))
	}
	for _, b := range p.Backends {
		for _, e := range b.Endpoints {
			if e.Plaintext && !loopbackURL(e.URL) {
				w = append(w, fmt.Sprintf("backend %s sends %s in plaintext to %s (%s), allowed by TELEMETRY_ALLOW_INSECURE=true: credentials and data cross the network unencrypted", b.Name, e.Signal, e.URL, cmpOr(e.Variable, "default")))
			}
		}
	}
	return w
}

func ratioNote(p *Plan) string {
	if strings.HasSuffix(p.Sampler, "traceidratio") {
		return " with " + envSamplerArg + "=0"
	}
	return ""
}

func loopbackURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return true // a socket or a file: nothing crosses the network
	}
	return otlp.IsLoopback(u.Hostname())
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
