package otlp

import (
	"cmp"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/internal/secret"
)

// Protocols.
const (
	GRPC         = "grpc"
	HTTPProtobuf = "http/protobuf"
)

// Compressions.
const (
	Gzip = "gzip"
	None = "none"
)

// Target is one OTLP destination for one signal.
type Target struct {
	// Protocol is GRPC or HTTPProtobuf.
	Protocol string
	// URL is the full URL. For HTTPProtobuf its path is where the signal is
	// posted (/v1/traces); for GRPC only the host and port count.
	URL *url.URL
	// Insecure sends in plaintext.
	Insecure bool
	// Headers go with every export; values are often credentials.
	Headers     map[string]secret.String
	Compression string
	// Certificate, ClientCertificate and ClientKey are PEM files: the CA to
	// trust instead of the system pool, and a client certificate for mTLS.
	Certificate       string
	ClientCertificate string
	ClientKey         string
	// EndpointVar names the variable the URL came from, for errors, and
	// EndpointValue is what the user set there (credentials masked): errors
	// quote it rather than a URL derived from it.
	EndpointVar   string
	EndpointValue string
	// EndpointDefault is set when the URL is a default the user did not set.
	EndpointDefault bool
	// Auth names the authentication scheme, such as "api-key header";
	// CredentialVar the variable holding the credential; AuthHint is the
	// vendor's advice when the credential is refused.
	Auth          string
	CredentialVar string
	AuthHint      string
	// CertificateVar names the variable Certificate came from, so that a
	// missing or broken CA file is blamed on it.
	CertificateVar string

	// SkipVerify accepts any server certificate, as a vendor's
	// verify-server-cert switch set to false asks; SkipVerifyVar names that
	// variable, for errors.
	SkipVerify    bool
	SkipVerifyVar string

	// noRetry makes exports fail at once rather than retry (Settings.NoRetry).
	noRetry bool
}

// Endpoint describes t for the startup log and the doctor.
func (t Target) Endpoint(signal string) exporters.Endpoint {
	e := exporters.Endpoint{
		Signal:         signal,
		Protocol:       t.Protocol,
		Plaintext:      t.plaintext(),
		Variable:       t.EndpointVar,
		Default:        t.EndpointDefault,
		Auth:           cmp.Or(t.Auth, "none"),
		CredentialVar:  t.CredentialVar,
		CertificateVar: t.CertificateVar,
		Certificate:    t.Certificate,
		Hint:           t.AuthHint,
	}
	if t.URL != nil {
		u := *t.URL
		if t.Protocol == GRPC {
			u.Path, u.RawPath = "", ""
			if t.Insecure {
				u.Scheme = "http"
			}
		}
		e.URL = u.Redacted()
	}
	return e
}

// ParseEndpoint reads an endpoint variable. It takes a URL with an http or
// https scheme, or, for gRPC, a bare host:port as many deployments write it.
// defaultPath is used for HTTP when the URL has none.
func ParseEndpoint(variable, value, protocol, defaultPath string) (*url.URL, error) {
	shown := redactUserinfo(value)
	raw := value
	if !strings.Contains(raw, "://") {
		if protocol != GRPC {
			return nil, fmt.Errorf("%s=%q: malformed endpoint; want a URL such as https://host:4318", variable, shown)
		}
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return nil, fmt.Errorf("%s=%q: malformed endpoint; want a URL such as https://host:4318 or, for gRPC, host:4317", variable, shown)
	}
	if why := urlProblem(u); why != "" {
		return nil, fmt.Errorf("%s=%q: %s", variable, shown, why)
	}
	if protocol == GRPC && strings.Trim(u.Path, "/") != "" {
		return nil, fmt.Errorf("%s=%q: gRPC cannot use a URL path; remove %q (a gRPC endpoint is host:port)", variable, shown, u.Path)
	}
	if protocol == HTTPProtobuf && (u.Path == "" || u.Path == "/") {
		u.Path = defaultPath
	}
	return u, nil
}

// urlProblem says what makes u unusable as an endpoint: credentials in
// it, a scheme other than http(s) or a port that is not one; "" if nothing.
func urlProblem(u *url.URL) string {
	if u.User != nil {
		return "credentials in the URL are not allowed; send them as headers"
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Sprintf("unsupported scheme %q; want http or https", u.Scheme)
	}
	if port := u.Port(); port != "" {
		if _, err := net.LookupPort("tcp", port); err != nil {
			return fmt.Sprintf("malformed port %q", port)
		}
	}
	return ""
}

// redactUserinfo hides whatever stands between the scheme and the last '@'
// of the authority, so that an error quoting an endpoint never shows a
// password, even one in a URL too broken to parse.
func redactUserinfo(value string) string {
	start, end, ok := userinfo(value)
	if !ok {
		return value
	}
	return value[:start] + secret.Redacted + value[end:]
}

// HasUserinfo reports whether value, a URL or host:port, holds user
// information (user:password@) before its host, even when it is too broken
// to parse.
func HasUserinfo(value string) bool {
	_, _, ok := userinfo(value)
	return ok
}

// userinfo returns where the user information of value starts and ends:
// between the scheme, if any, and the last '@' of the authority.
func userinfo(value string) (start, end int, ok bool) {
	_, rest, found := strings.Cut(value, "://")
	if !found {
		rest = value
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return 0, 0, false
	}
	start = len(value) - len(rest)
	return start, start + at, true
}

// Hints finish two of BaseTargets' errors with the vendor's own advice.
type Hints struct {
	// Credentials says where credentials go instead of the URL, such as
	// "use ELASTIC_APM_SECRET_TOKEN or ELASTIC_APM_API_KEY".
	Credentials string
	// GRPCPath says what to do instead of giving gRPC a URL path, such as
	// "use http/protobuf".
	GRPCPath string
	// TracesOnly is set for a backend that takes traces alone: a URL ending
	// in /v1/traces is then the specification's per-signal form and is used
	// as it is; for the others it is refused, for the path is added per
	// signal.
	TracesOnly bool
}

// BaseTargets resolves a vendor's base URL, read from variable, into the
// traces and metrics targets, each a copy of t with the URL and EndpointVar
// set: over HTTP the signal paths are appended to the URL's path, as for
// OTEL_EXPORTER_OTLP_ENDPOINT; over gRPC only the host and port count, so a
// path is refused rather than silently ignored. A URL holding credentials is
// refused as such, whatever else is wrong with it.
func BaseTargets(variable, base string, t Target, hints Hints) (traces, metrics Target, err error) {
	if HasUserinfo(base) {
		return Target{}, Target{}, fmt.Errorf("%s: credentials in the URL are not allowed; %s", variable, hints.Credentials)
	}
	if t.Protocol == GRPC {
		// Checked before ParseEndpoint, to give the vendor's advice.
		if u, err := url.Parse(withScheme(base)); err == nil && u.Host != "" && strings.Trim(u.Path, "/") != "" {
			return Target{}, Target{}, fmt.Errorf("%s=%q: gRPC cannot use a URL path; remove %q, or %s", variable, base, u.Path, hints.GRPCPath)
		}
	}
	u, err := ParseEndpoint(variable, base, t.Protocol, "")
	if err != nil {
		return Target{}, Target{}, err
	}
	t.URL, t.EndpointVar, t.EndpointValue = u, variable, base
	traces, metrics = t, t
	if t.Protocol != HTTPProtobuf {
		return traces, metrics, nil
	}
	if hints.TracesOnly && strings.HasSuffix(strings.TrimSuffix(u.Path, "/"), TracesPath) {
		traces.URL = u
		return traces, metrics, nil
	}
	if err := SignalPathError(variable, base, u); err != nil {
		return Target{}, Target{}, err
	}
	traces.URL = JoinPath(u, TracesPath)
	metrics.URL = JoinPath(u, MetricsPath)
	return traces, metrics, nil
}

// signalPaths are the paths OTLP over HTTP posts each signal to.
var signalPaths = []string{TracesPath, MetricsPath, LogsPath}

// SignalPathError refuses a base URL, read from variable, that already ends
// in a signal path such as /v1/traces: the path is added for each signal,
// so keeping it would post traces to /v1/traces/v1/traces and metrics to
// /v1/traces/v1/metrics.
func SignalPathError(variable, value string, u *url.URL) error {
	p := strings.TrimSuffix(u.Path, "/")
	for _, sp := range signalPaths {
		if strings.HasSuffix(p, sp) {
			b := *u
			b.Path = strings.TrimSuffix(p, sp)
			return fmt.Errorf("%s=%q: ends in the signal path %q, which is added for each signal; set the base URL %q", variable, value, sp, b.Redacted())
		}
	}
	return nil
}

func withScheme(v string) string {
	if strings.Contains(v, "://") {
		return v
	}
	return "https://" + v
}

// ForSignal returns t for another signal, signalPath (LogsPath, say):
// over HTTP the signal path that ends t's URL is replaced by signalPath (or
// signalPath is appended when the URL ends in none); over gRPC, where one
// endpoint serves every signal, t itself. A vendor resolves its base URL
// once and derives each signal's target with it.
func (t Target) ForSignal(signalPath string) Target {
	if t.Protocol != HTTPProtobuf || t.URL == nil {
		return t
	}
	base := *t.URL
	for _, p := range signalPaths {
		if strings.HasSuffix(base.Path, p) {
			base.Path = strings.TrimSuffix(base.Path, p)
			break
		}
	}
	t.URL = JoinPath(&base, signalPath)
	return t
}

// JoinPath appends the signal path to a base endpoint, as the specification
// says for OTEL_EXPORTER_OTLP_ENDPOINT over HTTP.
func JoinPath(u *url.URL, signalPath string) *url.URL {
	c := *u
	c.Path = strings.TrimSuffix(c.Path, "/") + signalPath
	return &c
}

// IsLoopback reports whether host names this machine.
func IsLoopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CheckTransport applies the TLS policy: in strict environments (staging and
// production) plaintext is allowed to loopback hosts only, unless the user
// set TELEMETRY_ALLOW_INSECURE=true.
func (t Target) CheckTransport(strict, allowInsecure bool) error {
	if !strict || allowInsecure || IsLoopback(t.URL.Hostname()) {
		return nil
	}
	if t.plaintext() {
		return fmt.Errorf("%s=%q: plaintext to a host that is not loopback is refused in staging and production; use https, or set TELEMETRY_ALLOW_INSECURE=true", t.EndpointVar, t.quoted())
	}
	if t.SkipVerify {
		return fmt.Errorf("%s=false: TLS without verifying %s's certificate is refused in staging and production; trust its CA instead, or set TELEMETRY_ALLOW_INSECURE=true", t.SkipVerifyVar, t.URL.Host)
	}
	return nil
}

// CheckCAFile reports whether path, read from variable, is a readable file
// holding at least one PEM certificate, so that a wrong path fails at Init
// rather than at the first export.
func CheckCAFile(variable, path string) error {
	pem, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%s=%q: %v; want a PEM file of the CA that signed the server's certificate", variable, path, errors.Unwrap(err))
	}
	if !x509.NewCertPool().AppendCertsFromPEM(pem) {
		return fmt.Errorf("%s=%q: no PEM certificate in the file; want a PEM file of the CA that signed the server's certificate", variable, path)
	}
	return nil
}

// quoted is the endpoint as errors quote it: what the user set, credentials
// masked, or the URL when the endpoint is a default.
func (t Target) quoted() string {
	if t.EndpointValue != "" {
		return redactUserinfo(t.EndpointValue)
	}
	return t.URL.Redacted()
}

func (t Target) plaintext() bool { return t.Insecure || t.URL.Scheme == "http" }

// tlsConfig returns the client TLS configuration: TLS 1.2 or later, system
// roots unless Certificate names a CA file.
func (t Target) tlsConfig() (*tls.Config, error) {
	// SkipVerify is the user's explicit choice (a vendor's
	// verify-server-cert switch); CheckTransport refuses it in staging and
	// production unless TELEMETRY_ALLOW_INSECURE is set.
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: t.SkipVerify} //nolint:gosec // see above
	if t.Certificate != "" {
		pem, err := os.ReadFile(t.Certificate)
		if err != nil {
			return nil, fmt.Errorf("%s=%q: cannot read the CA certificate: %w", t.certVar(), t.Certificate, unwrapPath(err))
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s=%q: no PEM certificate in the file", t.certVar(), t.Certificate)
		}
		cfg.RootCAs = pool
	}
	if (t.ClientCertificate == "") != (t.ClientKey == "") {
		return nil, errors.New("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE and OTEL_EXPORTER_OTLP_CLIENT_KEY: a client certificate needs both the certificate and the key")
	}
	if t.ClientCertificate != "" {
		pair, err := tls.LoadX509KeyPair(t.ClientCertificate, t.ClientKey)
		if err != nil {
			return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE=%q, OTEL_EXPORTER_OTLP_CLIENT_KEY=%q: cannot load the client certificate: %w", t.ClientCertificate, t.ClientKey, unwrapPath(err))
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// certVar names the variable the CA file came from.
func (t Target) certVar() string { return cmp.Or(t.CertificateVar, "OTEL_EXPORTER_OTLP_CERTIFICATE") }

// unwrapPath drops the *fs.PathError wrapper, whose message repeats the
// file name the caller already quotes.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func (t Target) headers() map[string]string {
	h := make(map[string]string, len(t.Headers))
	for k, v := range t.Headers {
		h[k] = string(v)
	}
	return h
}

// exportTimeoutOrDefault keeps a zero timeout from meaning "no timeout".
func exportTimeoutOrDefault(d time.Duration) time.Duration {
	if d <= 0 {
		return 10 * time.Second
	}
	return d
}

// Endpoints is where a backend sends each signal, as Telemetry.Config shows
// it. ParseEndpoint refuses credentials in a URL, and Redacted hides any
// that slip through, so it is safe to print.
type Endpoints struct {
	Traces  string `json:"traces_endpoint"`
	Metrics string `json:"metrics_endpoint,omitempty"`
	Logs    string `json:"logs_endpoint,omitempty"`
}

// EndpointsOf returns the endpoints of a backend's targets; metrics and logs
// are nil when the backend takes none.
func EndpointsOf(traces Target, metrics, logs *Target) Endpoints {
	e := Endpoints{Traces: traces.shown()}
	if metrics != nil && metrics.URL != nil {
		e.Metrics = metrics.shown()
	}
	if logs != nil && logs.URL != nil {
		e.Logs = logs.shown()
	}
	return e
}

// shown is t's URL as it is dialled: http when t is plaintext, whatever
// scheme the URL was written with.
func (t Target) shown() string {
	if t.URL == nil {
		return ""
	}
	u := *t.URL
	if t.Insecure {
		u.Scheme = "http"
	}
	return u.Redacted()
}
