package otlp

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/otelswitch/otelswitch/internal/envconf"
	"github.com/otelswitch/otelswitch/internal/secret"
)

// Config holds the specification's OTEL_EXPORTER_OTLP_* variables. A
// per-signal variable (OTEL_EXPORTER_OTLP_TRACES_*) wins over the general one.
// Pointers tell "unset" from a zero value.
type Config struct {
	Endpoint        string `envconfig:"OTEL_EXPORTER_OTLP_ENDPOINT" json:"otel_exporter_otlp_endpoint,omitempty" desc:"Base URL for every signal; over HTTP the signal path (/v1/traces) is appended, so a URL that already ends in one is refused (use the per-signal variable for a full URL); over grpc a path is refused. Default http://localhost:4318 (http/protobuf) or http://localhost:4317 (grpc)."`
	TracesEndpoint  string `envconfig:"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" json:"otel_exporter_otlp_traces_endpoint,omitempty" desc:"Full URL for traces, used as it is."`
	MetricsEndpoint string `envconfig:"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT" json:"otel_exporter_otlp_metrics_endpoint,omitempty" desc:"Full URL for metrics, used as it is."`
	LogsEndpoint    string `envconfig:"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT" json:"otel_exporter_otlp_logs_endpoint,omitempty" desc:"Full URL for logs, used as it is."`

	Protocol        string `envconfig:"OTEL_EXPORTER_OTLP_PROTOCOL" json:"otel_exporter_otlp_protocol,omitempty" desc:"grpc or http/protobuf (default)."`
	TracesProtocol  string `envconfig:"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL" json:"otel_exporter_otlp_traces_protocol,omitempty" desc:"Protocol for traces."`
	MetricsProtocol string `envconfig:"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL" json:"otel_exporter_otlp_metrics_protocol,omitempty" desc:"Protocol for metrics."`
	LogsProtocol    string `envconfig:"OTEL_EXPORTER_OTLP_LOGS_PROTOCOL" json:"otel_exporter_otlp_logs_protocol,omitempty" desc:"Protocol for logs."`

	Headers        secret.String `envconfig:"OTEL_EXPORTER_OTLP_HEADERS" json:"otel_exporter_otlp_headers,omitempty" desc:"Headers for every export: key1=value1,key2=value2; values percent-encoded where needed. Treated as secret."`
	TracesHeaders  secret.String `envconfig:"OTEL_EXPORTER_OTLP_TRACES_HEADERS" json:"otel_exporter_otlp_traces_headers,omitempty" desc:"Headers for traces, replacing OTEL_EXPORTER_OTLP_HEADERS."`
	MetricsHeaders secret.String `envconfig:"OTEL_EXPORTER_OTLP_METRICS_HEADERS" json:"otel_exporter_otlp_metrics_headers,omitempty" desc:"Headers for metrics, replacing OTEL_EXPORTER_OTLP_HEADERS."`
	LogsHeaders    secret.String `envconfig:"OTEL_EXPORTER_OTLP_LOGS_HEADERS" json:"otel_exporter_otlp_logs_headers,omitempty" desc:"Headers for logs, replacing OTEL_EXPORTER_OTLP_HEADERS."`

	Timeout        *int `envconfig:"OTEL_EXPORTER_OTLP_TIMEOUT" json:"otel_exporter_otlp_timeout,omitempty" desc:"Export timeout in milliseconds. Default: TELEMETRY_EXPORT_TIMEOUT, else the profile."`
	TracesTimeout  *int `envconfig:"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT" json:"otel_exporter_otlp_traces_timeout,omitempty" desc:"Export timeout for traces, in milliseconds."`
	MetricsTimeout *int `envconfig:"OTEL_EXPORTER_OTLP_METRICS_TIMEOUT" json:"otel_exporter_otlp_metrics_timeout,omitempty" desc:"Export timeout for metrics, in milliseconds."`
	LogsTimeout    *int `envconfig:"OTEL_EXPORTER_OTLP_LOGS_TIMEOUT" json:"otel_exporter_otlp_logs_timeout,omitempty" desc:"Export timeout for logs, in milliseconds."`

	Compression        string `envconfig:"OTEL_EXPORTER_OTLP_COMPRESSION" json:"otel_exporter_otlp_compression,omitempty" desc:"gzip or none (default)."`
	TracesCompression  string `envconfig:"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION" json:"otel_exporter_otlp_traces_compression,omitempty" desc:"Compression for traces."`
	MetricsCompression string `envconfig:"OTEL_EXPORTER_OTLP_METRICS_COMPRESSION" json:"otel_exporter_otlp_metrics_compression,omitempty" desc:"Compression for metrics."`
	LogsCompression    string `envconfig:"OTEL_EXPORTER_OTLP_LOGS_COMPRESSION" json:"otel_exporter_otlp_logs_compression,omitempty" desc:"Compression for logs."`

	Insecure        *bool `envconfig:"OTEL_EXPORTER_OTLP_INSECURE" json:"otel_exporter_otlp_insecure,omitempty" desc:"true: plaintext gRPC to an endpoint given without a scheme."`
	TracesInsecure  *bool `envconfig:"OTEL_EXPORTER_OTLP_TRACES_INSECURE" json:"otel_exporter_otlp_traces_insecure,omitempty" desc:"Insecure for traces."`
	MetricsInsecure *bool `envconfig:"OTEL_EXPORTER_OTLP_METRICS_INSECURE" json:"otel_exporter_otlp_metrics_insecure,omitempty" desc:"Insecure for metrics."`
	LogsInsecure    *bool `envconfig:"OTEL_EXPORTER_OTLP_LOGS_INSECURE" json:"otel_exporter_otlp_logs_insecure,omitempty" desc:"Insecure for logs."`

	Certificate        string `envconfig:"OTEL_EXPORTER_OTLP_CERTIFICATE" json:"otel_exporter_otlp_certificate,omitempty" desc:"PEM file of the CA that signed the server's certificate (default: system roots)."`
	TracesCertificate  string `envconfig:"OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE" json:"otel_exporter_otlp_traces_certificate,omitempty" desc:"CA file for traces."`
	MetricsCertificate string `envconfig:"OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE" json:"otel_exporter_otlp_metrics_certificate,omitempty" desc:"CA file for metrics."`
	LogsCertificate    string `envconfig:"OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE" json:"otel_exporter_otlp_logs_certificate,omitempty" desc:"CA file for logs."`

	ClientCertificate string `envconfig:"OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE" json:"otel_exporter_otlp_client_certificate,omitempty" desc:"PEM client certificate for mTLS."`
	ClientKey         string `envconfig:"OTEL_EXPORTER_OTLP_CLIENT_KEY" json:"otel_exporter_otlp_client_key,omitempty" desc:"PEM client key for mTLS."`
}

// ConfigFromEnv reads Config through lookup. It reports what envconfig
// cannot parse; Validate, and Resolve, which the factory builds from,
// check the rest.
func ConfigFromEnv(lookup envconf.LookupFunc) (Config, error) {
	return envconf.Read[Config]("otlp", lookup)
}

// signal names one signal's variables.
type signal struct {
	name, path string
}

var (
	traces  = signal{"TRACES", TracesPath}
	metrics = signal{"METRICS", MetricsPath}
	logs    = signal{"LOGS", LogsPath}
)

func (s signal) vr(general string) string {
	return strings.Replace(general, "OTEL_EXPORTER_OTLP_", "OTEL_EXPORTER_OTLP_"+s.name+"_", 1)
}

// first returns the per-signal value when set, else the general one, with
// the name of the variable it came from.
func first(specific, general, generalVar string, s signal) (string, string) {
	if specific != "" {
		return specific, s.vr(generalVar)
	}
	return general, generalVar
}

// Resolved is the otlp backend resolved from its Config, once, by
// Resolve: the factory builds the backend from it and Telemetry.Config
// prints it (the variables as read and where each signal goes; the targets
// themselves are not printed).
type Resolved struct {
	Config
	Endpoints
	Traces  Target `json:"-"`
	Metrics Target `json:"-"`
	Logs    Target `json:"-"`
	// TracesTimeout and LogsTimeout are the export timeouts the
	// OTEL_EXPORTER_OTLP_*TIMEOUT variables set; zero when none is set.
	TracesTimeout time.Duration `json:"-"`
	LogsTimeout   time.Duration `json:"-"`
}

// Resolve resolves every signal's target, with every problem in one error.
// strict (staging and production) changes nothing here: the TLS policy is
// applied when the backend is built (Target.CheckTransport).
func (c Config) Resolve(strict bool) (Resolved, error) {
	r := Resolved{Config: c}
	tr, mt, timeout, err := c.Targets()
	lt, logTimeout, lerr := c.LogsTarget()
	if err := joinUnique(err, lerr); err != nil {
		return Resolved{}, err
	}
	r.Traces, r.Metrics, r.Logs, r.TracesTimeout, r.LogsTimeout = tr, mt, lt, timeout, logTimeout
	r.Endpoints = EndpointsOf(tr, &mt, &lt)
	return r, nil
}

// Validate reports every problem with the configuration: Resolve's.
func (c Config) Validate(strict bool) error {
	_, err := c.Resolve(strict)
	return err
}

// Targets resolves the traces and metrics targets, with every problem in one
// error.
func (c Config) Targets() (tr, mt Target, timeout time.Duration, err error) {
	tr, timeout, e1 := c.target(traces)
	mt, _, e2 := c.target(metrics)
	return tr, mt, timeout, joinUnique(e1, e2)
}

// LogsTarget resolves the logs target and its export timeout (zero when
// no OTEL_EXPORTER_OTLP_*TIMEOUT is set).
func (c Config) LogsTarget() (Target, time.Duration, error) {
	return c.target(logs)
}

// joinUnique joins errs, each message once: a bad general variable is found
// by both the traces and the metrics target.
func joinUnique(errs ...error) error {
	var out []error
	seen := map[string]bool{}
	for _, err := range errs {
		if err == nil {
			continue
		}
		for _, e := range unwrapJoined(err) {
			if !seen[e.Error()] {
				seen[e.Error()] = true
				out = append(out, e)
			}
		}
	}
	return errors.Join(out...)
}

func unwrapJoined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// signalVars are one signal's own variables (OTEL_EXPORTER_OTLP_TRACES_*),
// each empty or nil when unset.
type signalVars struct {
	endpoint, protocol, compression, certificate string
	headers                                      secret.String
	timeout                                      *int
	insecure                                     *bool
}

// of returns signal s's own variables.
func (c Config) of(s signal) signalVars {
	switch s {
	case traces:
		return signalVars{c.TracesEndpoint, c.TracesProtocol, c.TracesCompression, c.TracesCertificate, c.TracesHeaders, c.TracesTimeout, c.TracesInsecure}
	case metrics:
		return signalVars{c.MetricsEndpoint, c.MetricsProtocol, c.MetricsCompression, c.MetricsCertificate, c.MetricsHeaders, c.MetricsTimeout, c.MetricsInsecure}
	default:
		return signalVars{c.LogsEndpoint, c.LogsProtocol, c.LogsCompression, c.LogsCertificate, c.LogsHeaders, c.LogsTimeout, c.LogsInsecure}
	}
}

// target resolves signal s's target and export timeout: each setting from
// the signal's own variable when set, else the general one.
func (c Config) target(s signal) (Target, time.Duration, error) {
	v := c.of(s)
	t := Target{ClientCertificate: c.ClientCertificate, ClientKey: c.ClientKey}
	proto, protoVar := first(v.protocol, c.Protocol, "OTEL_EXPORTER_OTLP_PROTOCOL", s)
	var errs [5]error
	t.Protocol, errs[0] = ParseProtocol(protoVar, proto, HTTPProtobuf)
	errs[1] = c.resolveURL(&t, s, v.endpoint)
	errs[2] = c.resolveHeaders(&t, s, v.headers)
	d, err := c.timeout(s, v.timeout)
	errs[3] = err
	comp, compVar := first(v.compression, c.Compression, "OTEL_EXPORTER_OTLP_COMPRESSION", s)
	t.Compression, errs[4] = ParseCompression(compVar, comp, None)
	in := c.Insecure
	if v.insecure != nil {
		in = v.insecure
	}
	t.Insecure = in != nil && *in
	t.Certificate, t.CertificateVar = first(v.certificate, c.Certificate, "OTEL_EXPORTER_OTLP_CERTIFICATE", s)
	return t, d, errors.Join(errs[:]...)
}

// resolveURL sets t's URL for signal s over t.Protocol: the signal's own
// endpoint, a full URL used as it is, else the general base URL (or the
// default) with the signal path appended over HTTP.
func (c Config) resolveURL(t *Target, s signal, endpoint string) error {
	if endpoint != "" {
		t.EndpointVar, t.EndpointValue = s.vr("OTEL_EXPORTER_OTLP_ENDPOINT"), endpoint
		u, err := ParseEndpoint(t.EndpointVar, endpoint, t.Protocol, s.path)
		t.URL = u
		return err
	}
	t.EndpointVar, t.EndpointValue = "OTEL_EXPORTER_OTLP_ENDPOINT", c.Endpoint
	base := c.Endpoint
	if base == "" {
		t.EndpointDefault = true
		base = "http://localhost:4318"
		if t.Protocol == GRPC {
			base = "http://localhost:4317"
		}
	}
	u, err := ParseEndpoint(t.EndpointVar, base, t.Protocol, "")
	if err == nil && t.Protocol == HTTPProtobuf {
		// The base URL gets the signal path; one it already ends in
		// would be doubled.
		err = SignalPathError(t.EndpointVar, base, u)
	}
	if u != nil && t.Protocol == HTTPProtobuf {
		u = JoinPath(u, s.path)
	}
	t.URL = u
	return err
}

// resolveHeaders sets t's headers, and its authentication when there are
// any, from the signal's own list or the general one.
func (c Config) resolveHeaders(t *Target, s signal, headers secret.String) error {
	h, hVar := first(string(headers), string(c.Headers), "OTEL_EXPORTER_OTLP_HEADERS", s)
	parsed, err := ParseHeaders(hVar, h)
	t.Headers = parsed
	if len(parsed) > 0 {
		t.Auth, t.CredentialVar = "headers", hVar
	}
	return err
}

// timeout returns signal s's export timeout, zero when no timeout variable
// is set.
func (c Config) timeout(s signal, timeout *int) (time.Duration, error) {
	ms, msVar := c.Timeout, "OTEL_EXPORTER_OTLP_TIMEOUT"
	if timeout != nil {
		ms, msVar = timeout, s.vr(msVar)
	}
	if ms == nil {
		return 0, nil
	}
	if *ms <= 0 {
		return 0, fmt.Errorf("%s=%d: want a positive number of milliseconds", msVar, *ms)
	}
	return time.Duration(*ms) * time.Millisecond, nil
}
