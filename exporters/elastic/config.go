package elastic

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/otelswitch/otelswitch/exporters/otlp"
	"github.com/otelswitch/otelswitch/internal/envconf"
	"github.com/otelswitch/otelswitch/internal/secret"
)

// The variables this package reads.
const (
	envServerURL   = "ELASTIC_APM_SERVER_URL"
	envSecretToken = "ELASTIC_APM_SECRET_TOKEN"
	envAPIKey      = "ELASTIC_APM_API_KEY"
	envServiceName = "ELASTIC_APM_SERVICE_NAME"
	envEnvironment = "ELASTIC_APM_ENVIRONMENT"
	envProtocol    = "ELASTIC_OTLP_PROTOCOL"
	envVerifyCert  = "ELASTIC_APM_VERIFY_SERVER_CERT"
	envCACertFile  = "ELASTIC_APM_SERVER_CA_CERT_FILE"
	envOTLPURL     = "ELASTIC_OTLP_ENDPOINT"
)

// DefaultServerURL is where the backend sends outside staging and
// production when ELASTIC_APM_SERVER_URL is unset: a local APM Server, the
// Elastic agents' own default.
const DefaultServerURL = "http://localhost:8200"

// Config is what the elastic backend reads. The zero value of Protocol means
// grpc.
type Config struct {
	ServerURL   string        `envconfig:"ELASTIC_APM_SERVER_URL" json:"server_url,omitempty" desc:"APM Server URL, such as https://apm.example.com:8200 (APM Server's default port) or an Elastic Cloud deployment's APM endpoint. Required in staging and production; elsewhere the default is http://localhost:8200. A path, allowed over http/protobuf only, is a prefix for /v1/traces and /v1/metrics."`
	SecretToken secret.String `envconfig:"ELASTIC_APM_SECRET_TOKEN" json:"secret_token,omitempty" desc:"APM Server secret token, sent as Authorization: Bearer <token>. Staging and production need this or ELASTIC_APM_API_KEY, not both."`
	APIKey      secret.String `envconfig:"ELASTIC_APM_API_KEY" json:"api_key,omitempty" desc:"APM agent API key, the base64 id:key credential Kibana shows, sent as Authorization: ApiKey <key>. Staging and production need this or ELASTIC_APM_SECRET_TOKEN, not both."`
	ServiceName string        `envconfig:"ELASTIC_APM_SERVICE_NAME" json:"service_name,omitempty" desc:"service.name for Elastic when WithServiceName, OTEL_SERVICE_NAME and service.name in OTEL_RESOURCE_ATTRIBUTES are all unset."`
	Environment string        `envconfig:"ELASTIC_APM_ENVIRONMENT" json:"environment,omitempty" desc:"Environment shown in Elastic (deployment.environment and deployment.environment.name) for this backend only. Default: deployment.environment from OTEL_RESOURCE_ATTRIBUTES, else ENVIRONMENT."`
	Protocol    string        `envconfig:"ELASTIC_OTLP_PROTOCOL" default:"grpc" json:"protocol" desc:"grpc or http/protobuf; APM Server takes both on the same port. Prefer http/protobuf behind a proxy or load balancer."`
	// VerifyServerCert is a pointer so that the zero Config verifies.
	VerifyServerCert *bool  `envconfig:"ELASTIC_APM_VERIFY_SERVER_CERT" json:"verify_server_cert,omitempty" desc:"false: accept any certificate from the server, as Elastic's agents do with this set to false (default true). Refused in staging and production, except to loopback, unless TELEMETRY_ALLOW_INSECURE=true; prefer ELASTIC_APM_SERVER_CA_CERT_FILE."`
	ServerCACertFile string `envconfig:"ELASTIC_APM_SERVER_CA_CERT_FILE" json:"server_ca_cert_file,omitempty" desc:"PEM file of the CA that signed the server's certificate, trusted instead of the system roots, as in Elastic's agents (for a private CA)."`
	OTLPEndpoint     string `envconfig:"ELASTIC_OTLP_ENDPOINT" json:"otlp_endpoint,omitempty" desc:"Elastic's managed OTLP endpoint (Elastic Cloud Serverless, or Elastic Cloud Hosted's managed OTLP endpoint), such as https://my-project.ingest.us-east-1.aws.elastic.cloud: the recommended path to Elastic Cloud. Takes ELASTIC_APM_API_KEY only; replaces ELASTIC_APM_SERVER_URL, which must then be unset."`
}

// managed reports whether c sends to Elastic's managed OTLP endpoint: named
// by ELASTIC_OTLP_ENDPOINT, or an ELASTIC_APM_SERVER_URL whose host is one
// (an *.ingest.*.elastic.cloud host; APM endpoints are *.apm.*).
func (c Config) managed() bool {
	return c.OTLPEndpoint != "" || isManagedHost(c.ServerURL)
}

func isManagedHost(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	h := strings.ToLower(u.Hostname())
	return strings.HasSuffix(h, ".elastic.cloud") && strings.Contains(h, ".ingest.")
}

// ConfigFromEnv reads Config through lookup and validates it; strict is set
// in staging and production.
func ConfigFromEnv(lookup envconf.LookupFunc, strict bool) (Config, error) {
	var c Config
	if err := envconf.Process(lookup, &c); err != nil {
		return Config{}, fmt.Errorf("elastic: %w", err)
	}
	return c, c.ValidateFor(strict)
}

// Validate reports every problem with c as staging and production see it,
// where the URL and a credential are required.
func (c Config) Validate() error { return c.ValidateFor(true) }

// ValidateFor reports every problem with c in one error. When strict is
// false (development and test) the URL and the credential may be left out.
// Credentials never appear in an error.
func (c Config) ValidateFor(strict bool) error {
	_, _, err := c.Targets(strict)
	return err
}

func (c Config) protocol() string { return cmp.Or(c.Protocol, otlp.GRPC) }

// Targets resolves where traces and metrics go, with every problem with c in
// one error; strict is set in staging and production.
func (c Config) Targets(strict bool) (traces, metrics otlp.Target, err error) {
	proto, perr := c.checkedProtocol()
	t, errs := c.authorization(strict)
	t.Protocol, t.Compression = proto, otlp.None
	errs = append(errs, perr, c.tls(&t))
	raw, urlVar, defaulted, uerrs := c.serverURL(strict)
	errs = append(errs, uerrs...)
	if raw != "" {
		traces, metrics, err = otlp.BaseTargets(urlVar, raw, t, otlp.Hints{
			Credentials: "use " + envSecretToken + " or " + envAPIKey,
			GRPCPath:    "set " + envProtocol + "=http/protobuf",
		})
		errs = append(errs, err)
		if defaulted {
			traces.EndpointValue, metrics.EndpointValue = "", ""
			traces.EndpointDefault, metrics.EndpointDefault = true, true
		}
	}
	if err := errors.Join(errs...); err != nil {
		return otlp.Target{}, otlp.Target{}, err
	}
	return traces, metrics, nil
}

// checkedProtocol is ELASTIC_OTLP_PROTOCOL's protocol, grpc when it is not
// one Elastic takes (the error says so).
func (c Config) checkedProtocol() (string, error) {
	proto := c.protocol()
	if proto != otlp.GRPC && proto != otlp.HTTPProtobuf {
		return otlp.GRPC, fmt.Errorf("%s=%q: unknown protocol; want grpc or http/protobuf", envProtocol, c.Protocol)
	}
	return proto, nil
}

// authorization picks the credential to send, the secret token or the API
// key, and the variable to name when the server refuses it.
func (c Config) authorization(strict bool) (otlp.Target, []error) {
	var errs []error
	headers := map[string]secret.String{}
	auth, credVar := "", ""
	token, key := string(c.SecretToken), string(c.APIKey)
	managed := c.managed()
	switch {
	case managed && token != "":
		errs = append(errs, fmt.Errorf("%s is set, but Elastic's managed OTLP endpoint takes an API key only (Authorization: ApiKey); unset it and set %s", envSecretToken, envAPIKey))
	case managed && key == "" && strict:
		errs = append(errs, fmt.Errorf("%s is not set; Elastic's managed OTLP endpoint needs an API key", envAPIKey))
	case token != "" && key != "" && !managed:
		errs = append(errs, fmt.Errorf("%s and %s are both set; set one: the secret token (Authorization: Bearer) or the API key (Authorization: ApiKey)", envSecretToken, envAPIKey))
	case token != "" && !managed:
		headers["authorization"] = secret.String("Bearer " + token)
		auth, credVar = "Authorization: Bearer", envSecretToken
	case key != "":
		headers["authorization"] = secret.String("ApiKey " + key)
		auth, credVar = "Authorization: ApiKey", envAPIKey
	case strict:
		errs = append(errs, fmt.Errorf("neither %s nor %s is set; staging and production need one to authorize with APM Server", envSecretToken, envAPIKey))
	}
	for _, cred := range []struct{ name, value string }{{envSecretToken, token}, {envAPIKey, key}} {
		if strings.ContainsFunc(cred.value, badHeaderRune) {
			errs = append(errs, fmt.Errorf("%s holds whitespace or a control character; copy it without spaces or line breaks", cred.name))
		}
	}
	return otlp.Target{Headers: headers, Auth: auth, CredentialVar: cmp.Or(credVar, c.missingCredential())}, errs
}

// missingCredential is the variable a refusal points to when nothing was
// sent.
func (c Config) missingCredential() string {
	if c.managed() {
		return envAPIKey
	}
	return envSecretToken + " or " + envAPIKey
}

// tls sets t's certificate checks from ELASTIC_APM_VERIFY_SERVER_CERT and
// ELASTIC_APM_SERVER_CA_CERT_FILE.
func (c Config) tls(t *otlp.Target) error {
	if c.VerifyServerCert != nil && !*c.VerifyServerCert {
		t.SkipVerify, t.SkipVerifyVar = true, envVerifyCert
	}
	if c.ServerCACertFile == "" {
		return nil
	}
	t.Certificate, t.CertificateVar = c.ServerCACertFile, envCACertFile
	return otlp.CheckCAFile(envCACertFile, c.ServerCACertFile)
}

// serverURL is the URL to send to, the variable it came from and whether it
// is the default; raw is empty when the URL is unusable (errs say why).
func (c Config) serverURL(strict bool) (raw, urlVar string, defaulted bool, errs []error) {
	raw, urlVar = c.ServerURL, envServerURL
	if c.OTLPEndpoint != "" {
		if c.ServerURL != "" {
			errs = append(errs, fmt.Errorf("%s and %s are both set; set one: the managed OTLP endpoint, or an APM Server", envOTLPURL, envServerURL))
		}
		raw, urlVar = c.OTLPEndpoint, envOTLPURL
	}
	switch {
	case c.OTLPEndpoint != "" && !strings.Contains(raw, "://") && !otlp.HasUserinfo(raw):
		errs = append(errs, fmt.Errorf("%s=%q: malformed URL; want https:// and a host, such as https://my-project.ingest.us-east-1.aws.elastic.cloud", envOTLPURL, raw))
		raw = ""
	case c.OTLPEndpoint != "":
	case raw == "" && strict:
		errs = append(errs, fmt.Errorf("%s is not set; staging and production need the APM Server URL, such as https://apm.example.com:8200", envServerURL))
	case raw == "":
		raw, defaulted = DefaultServerURL, true
	case !strings.Contains(raw, "://") && !otlp.HasUserinfo(raw):
		// A URL with credentials is refused as such by BaseTargets.
		errs = append(errs, fmt.Errorf("%s=%q: malformed URL; want http:// or https:// and a host, such as https://apm.example.com:8200", envServerURL, raw))
		raw = ""
	}
	return raw, urlVar, defaulted, errs
}

// badHeaderRune reports a rune that has no place in a credential sent as a
// header value: whitespace, a copy-paste mistake, and control characters,
// which could end the header and start another.
func badHeaderRune(r rune) bool { return r <= ' ' || r == 0x7f }

// resolved is the configuration Telemetry.Config shows for the backend: the
// variables as read and where each signal goes.
type resolved struct {
	Config
	otlp.Endpoints
	// Managed is set when the endpoint is Elastic's managed OTLP endpoint.
	Managed  bool     `json:"managed_otlp,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

// apmServiceName is what APM Server stores a service name as: it replaces
// every character outside [a-zA-Z0-9 _-] with an underscore
// (elastic/apm-data, model/modelprocessor's service name cleanup, as
// Elastic's agents document for service_name).
func apmServiceName(name string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == ' ', r == '_', r == '-':
			return r
		}
		return '_'
	}, name)
}

// serviceNameWarning returns a warning when APM Server will show name under
// another name, or "".
func serviceNameWarning(name string) string {
	// OpenTelemetry's unknown_service:<executable> default is not a name
	// anyone chose, or searches for; its rewrite is documented instead.
	if strings.HasPrefix(name, "unknown_service") {
		return ""
	}
	if shown := apmServiceName(name); shown != name {
		return fmt.Sprintf("service name %q has characters outside [a-zA-Z0-9 _-]; APM Server replaces them and shows %q", name, shown)
	}
	return ""
}

// Warnings returns doubts about c that are not errors, for the log and
// Telemetry.Config; serviceName is the service name Elastic is sent.
func (c Config) Warnings(serviceName string) []string {
	var w []string
	if s := serviceNameWarning(serviceName); s != "" {
		w = append(w, s)
	}
	if c.VerifyServerCert != nil && !*c.VerifyServerCert {
		w = append(w, envVerifyCert+"=false: the server's certificate is not verified")
	}
	return w
}
