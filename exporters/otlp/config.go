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

// ConfigFromEnv reads Config through lookup.
func ConfigFromEnv(lookup envconf.LookupFunc) (Config, error) {
	var c Config
	if err := envconf.Process(lookup, &c); err != nil {
		return Config{}, fmt.Errorf("otlp: %w", err)
	}
	return c, nil
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

// Targets resolves the traces and metrics targets, with every problem in one
// error.
func (c Config) Targets() (tr, mt Target, timeout time.Duration, err error) {
	var errs []error
	tr, trTimeout, e := c.target(traces, c.TracesEndpoint, c.TracesProtocol, c.TracesHeaders, c.TracesTimeout, c.TracesCompression, c.TracesInsecure, c.TracesCertificate)
	errs = append(errs, e)
	mt, _, e = c.target(metrics, c.MetricsEndpoint, c.MetricsProtocol, c.MetricsHeaders, c.MetricsTimeout, c.MetricsCompression, c.MetricsInsecure, c.MetricsCertificate)
	errs = append(errs, e)
	return tr, mt, trTimeout, joinUnique(errs...)
}

// LogsTarget resolves the logs target and its export timeout (zero when
// no OTEL_EXPORTER_OTLP_*TIMEOUT is set).
func (c Config) LogsTarget() (Target, time.Duration, error) {
	return c.target(logs, c.LogsEndpoint, c.LogsProtocol, c.LogsHeaders, c.LogsTimeout, c.LogsCompression, c.LogsInsecure, c.LogsCertificate)
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

// Validate reports every problem with the configuration.
func (c Config) Validate() error {
	_, _, _, err := c.Targets()
	_, _, lerr := c.LogsTarget()
	return joinUnique(err, lerr)
}

func (c Config) target(s signal, endpoint, protocol string, headers secret.String, timeout *int, compression string, insecure *bool, cert string) (Target, time.Duration, error) {
	var errs []error
	t := Target{ClientCertificate: c.ClientCertificate, ClientKey: c.ClientKey}

	proto, protoVar := first(protocol, c.Protocol, "OTEL_EXPORTER_OTLP_PROTOCOL", s)
	switch proto {
	case "":
		proto = HTTPProtobuf
	case GRPC, HTTPProtobuf:
	default:
		errs = append(errs, fmt.Errorf("%s=%q: unknown protocol; want grpc or http/protobuf", protoVar, proto))
		proto = HTTPProtobuf
	}
	t.Protocol = proto

	switch {
	case endpoint != "":
		// The per-signal variable is the full URL, used as it is.
		t.EndpointVar, t.EndpointValue = s.vr("OTEL_EXPORTER_OTLP_ENDPOINT"), endpoint
		u, err := ParseEndpoint(t.EndpointVar, endpoint, proto, s.path)
		errs = append(errs, err)
		t.URL = u
	default:
		t.EndpointVar, t.EndpointValue = "OTEL_EXPORTER_OTLP_ENDPOINT", c.Endpoint
		base := c.Endpoint
		if base == "" {
			t.EndpointDefault = true
			base = "http://localhost:4318"
			if proto == GRPC {
				base = "http://localhost:4317"
			}
		}
		u, err := ParseEndpoint(t.EndpointVar, base, proto, "")
		if err == nil && proto == HTTPProtobuf {
			// The base URL gets the signal path; one it already ends in
			// would be doubled.
			err = SignalPathError(t.EndpointVar, base, u)
		}
		errs = append(errs, err)
		if u != nil && proto == HTTPProtobuf {
			u = JoinPath(u, s.path)
		}
		t.URL = u
	}

	h, hVar := first(string(headers), string(c.Headers), "OTEL_EXPORTER_OTLP_HEADERS", s)
	parsed, err := ParseHeaders(hVar, h)
	errs = append(errs, err)
	t.Headers = parsed
	if len(parsed) > 0 {
		t.Auth, t.CredentialVar = "headers", hVar
	}

	ms := c.Timeout
	msVar := "OTEL_EXPORTER_OTLP_TIMEOUT"
	if timeout != nil {
		ms, msVar = timeout, s.vr(msVar)
	}
	var d time.Duration
	if ms != nil {
		if *ms <= 0 {
			errs = append(errs, fmt.Errorf("%s=%d: want a positive number of milliseconds", msVar, *ms))
		}
		d = time.Duration(*ms) * time.Millisecond
	}

	comp, compVar := first(compression, c.Compression, "OTEL_EXPORTER_OTLP_COMPRESSION", s)
	switch comp {
	case "", None:
		t.Compression = None
	case Gzip:
		t.Compression = Gzip
	default:
		errs = append(errs, fmt.Errorf("%s=%q: unknown compression; want gzip or none", compVar, comp))
	}

	in := c.Insecure
	if insecure != nil {
		in = insecure
	}
	t.Insecure = in != nil && *in

	t.Certificate, t.CertificateVar = first(cert, c.Certificate, "OTEL_EXPORTER_OTLP_CERTIFICATE", s)
	return t, d, errors.Join(errs...)
}

// resolved is the configuration Telemetry.Config shows for the backend: the
// variables as read and where each signal goes.
type resolved struct {
	Config
	Endpoints
}
