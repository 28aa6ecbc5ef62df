package newrelic

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
	envLicenseKey  = "NEW_RELIC_LICENSE_KEY"
	envAppName     = "NEW_RELIC_APP_NAME"
	envRegion      = "NEW_RELIC_REGION"
	envEndpoint    = "NEW_RELIC_OTLP_ENDPOINT"
	envProtocol    = "NEW_RELIC_OTLP_PROTOCOL"
	envCompression = "NEW_RELIC_OTLP_COMPRESSION"
	envMode        = "NEW_RELIC_MODE"
	// envHost is the Go agent's own variable for its collector host; it is
	// read in agent mode only, as are the Go agent's variables below.
	envHost              = "NEW_RELIC_HOST"
	envHighSecurity      = "NEW_RELIC_HIGH_SECURITY"
	envSecurityPolicies  = "NEW_RELIC_SECURITY_POLICIES_TOKEN"
	envLabels            = "NEW_RELIC_LABELS"
	envAttributesExclude = "NEW_RELIC_ATTRIBUTES_EXCLUDE"
	envAttributesInclude = "NEW_RELIC_ATTRIBUTES_INCLUDE"
)

// Modes.
const (
	// ModeOTLP sends OTLP to New Relic's native OTLP endpoint.
	ModeOTLP = "otlp"
	// ModeAgent feeds spans to the New Relic Go agent (go-agent v3), which
	// reports them to New Relic's collector as transactions, segments,
	// errors and span events.
	ModeAgent = "agent"
)

// Regions and the hosts of their OTLP endpoints, from New Relic's "New Relic
// OTLP endpoint" page.
var regionHosts = map[string]string{
	"us":      "otlp.nr-data.net",
	"eu":      "otlp.eu01.nr-data.net",
	"fedramp": "gov-otlp.nr-data.net",
}

const regionNames = "us, eu or fedramp"

// licenseKeyLen is the length of a New Relic licence key ("a 40-character
// hexadecimal string", New Relic API keys page). Keys of another length are
// accepted with a warning, in case New Relic changes the format.
const licenseKeyLen = 40

// Config is what the newrelic backend reads. The zero value of every field
// but LicenseKey means its default.
type Config struct {
	LicenseKey  secret.String `envconfig:"NEW_RELIC_LICENSE_KEY" json:"license_key" desc:"Required. The account's licence key (API keys page, type Ingest - License), sent as the api-key header."`
	AppName     string        `envconfig:"NEW_RELIC_APP_NAME" json:"app_name,omitempty" desc:"service.name for New Relic when WithServiceName, OTEL_SERVICE_NAME and service.name in OTEL_RESOURCE_ATTRIBUTES are all unset. Of a semicolon list (app1;app2) the first name is used; in agent mode all of them, up to three (the app and its rollups), as the Go agent takes them."`
	Region      string        `envconfig:"NEW_RELIC_REGION" json:"region,omitempty" desc:"us, eu or fedramp: selects https://otlp.nr-data.net, https://otlp.eu01.nr-data.net or https://gov-otlp.nr-data.net; in agent mode the Go agent's collector: collector.newrelic.com, collector.eu01.nr-data.net or gov-collector.newrelic.com. Unset: the region the licence key names, as New Relic's agents read it (an eu01x... key goes to the EU endpoints), else us. A key naming another region than this is an error."`
	Endpoint    string        `envconfig:"NEW_RELIC_OTLP_ENDPOINT" json:"endpoint,omitempty" desc:"Base URL that replaces the region's, e.g. http://127.0.0.1:4318 for a local collector; over http/protobuf /v1/traces and /v1/metrics are appended, so a URL that already ends in one is refused; over grpc a path is refused. Plaintext to a host that is not loopback is refused in staging and production."`
	Protocol    string        `envconfig:"NEW_RELIC_OTLP_PROTOCOL" default:"http/protobuf" json:"protocol" desc:"http/protobuf (port 4318, New Relic's recommendation) or grpc (port 4317)."`
	Compression string        `envconfig:"NEW_RELIC_OTLP_COMPRESSION" default:"gzip" json:"compression" desc:"gzip or none."`
	Mode        string        `envconfig:"NEW_RELIC_MODE" default:"otlp" json:"mode" desc:"otlp: OTLP to New Relic's OTLP endpoint. agent: spans are fed to the New Relic Go agent (go-agent v3), which reports transactions, segments, errors and span events to New Relic's collector; the NEW_RELIC_OTLP_ variables do not apply."`
	Host        string        `envconfig:"NEW_RELIC_HOST" json:"host,omitempty" desc:"Agent mode only: the collector host, host or host:port, that replaces the region's (the Go agent's own variable, e.g. for a proxy). The agent always uses https."`

	HighSecurity          bool          `envconfig:"NEW_RELIC_HIGH_SECURITY" json:"high_security,omitempty" desc:"Agent mode only: the Go agent's high-security mode (the account must have it on too): no span attributes become custom attributes, SQL is sent obfuscated, error messages are replaced. Not with NEW_RELIC_SECURITY_POLICIES_TOKEN."`
	SecurityPoliciesToken secret.String `envconfig:"NEW_RELIC_SECURITY_POLICIES_TOKEN" json:"security_policies_token,omitempty" desc:"Agent mode only: the account's language-agent security policies token; the collector then tells the agent which data to withhold (custom attributes among them)."`
	Labels                string        `envconfig:"NEW_RELIC_LABELS" json:"labels,omitempty" desc:"Agent mode only: labels (tags) on the application, type:value pairs separated by semicolons, e.g. Server:One;DataCenter:Primary, parsed as the Go agent parses them (at most 64, each part cut to 255 characters)."`
	AttributesExclude     []string      `envconfig:"NEW_RELIC_ATTRIBUTES_EXCLUDE" json:"attributes_exclude,omitempty" desc:"Agent mode only: attribute names, comma-separated, a trailing * matching a prefix, that the agent leaves out of every destination; span attributes are filtered by them before they become custom attributes."`
	AttributesInclude     []string      `envconfig:"NEW_RELIC_ATTRIBUTES_INCLUDE" json:"attributes_include,omitempty" desc:"Agent mode only: attribute names, comma-separated, a trailing * matching a prefix, that override a broader exclude (the Go agent's rules: the most specific match wins, exclude over include)."`
}

// ConfigFromEnv reads Config through lookup. It reports what envconfig
// cannot parse; Validate, and Resolve, which the factory builds from,
// check the rest.
func ConfigFromEnv(lookup envconf.LookupFunc) (Config, error) {
	return envconf.Read[Config]("newrelic", lookup)
}

// Validate reports every problem with c in one error: Resolve's. The
// licence key is required in every environment, strict or not: New Relic
// refuses data without it. It never appears in an error.
func (c Config) Validate(strict bool) error {
	_, err := c.Resolve(strict)
	return err
}

// Resolved is the newrelic backend resolved from its Config, once, by
// Resolve: the factory builds the backend from it and Telemetry.Config
// prints it. In otlp mode it holds the targets and their endpoints; in agent
// mode the collector host and the parsed labels.
type Resolved struct {
	Config
	// Endpoints says where each signal goes in otlp mode; nil in agent mode.
	*otlp.Endpoints
	// Application is the app name the agent reports under (agent mode; set
	// by the factory, from the service name).
	Application string `json:"application,omitempty"`
	// Collector is the host the agent connects to first (agent mode):
	// NEW_RELIC_HOST, the region's, or the one it picks from the licence key.
	Collector string      `json:"collector,omitempty"`
	Traces    otlp.Target `json:"-"`
	Metrics   otlp.Target `json:"-"`
	Logs      otlp.Target `json:"-"`
	// agentHost is the host the agent is given; empty lets it choose.
	agentHost string
	labels    map[string]string
}

// Resolve resolves c for its mode, with every problem in one error; strict
// changes nothing (the licence key is always required), and the TLS policy
// is applied when the backend is built.
func (c Config) Resolve(strict bool) (Resolved, error) {
	if c.mode() == ModeAgent {
		if err := c.validateAgent(); err != nil {
			return Resolved{}, err
		}
		labels, _ := parseLabels(c.Labels) // validateAgent has checked them
		return Resolved{Config: c, Collector: c.agentCollector(), agentHost: c.agentHost(), labels: labels}, nil
	}
	tr, mt, err := c.Targets()
	if err != nil {
		return Resolved{}, err
	}
	lt := tr.ForSignal(otlp.LogsPath)
	e := otlp.EndpointsOf(tr, &mt, &lt)
	return Resolved{Config: c, Endpoints: &e, Traces: tr, Metrics: mt, Logs: lt}, nil
}

// Warnings returns doubts about c that are not errors, for the log.
func (c Config) Warnings() []string {
	if c.mode() == ModeAgent {
		return c.agentWarnings()
	}
	w := c.agentOnlyWarnings()
	if n := len(c.LicenseKey); n > 0 && n != licenseKeyLen && otlp.CheckCredential(envLicenseKey, string(c.LicenseKey)) == nil {
		w = append(w, fmt.Sprintf("%s is not %d characters long, as New Relic licence keys are; check that it is a licence (Ingest - License) key and not a user key", envLicenseKey, licenseKeyLen))
	}
	return w
}

func (c Config) region() string {
	return strings.ToLower(strings.TrimSpace(c.Region))
}

func (c Config) mode() string { return cmp.Or(c.Mode, ModeOTLP) }

// ServiceName returns the first name of NEW_RELIC_APP_NAME, trimmed; the New
// Relic agents take up to three names separated by semicolons, the first
// being the app's own.
func (c Config) ServiceName() string {
	first, _, _ := strings.Cut(c.AppName, ";")
	return strings.TrimSpace(first)
}

// Targets resolves where traces and metrics go, with every problem with c in
// one error.
func (c Config) Targets() (traces, metrics otlp.Target, err error) {
	errs := c.licenseKeyErrors()
	errs = append(errs, c.modeError())

	proto, err := otlp.ParseProtocol(envProtocol, c.Protocol, otlp.HTTPProtobuf)
	errs = append(errs, err)
	comp, err := otlp.ParseCompression(envCompression, c.Compression, otlp.Gzip)
	errs = append(errs, err)

	base, endpointVar, err := c.baseURL(proto)
	errs = append(errs, err)
	regionDefault := c.Endpoint == "" && c.Region == ""
	if base != "" {
		t := otlp.Target{
			Protocol: proto, Headers: map[string]secret.String{"api-key": c.LicenseKey}, Compression: comp,
			Auth: "api-key header", CredentialVar: envLicenseKey,
			AuthHint: fmt.Sprintf("a licence key works in its own region only: check %s (us, eu or fedramp) matches the account", envRegion),
		}
		traces, metrics, err = otlp.BaseTargets(endpointVar, base, t, otlp.Hints{
			Credentials: "the licence key goes in " + envLicenseKey,
			GRPCPath:    "use http/protobuf",
		})
		errs = append(errs, err)
		if endpointVar == envRegion {
			// The URL is the region's, not a value the user typed.
			traces.EndpointValue, metrics.EndpointValue = "", ""
			traces.EndpointDefault, metrics.EndpointDefault = regionDefault, regionDefault
		}
	}
	if err := errors.Join(errs...); err != nil {
		return otlp.Target{}, otlp.Target{}, err
	}
	return traces, metrics, nil
}

// baseURL is NEW_RELIC_OTLP_ENDPOINT, else the region's OTLP endpoint for
// proto, and the variable it came from; empty when the region is unknown.
// The region is checked even when the endpoint is set.
func (c Config) baseURL(proto string) (base, endpointVar string, err error) {
	reg, err := c.resolveRegion()
	switch {
	case c.Endpoint != "":
		return c.Endpoint, envEndpoint, err
	case err != nil:
		return "", envEndpoint, err
	}
	port := "4318"
	if proto == otlp.GRPC {
		port = "4317"
	}
	return "https://" + reg.otlpHost + ":" + port, envRegion, nil
}

// licenseKeyErrors reports a missing or malformed licence key, in every
// mode. The key itself never appears in an error.
func (c Config) licenseKeyErrors() []error {
	if c.LicenseKey == "" {
		return []error{fmt.Errorf("%s is not set; the newrelic backend needs the account's licence key (API keys page, type Ingest - License)", envLicenseKey)}
	}
	if err := otlp.CheckCredential(envLicenseKey, string(c.LicenseKey)); err != nil {
		return []error{err}
	}
	return nil
}

// modeError reports an unknown NEW_RELIC_MODE, or nil.
func (c Config) modeError() error {
	switch c.mode() {
	case ModeOTLP, ModeAgent:
		return nil
	}
	return fmt.Errorf("%s=%q: unknown mode; want %s or %s", envMode, c.Mode, ModeOTLP, ModeAgent)
}
