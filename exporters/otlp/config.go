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
	Endpoint        string `envconfig:"OTEL_EXPORTER_OTLP_ENDPOINT" desc:"Base URL for every signal; over HTTP the signal path (/v1/traces) is appended, so a URL that already ends in one is refused (use the per-signal variable for a full URL); over grpc a path is refused. Default http://localhost:4318 (http/protobuf) or http://localhost:4317 (grpc)."`
	TracesEndpoint  string `envconfig:"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" desc:"Full URL for traces, used as it is."`
	MetricsEndpoint string `envconfig:"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT" desc:"Full URL for metrics, used as it is."`

	Protocol        string `envconfig:"OTEL_EXPORTER_OTLP_PROTOCOL" desc:"grpc or http/protobuf (default)."`
	TracesProtocol  string `envconfig:"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL" desc:"Protocol for traces."`
	MetricsProtocol string `envconfig:"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL" desc:"Protocol for metrics."`

	Headers        secret.String `envconfig:"OTEL_EXPORTER_OTLP_HEADERS" desc:"Headers for every export: key1=value1,key2=value2; values percent-encoded where needed. Treated as secret."`
	TracesHeaders  secret.String `envconfig:"OTEL_EXPORTER_OTLP_TRACES_HEADERS" desc:"Headers for traces, replacing OTEL_EXPORTER_OTLP_HEADERS."`
	MetricsHeaders secret.String `envconfig:"OTEL_EXPORTER_OTLP_METRICS_HEADERS" desc:"Headers for metrics, replacing OTEL_EXPORTER_OTLP_HEADERS."`

	Timeout        *int `envconfig:"OTEL_EXPORTER_OTLP_TIMEOUT" desc:"Export timeout in milliseconds. Default: TELEMETRY_EXPORT_TIMEOUT, else the profile."`
	TracesTimeout  *int `envconfig:"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT" desc:"Export timeout for traces, in milliseconds."`
	MetricsTimeout *int `envconfig:"OTEL_EXPORTER_OTLP_METRICS_TIMEOUT" desc:"Export timeout for metrics, in milliseconds."`

	Compression        string `envconfig:"OTEL_EXPORTER_OTLP_COMPRESSION" desc:"gzip or none (default)."`
	TracesCompression  string `envconfig:"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION" desc:"Compression for traces."`
	MetricsCompression string `envconfig:"OTEL_EXPORTER_OTLP_METRICS_COMPRESSION" desc:"Compression for metrics."`

	Insecure        *bool `envconfig:"OTEL_EXPORTER_OTLP_INSECURE" desc:"true: plaintext gRPC to an endpoint given without a scheme."`
	TracesInsecure  *bool `envconfig:"OTEL_EXPORTER_OTLP_TRACES_INSECURE" desc:"Insecure for traces."`
	MetricsInsecure *bool `envconfig:"OTEL_EXPORTER_OTLP_METRICS_INSECURE" desc:"Insecure for metrics."`

	Certificate        string `envconfig:"OTEL_EXPORTER_OTLP_CERTIFICATE" desc:"PEM file of the CA that signed the server's certificate (default: system roots)."`
	TracesCertificate  string `envconfig:"OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE" desc:"CA file for traces."`
	MetricsCertificate string `envconfig:"OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE" desc:"CA file for metrics."`

	ClientCertificate string `envconfig:"OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE" desc:"PEM client certificate for mTLS."`
	ClientKey         string `envconfig:"OTEL_EXPORTER_OTLP_CLIENT_KEY" desc:"PEM client key for mTLS."`
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
	return err
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
