package datadog

import (
	"cmp"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/otelswitch/otelswitch/exporters/otlp"
	"github.com/otelswitch/otelswitch/internal/envconf"
)

// The variables this package reads. The DD_ ones are named and behave as
// Datadog's own tracers document them, so deployments that already set them
// (Unified Service Tagging, the Admission Controller) work unchanged.
const (
	envMode         = "DATADOG_MODE"
	envAgentHost    = "DD_AGENT_HOST"
	envAgentPort    = "DD_TRACE_AGENT_PORT"
	envAgentURL     = "DD_TRACE_AGENT_URL"
	envService      = "DD_SERVICE"
	envEnv          = "DD_ENV"
	envVersion      = "DD_VERSION"
	envTags         = "DD_TAGS"
	envOTLPEndpoint = "DATADOG_OTLP_ENDPOINT"
	envDSDURL       = "DD_DOGSTATSD_URL"
	envDSDHost      = "DD_DOGSTATSD_HOST"
	envDSDPort      = "DD_DOGSTATSD_PORT"
	envOTLPProtocol = "DATADOG_OTLP_PROTOCOL"
	envRuntime      = "DD_RUNTIME_METRICS_ENABLED"
	envGitCommitSHA = "DD_GIT_COMMIT_SHA"
	// envResourceAttributes is bootstrap's variable; native mode reads it
	// only to turn it into span tags when DD_TAGS is unset, as dd-trace-go
	// does.
	envResourceAttributes = "OTEL_RESOURCE_ATTRIBUTES"
)

// Modes.
const (
	// ModeNative mirrors every span into dd-trace-go, which sends it to the
	// Agent's trace intake (port 8126).
	ModeNative = "native"
	// ModeOTLP sends OTLP to the Agent's OTLP ingest (port 4317 or 4318).
	ModeOTLP = "otlp"
)

// Defaults of the Agent's listeners.
const (
	defaultAgentHost = "localhost"
	defaultAgentPort = 8126
	otlpGRPCPort     = "4317"
	otlpHTTPPort     = "4318"
	defaultDSDPort   = "8125"
)

// The Agent's Unix sockets, which dd-trace-go uses when no variable names
// the Agent and they exist (internal.DefaultTraceAgentUDSPath and
// internal/config.DefaultSocketDSDPath in dd-trace-go v2): the Datadog
// Helm chart and the Admission Controller mount them into pods.
const (
	DefaultAPMSocket = "/var/run/datadog/apm.socket"
	DefaultDSDSocket = "/var/run/datadog/dsd.socket"
)

// Sockets names the Unix sockets probed for the Agent; the zero value
// means the defaults. Tests point them at sockets of their own.
type Sockets struct {
	APM       string
	DogStatsD string
}

func (s Sockets) apm() string { return cmp.Or(s.APM, DefaultAPMSocket) }
func (s Sockets) dsd() string { return cmp.Or(s.DogStatsD, DefaultDSDSocket) }

// exists reports whether a socket (or any file) is at path.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Config is what the datadog backend reads.
type Config struct {
	Mode          string `envconfig:"DATADOG_MODE" default:"native" json:"mode" desc:"native: dd-trace-go sends to the Datadog Agent's trace intake (DD_TRACE_AGENT_URL, or DD_AGENT_HOST and DD_TRACE_AGENT_PORT). otlp: OTLP to the Agent's OTLP ingest (DATADOG_OTLP_ENDPOINT)."`
	AgentHost     string `envconfig:"DD_AGENT_HOST" json:"agent_host,omitempty" desc:"Host of the Datadog Agent (default localhost). Also the default host of DATADOG_OTLP_ENDPOINT. Setting it selects datadog in staging and production when TELEMETRY_BACKEND is unset."`
	AgentPort     *int   `envconfig:"DD_TRACE_AGENT_PORT" json:"agent_port,omitempty" desc:"Port of the Agent's trace intake (native mode; default 8126)."`
	AgentURL      string `envconfig:"DD_TRACE_AGENT_URL" json:"agent_url,omitempty" desc:"URL of the Agent's trace intake, http://host:8126, https://... or unix:///var/run/datadog/apm.socket; wins over DD_AGENT_HOST and DD_TRACE_AGENT_PORT (native mode). With none of the three set, /var/run/datadog/apm.socket when it exists, else http://localhost:8126, as dd-trace-go does; the socket also selects datadog in staging and production. Setting it selects datadog in staging and production."`
	DogStatsDURL  string `envconfig:"DD_DOGSTATSD_URL" json:"dogstatsd_url,omitempty" desc:"DogStatsD address for dd-trace-go's own metrics (native mode): host:port or unix:///var/run/datadog/dsd.socket. Default, as dd-trace-go: DD_DOGSTATSD_HOST and DD_DOGSTATSD_PORT when set, else /var/run/datadog/dsd.socket when it exists, else DD_AGENT_HOST (or localhost) on 8125."`
	DogStatsDHost string `envconfig:"DD_DOGSTATSD_HOST" json:"dogstatsd_host,omitempty" desc:"DogStatsD host (native mode; default DD_AGENT_HOST, else localhost)."`
	DogStatsDPort *int   `envconfig:"DD_DOGSTATSD_PORT" json:"dogstatsd_port,omitempty" desc:"DogStatsD port (native mode; default 8125)."`
	Service       string `envconfig:"DD_SERVICE" json:"service,omitempty" desc:"Datadog service. Wins over service in DD_TAGS and over the OTel service.name (OTEL_SERVICE_NAME, WithServiceName)."`
	Env           string `envconfig:"DD_ENV" json:"env,omitempty" desc:"Datadog env. Wins over env in DD_TAGS and over ENVIRONMENT."`
	Version       string `envconfig:"DD_VERSION" json:"version,omitempty" desc:"Datadog version. Wins over version in DD_TAGS and over the OTel service.version (SERVICE_VERSION, WithServiceVersion)."`
	Tags          string `envconfig:"DD_TAGS" json:"tags,omitempty" desc:"Tags on every span, key:value pairs separated by commas or spaces, e.g. team:books,tier:web. service, env and version in it apply when DD_SERVICE, DD_ENV and DD_VERSION are unset."`
	OTLPEndpoint  string `envconfig:"DATADOG_OTLP_ENDPOINT" json:"otlp_endpoint,omitempty" desc:"The Agent's OTLP ingest (otlp mode). Default http://<DD_AGENT_HOST or localhost>:4317 for grpc, :4318 for http/protobuf. Plaintext to a host that is not loopback is refused in staging and production."`
	OTLPProtocol  string `envconfig:"DATADOG_OTLP_PROTOCOL" default:"grpc" json:"otlp_protocol" desc:"grpc or http/protobuf (otlp mode)."`

	TraceID128Logging bool `envconfig:"DD_TRACE_128_BIT_TRACEID_LOGGING_ENABLED" default:"true" json:"trace_id_128_logging" desc:"true (default, as in dd-trace-go v2): dd.trace_id in logs is the whole 128-bit trace ID as 32 hex digits when its upper 64 bits are set, the low 64 bits in decimal otherwise, as dd-trace-go's span formatter writes it; false: always the low 64 bits in decimal."`
	SamplingConfig

	// sockets are probed by Agent; set by the Factory.
	sockets Sockets

	GitRepositoryURL string `envconfig:"DD_GIT_REPOSITORY_URL" json:"-" desc:"Native mode: the source repository sent as _dd.git.repository_url on each trace chunk, as dd-trace-go sends it (credentials in the URL are removed). Default: git.repository_url in DD_TAGS."`
	GitCommitSHA     string `envconfig:"DD_GIT_COMMIT_SHA" json:"git_commit_sha,omitempty" desc:"Native mode: the commit sent as _dd.git.commit.sha on each trace chunk; hexadecimal. Default: git.commit.sha in DD_TAGS, else the commit the binary was built from."`
	ProcessTags      *bool  `envconfig:"DD_EXPERIMENTAL_PROPAGATE_PROCESS_TAGS_ENABLED" json:"process_tags,omitempty" desc:"Native mode: false leaves out _dd.tags.process (the executable's name and directories), as in dd-trace-go. Default: true."`

	RuntimeMetrics *bool `envconfig:"DD_RUNTIME_METRICS_ENABLED" json:"runtime_metrics_enabled,omitempty" desc:"Native mode: dd-trace-go's Go runtime metrics (runtime.go.*) through DogStatsD (DD_DOGSTATSD_URL). Default: TELEMETRY_RUNTIME_METRICS."`
}

// ConfigFromEnv reads Config through lookup. It reports what envconfig
// cannot parse; Validate, and Resolve, which the factory builds from,
// check the rest.
func ConfigFromEnv(lookup envconf.LookupFunc) (Config, error) {
	return envconf.Read[Config]("datadog", lookup)
}

// Validate reports every problem with c in one error, each naming its
// variable: Resolve's.
func (c Config) Validate(strict bool) error {
	_, err := c.Resolve(strict)
	return err
}

// Resolved is the datadog backend resolved from its Config, once, by
// Resolve: the factory builds the backend from it and Telemetry.Config
// prints it.
type Resolved struct {
	Config
	// Identity is the service, env and version spans are sent under; the
	// factory sets it, for it depends on the service's own settings.
	Identity Identity `json:"identity"`
	// Endpoint is where spans go: the trace intake or the OTLP ingest.
	Endpoint string `json:"endpoint"`
	// DogStatsD is where dd-trace-go sends its own metrics (native mode).
	DogStatsD string `json:"dogstatsd,omitempty"`
	// Agent is the trace intake dd-trace-go sends to (native mode).
	Agent Agent `json:"-"`
	// Sampler applies dd-trace-go's sampling variables (native mode); nil
	// when none is set.
	Sampler *Sampler `json:"-"`
	// Traces and Logs are the Agent's OTLP ingest in otlp mode; Metrics is
	// where metrics go in either mode.
	Traces  otlp.Target `json:"-"`
	Metrics otlp.Target `json:"-"`
	Logs    otlp.Target `json:"-"`
}

// Resolve resolves c for its mode, with every problem in one error. strict
// changes nothing here: the TLS policy is applied when the backend is built.
func (c Config) Resolve(strict bool) (Resolved, error) {
	r := Resolved{Config: c}
	var err error
	switch c.Mode {
	case ModeNative:
		err = r.resolveNative()
	case ModeOTLP:
		err = r.resolveOTLP()
	default:
		err = fmt.Errorf("%s=%q: unknown mode; want %s or %s", envMode, c.Mode, ModeNative, ModeOTLP)
	}
	if err := errors.Join(err, c.checkAddresses(), validateTags(c.Tags), validateCommitSHA(c.GitCommitSHA)); err != nil {
		return Resolved{}, err
	}
	return r, nil
}

func (r *Resolved) resolveNative() error {
	agent, aerr := r.Config.Agent()
	metrics, merr := r.NativeMetricsTarget()
	sampler, serr := NewSampler(r.SamplingConfig)
	if err := errors.Join(aerr, merr, serr); err != nil {
		return err
	}
	r.Agent, r.Metrics, r.Sampler = agent, metrics, sampler
	r.Endpoint, r.DogStatsD = agent.URL.Redacted(), agent.DogStatsD
	return nil
}

func (r *Resolved) resolveOTLP() error {
	t, err := r.OTLPTarget()
	if err != nil {
		return err
	}
	r.Traces, r.Metrics, r.Logs = t, t.ForSignal(otlp.MetricsPath), t.ForSignal(otlp.LogsPath)
	r.Endpoint = t.URL.Redacted()
	return nil
}

// checkAddresses checks the ports and hosts both modes read.
func (c Config) checkAddresses() error {
	var errs []error
	for _, p := range []struct {
		name string
		port *int
	}{{envAgentPort, c.AgentPort}, {envDSDPort, c.DogStatsDPort}} {
		if p.port != nil && (*p.port < 1 || *p.port > 65535) {
			errs = append(errs, fmt.Errorf("%s=%d: want a port from 1 to 65535", p.name, *p.port))
		}
	}
	for _, h := range []struct{ name, host string }{{envDSDHost, c.DogStatsDHost}, {envAgentHost, c.AgentHost}} {
		if h.host != "" && strings.ContainsAny(h.host, "/:@ ") && net.ParseIP(h.host) == nil {
			errs = append(errs, fmt.Errorf("%s=%q: want a host name or IP address, without scheme or port", h.name, h.host))
		}
	}
	return errors.Join(errs...)
}

// NativeMetricsTarget is where native mode sends the application's OTel
// metrics: the Agent's OTLP ingest, as dd-trace-go's own OTel metrics
// support does. DATADOG_OTLP_ENDPOINT when set, with DATADOG_OTLP_PROTOCOL;
// else http/protobuf to the Agent host on port 4318.
func (c Config) NativeMetricsTarget() (otlp.Target, error) {
	if c.OTLPEndpoint == "" {
		c.OTLPProtocol = otlp.HTTPProtobuf
	}
	t, err := c.OTLPTarget()
	if err != nil {
		return otlp.Target{}, err
	}
	return t.ForSignal(otlp.MetricsPath), nil
}

// Agent is where native mode sends traces.
type Agent struct {
	// URL is the trace intake: http or https with host and port, or unix
	// with the socket's path.
	URL *url.URL
	// Var names the variable URL came from, for errors.
	Var string
	// DogStatsD is where dd-trace-go sends its own metrics: host:port or
	// unix:///path.
	DogStatsD string
}

// Socket returns the Unix socket's path, or "" for an HTTP agent.
func (a Agent) Socket() string {
	if a.URL.Scheme == "unix" {
		return a.URL.Path
	}
	return ""
}

// Plaintext reports whether spans travel unencrypted over the network: plain
// http to a host. A Unix socket never leaves the machine.
func (a Agent) Plaintext() bool { return a.URL.Scheme == "http" }

// CheckTransport applies the TLS policy of every backend: in strict
// environments (staging and production) plaintext is allowed only to
// loopback hosts or a Unix socket, unless TELEMETRY_ALLOW_INSECURE=true.
func (a Agent) CheckTransport(strict, allowInsecure bool) error {
	if !a.Plaintext() || !strict || allowInsecure || otlp.IsLoopback(a.URL.Hostname()) {
		return nil
	}
	return fmt.Errorf("%s=%q: plaintext to a host that is not loopback is refused in staging and production; "+
		"point %s at the Agent's socket (unix:///var/run/datadog/apm.socket), or set TELEMETRY_ALLOW_INSECURE=true "+
		"if the network between the service and the Agent is trusted", a.Var, a.URL.Redacted(), envAgentURL)
}

// WithSockets returns c probing s for the Agent's sockets.
func (c Config) WithSockets(s Sockets) Config {
	c.sockets = s
	return c
}

// Agent resolves the trace intake and DogStatsD the way dd-trace-go does
// (internal.AgentURLFromEnv, internal/config.initialDogstatsdURL):
// DD_TRACE_AGENT_URL, else http://DD_AGENT_HOST:DD_TRACE_AGENT_PORT when
// either is set, else the Agent's Unix socket when it exists, else
// http://localhost:8126.
func (c Config) Agent() (Agent, error) {
	a, err := c.traceAgent()
	if err != nil {
		return Agent{}, err
	}
	a.DogStatsD, err = c.dogStatsD()
	return a, err
}

func (c Config) dogStatsD() (string, error) {
	if u := c.DogStatsDURL; u != "" {
		if rest, ok := strings.CutPrefix(u, "unix://"); ok {
			if rest == "" || !strings.HasPrefix(rest, "/") {
				return "", fmt.Errorf("%s=%q: no socket path; want unix:///var/run/datadog/dsd.socket or host:port", envDSDURL, u)
			}
			return u, nil
		}
		// dd-trace-go takes udp://host:port as well as a bare host:port.
		hostPort := strings.TrimPrefix(u, "udp://")
		host, port, err := net.SplitHostPort(hostPort)
		if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
			return "", fmt.Errorf("%s=%q: want host:port or udp://host:port, such as localhost:8125, or unix:///var/run/datadog/dsd.socket", envDSDURL, u)
		}
		return hostPort, nil
	}
	port := defaultDSDPort
	if c.DogStatsDPort != nil {
		port = strconv.Itoa(*c.DogStatsDPort)
	}
	if c.DogStatsDHost == "" && c.DogStatsDPort == nil && exists(c.sockets.dsd()) {
		return "unix://" + c.sockets.dsd(), nil
	}
	return net.JoinHostPort(cmp.Or(c.DogStatsDHost, c.AgentHost, defaultAgentHost), port), nil
}

// SocketAgent reports whether the Agent's trace socket will be used: no
// variable names the Agent and the socket exists.
func (c Config) SocketAgent() bool {
	return c.AgentURL == "" && c.AgentHost == "" && c.AgentPort == nil && exists(c.sockets.apm())
}

func (c Config) traceAgent() (Agent, error) {
	if c.AgentURL != "" {
		return agentFromURL(c.AgentURL)
	}
	if c.SocketAgent() {
		return Agent{URL: &url.URL{Scheme: "unix", Path: c.sockets.apm()}, Var: envAgentURL}, nil
	}
	host := cmp.Or(c.AgentHost, defaultAgentHost)
	port := defaultAgentPort
	if c.AgentPort != nil {
		port = *c.AgentPort
	}
	v := envAgentHost
	if c.AgentHost == "" {
		v = envAgentPort
	}
	return Agent{URL: &url.URL{Scheme: "http", Host: net.JoinHostPort(host, strconv.Itoa(port))}, Var: v}, nil
}

// agentFromURL checks DD_TRACE_AGENT_URL: http(s)://host[:port] or
// unix:///path/to/apm.socket, with no credentials.
func agentFromURL(raw string) (Agent, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Agent{}, fmt.Errorf("%s=%q: malformed URL; want http://host:8126 or unix:///path/to/apm.socket", envAgentURL, raw)
	}
	switch u.Scheme {
	case "http", "https":
		if u.Host == "" || u.Opaque != "" {
			return Agent{}, fmt.Errorf("%s=%q: no host; want http://host:8126", envAgentURL, raw)
		}
		if p := u.Port(); p != "" {
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				return Agent{}, fmt.Errorf("%s=%q: malformed port %q", envAgentURL, raw, p)
			}
		}
		if u.User != nil {
			return Agent{}, fmt.Errorf("%s: credentials in the URL are not allowed; the Agent needs none", envAgentURL)
		}
		return Agent{URL: &url.URL{Scheme: u.Scheme, Host: u.Host}, Var: envAgentURL}, nil
	case "unix":
		if u.Path == "" {
			return Agent{}, fmt.Errorf("%s=%q: no socket path; want unix:///var/run/datadog/apm.socket", envAgentURL, raw)
		}
		return Agent{URL: &url.URL{Scheme: "unix", Path: u.Path}, Var: envAgentURL}, nil
	default:
		return Agent{}, fmt.Errorf("%s=%q: unsupported scheme %q; want http, https or unix", envAgentURL, raw, u.Scheme)
	}
}

// OTLPTarget resolves where otlp mode sends traces: DATADOG_OTLP_ENDPOINT,
// else the Agent's host (DD_AGENT_HOST or localhost) on 4317 for grpc or
// 4318 for http/protobuf, plaintext, as the Agent listens by default.
func (c Config) OTLPTarget() (otlp.Target, error) {
	proto, perr := otlp.ParseProtocol(envOTLPProtocol, c.OTLPProtocol, otlp.GRPC)
	errs := []error{perr}
	endpoint, endpointVar := c.OTLPEndpoint, envOTLPEndpoint
	if endpoint == "" {
		port := otlpGRPCPort
		if proto == otlp.HTTPProtobuf {
			port = otlpHTTPPort
		}
		endpoint = "http://" + net.JoinHostPort(cmp.Or(c.AgentHost, defaultAgentHost), port)
		if c.AgentHost != "" {
			endpointVar = envAgentHost
		}
	}
	// A base URL: /v1/traces and /v1/metrics are added over HTTP, as for
	// every backend; over gRPC a path is refused.
	t := otlp.Target{Protocol: proto, Insecure: !strings.Contains(endpoint, "://"), Compression: otlp.None}
	traces, _, err := otlp.BaseTargets(endpointVar, endpoint, t, otlp.Hints{
		Credentials: "the Agent needs none",
		GRPCPath:    "set " + envOTLPProtocol + "=http/protobuf",
	})
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return otlp.Target{}, err
	}
	if c.OTLPEndpoint == "" {
		traces.EndpointValue, traces.EndpointDefault = "", c.AgentHost == ""
	}
	return traces, nil
}

// tag is one DD_TAGS entry.
type tag struct{ key, value string }

// parseTags reads DD_TAGS as dd-trace-go does: key:value pairs separated
// by commas, or by spaces when there is no comma; a key without a value
// gets the empty value.
func parseTags(s string) []tag {
	sep := " "
	if strings.Contains(s, ",") {
		sep = ","
	}
	var tags []tag
	for _, item := range strings.Split(s, sep) {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		k, v, _ := strings.Cut(item, ":")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if k == "" {
			continue
		}
		tags = append(tags, tag{k, v})
	}
	return tags
}

// validateCommitSHA checks DD_GIT_COMMIT_SHA: a git commit hash, whole
// or abbreviated.
func validateCommitSHA(s string) error {
	if s == "" {
		return nil
	}
	if _, err := hex.DecodeString(strings.Repeat("0", len(s)%2) + s); err != nil {
		return fmt.Errorf("%s=%q: not a git commit hash; want hexadecimal digits", envGitCommitSHA, s)
	}
	return nil
}

func validateTags(s string) error {
	for _, r := range s {
		if (r < 0x20 && r != '\t') || r == 0x7f {
			return fmt.Errorf("%s: holds a control character (CR, LF or other)", envTags)
		}
	}
	for _, item := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' }) {
		if k, _, _ := strings.Cut(strings.TrimSpace(item), ":"); strings.TrimSpace(item) != "" && strings.TrimSpace(k) == "" {
			return fmt.Errorf("%s=%q: entry %q has no key; want key:value", envTags, s, strings.TrimSpace(item))
		}
	}
	return nil
}
