package compare

import (
	"io"
	"maps"
	"time"

	"github.com/otelswitch/otelswitch/sample-app/internal/load"
)

// Defaults of Run's options.
const (
	DefaultDuration    = 30 * time.Second
	DefaultConcurrency = 4
	DefaultEnvironment = "production"
	DefaultVersion     = "1.0.0"
	DefaultWarmup      = 2 * time.Second
	DefaultSettle      = time.Minute
)

// DefaultBackends are the backends Run compares unless WithBackends says
// otherwise.
var DefaultBackends = []string{"jaeger", "datadog", "newrelic", "elastic"}

type config struct {
	backends    []string
	duration    time.Duration
	concurrency int
	seed        uint64
	mix         load.Mix
	environment string
	version     string
	warmup      time.Duration
	settle      time.Duration
	progress    io.Writer
	logDir      string
	runID       string
	env         map[string]string
	backendEnv  map[string]map[string]string
	gateway     *Gateway
}

func newConfig(opts []Option) config {
	c := config{
		backends:    DefaultBackends,
		duration:    DefaultDuration,
		concurrency: DefaultConcurrency,
		seed:        load.DefaultSeed,
		environment: DefaultEnvironment,
		version:     DefaultVersion,
		warmup:      DefaultWarmup,
		settle:      DefaultSettle,
		progress:    io.Discard,
	}
	for _, o := range opts {
		c = o.apply(c)
	}
	return c
}

// Option configures Run.
type Option interface{ apply(config) config }

type optionFunc func(config) config

func (f optionFunc) apply(c config) config { return f(c) }

// WithBackends names the backends to compare, in the order of the table:
// any of Names. Default: DefaultBackends.
func WithBackends(names ...string) Option {
	return optionFunc(func(c config) config { c.backends = names; return c })
}

// WithDuration sets how long each run's workload lasts. Default:
// DefaultDuration.
func WithDuration(d time.Duration) Option {
	return optionFunc(func(c config) config { c.duration = d; return c })
}

// WithConcurrency sets how many requests are in flight at once. Default:
// DefaultConcurrency, low because the lab's backends share the machine.
func WithConcurrency(n int) Option {
	return optionFunc(func(c config) config { c.concurrency = n; return c })
}

// WithSeed picks the request sequence every run sends. Default:
// load.DefaultSeed.
func WithSeed(seed uint64) Option {
	return optionFunc(func(c config) config { c.seed = seed; return c })
}

// WithMix sets the request mix. Default: load.DefaultMix.
func WithMix(m load.Mix) Option {
	return optionFunc(func(c config) config { c.mix = m; return c })
}

// WithEnvironment sets ENVIRONMENT for every run, and so the profile:
// batching, queue sizes and timeouts. Default: DefaultEnvironment, the
// profile a vendor choice is made for.
func WithEnvironment(name string) Option {
	return optionFunc(func(c config) config { c.environment = name; return c })
}

// WithServiceVersion sets SERVICE_VERSION for every run. Default:
// DefaultVersion.
func WithServiceVersion(v string) Option {
	return optionFunc(func(c config) config { c.version = v; return c })
}

// WithWarmup runs the workload this long with telemetry off before the
// baseline, unreported, so the first measured run does not pay for a cold
// process. 0 turns it off. Default: DefaultWarmup.
func WithWarmup(d time.Duration) Option {
	return optionFunc(func(c config) config { c.warmup = d; return c })
}

// WithSettle bounds how long Run waits, after each run, for the stores'
// counts to stop changing. Default: DefaultSettle.
func WithSettle(d time.Duration) Option {
	return optionFunc(func(c config) config { c.settle = d; return c })
}

// WithProgress writes what Run is doing, and the load generator's progress
// line, to w. Default: nothing.
func WithProgress(w io.Writer) Option {
	return optionFunc(func(c config) config { c.progress = w; return c })
}

// WithLogDir keeps each run's application log (JSON lines) and SQLite
// database in dir. Default: a temporary directory Run removes.
func WithLogDir(dir string) Option {
	return optionFunc(func(c config) config { c.logDir = dir; return c })
}

// WithRunID sets the id in every run's service name, compare-<id>-<run>.
// Default: random.
func WithRunID(id string) Option {
	return optionFunc(func(c config) config { c.runID = id; return c })
}

// WithEnv sets environment variables for every run, baseline included,
// over the ones Run sets (such as TELEMETRY_SHUTDOWN_TIMEOUT=2s).
func WithEnv(vars map[string]string) Option {
	return optionFunc(func(c config) config {
		c.env = maps.Clone(c.env)
		if c.env == nil {
			c.env = map[string]string{}
		}
		maps.Copy(c.env, vars)
		return c
	})
}

// WithBackendEnv sets environment variables for one backend, over the ones
// that point it at its stand-in, in its own run and in the fan-out: for
// instance to point it at a dead address and watch it fail.
func WithBackendEnv(backend string, vars map[string]string) Option {
	return optionFunc(func(c config) config {
		c.backendEnv = maps.Clone(c.backendEnv)
		if c.backendEnv == nil {
			c.backendEnv = map[string]map[string]string{}
		}
		m := maps.Clone(c.backendEnv[backend])
		if m == nil {
			m = map[string]string{}
		}
		maps.Copy(m, vars)
		c.backendEnv[backend] = m
		return c
	})
}

// WithGateway describes the OpenTelemetry Collector gateway compared as the
// backend named "gateway", which WithBackends must then name. Default:
// none.
func WithGateway(g Gateway) Option {
	return optionFunc(func(c config) config { c.gateway = &g; return c })
}
