package elastic

import (
	"cmp"
	"errors"
	"fmt"
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
	var errs []error
	proto := c.protocol()
	if proto != otlp.GRPC && proto != otlp.HTTPProtobuf {
		errs = append(errs, fmt.Errorf("%s=%q: unknown protocol; want grpc or http/protobuf", envProtocol, c.Protocol))
		proto = otlp.GRPC
	}

	headers := map[string]secret.String{}
	auth, credVar := "", ""
	token, key := string(c.SecretToken), string(c.APIKey)
	switch {
	case token != "" && key != "":
		errs = append(errs, fmt.Errorf("%s and %s are both set; set one: the secret token (Authorization: Bearer) or the API key (Authorization: ApiKey)", envSecretToken, envAPIKey))
	case token != "":
		headers["authorization"] = secret.String("Bearer " + token)
		auth, credVar = "Authorization: Bearer", envSecretToken
	case key != "":
		headers["authorization"] = secret.String("ApiKey " + key)
		auth, credVar = "Authorization: ApiKey", envAPIKey
	case strict:
		errs = append(errs, fmt.Errorf("neither %s nor %s is set; staging and production need one to authorize with APM Server", envSecretToken, envAPIKey))
	}
	for _, cred := range []struct {
		name, value string
	}{{envSecretToken, token}, {envAPIKey, key}} {
		if strings.ContainsFunc(cred.value, badHeaderRune) {
			errs = append(errs, fmt.Errorf("%s holds whitespace or a control character; copy it without spaces or line breaks", cred.name))
		}
	}

	raw, defaulted := c.ServerURL, false
	switch {
	case raw == "" && strict:
		errs = append(errs, fmt.Errorf("%s is not set; staging and production need the APM Server URL, such as https://apm.example.com:8200", envServerURL))
	case raw == "":
		raw, defaulted = DefaultServerURL, true
	case !strings.Contains(raw, "://") && !otlp.HasUserinfo(raw):
		// A URL with credentials is refused as such by BaseTargets.
		errs = append(errs, fmt.Errorf("%s=%q: malformed URL; want http:// or https:// and a host, such as https://apm.example.com:8200", envServerURL, raw))
		raw = ""
	}
	if raw != "" {
		t := otlp.Target{Protocol: proto, Headers: headers, Compression: otlp.None, Auth: auth, CredentialVar: credVar}
		if credVar == "" {
			// Nothing sent: a refusal means one of them is needed.
			t.CredentialVar = envSecretToken + " or " + envAPIKey
		}
		traces, metrics, err = otlp.BaseTargets(envServerURL, raw, t, otlp.Hints{
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

// badHeaderRune reports a rune that has no place in a credential sent as a
// header value: whitespace, a copy-paste mistake, and control characters,
// which could end the header and start another.
func badHeaderRune(r rune) bool { return r <= ' ' || r == 0x7f }
