package lab

import (
	"os"
	"path/filepath"
	"time"
)

// Every environment variable this package reads.
const (
	// envBin names the directory that holds the jaeger and otelcol binaries.
	envBin = "OTELSWITCH_BIN"
	// envLab set to "off" makes ForTest skip instead of failing.
	envLab = "OTELSWITCH_LAB"
)

// Variables the lab passes to the collector so that credentials never land
// in a config file.
const (
	envCollectorSecretToken = "OTELSWITCH_LAB_SECRET_TOKEN"
	envCollectorAPIKey      = "OTELSWITCH_LAB_API_KEY"
)

// DefaultStartTimeout bounds Start when neither its context nor
// WithStartTimeout sets a shorter limit.
const DefaultStartTimeout = 60 * time.Second

type config struct {
	binDir       string
	dir          string
	fixedPorts   bool
	startTimeout time.Duration
	secretToken  string
	apiKey       string
	uiAssets     string
	strategies   string
	// tlsCert and tlsKey, when set, serve every collector OTLP receiver
	// over TLS with this certificate.
	tlsCert, tlsKey string
	// datadogIntake, when set, is the URL of a Datadog intake the
	// collector's datadog exporter sends the OTLP and Datadog receivers'
	// traces to.
	datadogIntake string
	// ports, when set, replaces the fixed or ephemeral choice; tests use it
	// to aim a listener at a port they hold.
	ports *portSet
}

// newConfig reads the environment first, then applies opts, so code
// overrides the environment.
func newConfig(opts []Option) config {
	c := config{
		binDir:       os.Getenv(envBin),
		startTimeout: DefaultStartTimeout,
	}
	for _, o := range opts {
		c = o.apply(c)
	}
	return c
}

// Option configures Start.
type Option interface{ apply(config) config }

type optionFunc func(config) config

func (f optionFunc) apply(c config) config { return f(c) }

// WithBinDir overrides the OTELSWITCH_BIN variable: the directory holding
// the jaeger and otelcol binaries. Default: bin/ at the root of the
// github.com/otelswitch/otelswitch module, found by walking up from the
// working directory.
func WithBinDir(dir string) Option {
	return optionFunc(func(c config) config { c.binDir = dir; return c })
}

// WithFixedPorts makes the lab listen on the documented ports (see
// docs/lab.md): Jaeger on 4317, 4318, 16686, 16685 and 13133, the collector
// on 14317/14318 (OTLP), 24317/24318 (Elastic secret token), 34317/34318
// (Elastic API key), 8126 (Datadog intake: a proxy in front of the
// collector's receiver on 28126) and 13134 (health). Start fails with
// ErrPortInUse, naming the port, when one is taken. Without it every
// listener gets a free ephemeral port.
func WithFixedPorts() Option {
	return optionFunc(func(c config) config { c.fixedPorts = true; return c })
}

// WithDir makes the lab keep its configs, logs and collector output in dir
// (created if missing) and leave them there on Close. Default: a temporary
// directory that Close removes.
func WithDir(dir string) Option {
	return optionFunc(func(c config) config { c.dir = dir; return c })
}

// WithStartTimeout bounds how long Start waits for both processes to report
// healthy. Default: DefaultStartTimeout. The context passed to Start can
// only shorten it.
func WithStartTimeout(d time.Duration) Option {
	return optionFunc(func(c config) config { c.startTimeout = d; return c })
}

// WithSecretToken sets the token the Elastic secret-token receiver accepts
// (Authorization: Bearer <token>). Default: random per Start.
func WithSecretToken(token string) Option {
	return optionFunc(func(c config) config { c.secretToken = token; return c })
}

// WithAPIKey sets the key the Elastic API-key receiver accepts
// (Authorization: ApiKey <key>). Default: random per Start.
func WithAPIKey(key string) Option {
	return optionFunc(func(c config) config { c.apiKey = key; return c })
}

// WithJaegerUIAssets serves the Jaeger UI from dir, a build of
// github.com/jaegertracing/jaeger-ui (its packages/jaeger-ui/build). Jaeger
// built from its Go module has no UI embedded, so by default JaegerUI shows
// a placeholder page; the query API works either way.
func WithJaegerUIAssets(dir string) Option {
	return optionFunc(func(c config) config { c.uiAssets = dir; return c })
}

// WithRemoteSampling turns on Jaeger's remote_sampling extension, serving
// the strategies in the file at path (Jaeger's file strategy format) at
// Lab.JaegerSampling, so remote samplers can be proved against it.
func WithRemoteSampling(path string) Option {
	path = absPath(path) // Jaeger runs in another directory
	return optionFunc(func(c config) config { c.strategies = path; return c })
}

// WithOTLPTLS serves the collector's OTLP receivers (CollectorOTLP*,
// ElasticBearer*, ElasticAPIKey*, gRPC and HTTP) over TLS with the PEM
// certificate and key in these files, so clients can be proved against a
// private CA. Paths are made absolute: the collector runs elsewhere.
func WithOTLPTLS(certFile, keyFile string) Option {
	certFile, keyFile = absPath(certFile), absPath(keyFile)
	return optionFunc(func(c config) config { c.tlsCert, c.tlsKey = certFile, keyFile; return c })
}

// WithDatadogExporter adds the collector's datadog exporter (contrib, which
// runs datadog-agent's trace-agent: its OTLP-to-Datadog mapping, top-level
// marking and APM stats) to the traces pipelines of SourceOTLP and
// SourceDatadog, sending to the Datadog intake at url (traces, stats and
// metrics endpoints alike; NewDatadogIntake serves one). APM stats are
// turned on (the exporter's DisableAPMStats feature gate off), host
// metadata off, the API key is a placeholder.
func WithDatadogExporter(url string) Option {
	return optionFunc(func(c config) config { c.datadogIntake = url; return c })
}

func absPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}
