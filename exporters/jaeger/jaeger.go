package jaeger

import (
	"cmp"
	"context"
	"errors"
	"strings"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/exporters/otlp"
	"github.com/otelswitch/otelswitch/internal/envconf"
)

// Config is what the jaeger backend reads.
type Config struct {
	Endpoint string `envconfig:"JAEGER_ENDPOINT" json:"jaeger_endpoint,omitempty" desc:"Jaeger's OTLP receiver: host:port (plaintext gRPC), or a URL; https:// turns TLS on, and http/protobuf wants a base URL, e.g. http://localhost:4318, to which /v1/traces is added unless it already ends in it. A path over grpc is refused. Default localhost:4317, a local all-in-one."`
	Protocol string `envconfig:"JAEGER_PROTOCOL" json:"jaeger_protocol,omitempty" default:"grpc" desc:"grpc or http/protobuf."`
}

// DefaultEndpoint is where spans go when JAEGER_ENDPOINT is unset: a local
// all-in-one's OTLP gRPC receiver, in plaintext.
const DefaultEndpoint = "localhost:4317"

// ConfigFromEnv reads Config through lookup. It reports what envconfig
// cannot parse; Validate, and Resolve, which the factory builds from,
// check the rest.
func ConfigFromEnv(lookup envconf.LookupFunc) (Config, error) {
	return envconf.Read[Config]("jaeger", lookup)
}

// Resolved is the jaeger backend resolved from its Config, once, by
// Resolve: the factory builds the backend from it and Telemetry.Config
// prints it.
type Resolved struct {
	Config
	otlp.Endpoints
	Traces otlp.Target `json:"-"`
}

// Resolve resolves where spans go, with every problem in one error. strict
// changes nothing here: the TLS policy is applied when the backend is built.
func (c Config) Resolve(strict bool) (Resolved, error) {
	t, err := c.Target()
	if err != nil {
		return Resolved{}, err
	}
	return Resolved{Config: c, Endpoints: otlp.EndpointsOf(t, nil, nil), Traces: t}, nil
}

// Validate reports every problem with c: Resolve's.
func (c Config) Validate(strict bool) error {
	_, err := c.Resolve(strict)
	return err
}

// Target resolves where spans go. A bare host:port means plaintext gRPC, as
// Jaeger serves it out of the box. Over http/protobuf the endpoint is a base
// URL that gets /v1/traces, or already ends in it (the specification's
// per-signal form); over gRPC a path is refused.
func (c Config) Target() (otlp.Target, error) {
	protocol, perr := otlp.ParseProtocol("JAEGER_PROTOCOL", c.Protocol, otlp.GRPC)
	endpoint := cmp.Or(c.Endpoint, DefaultEndpoint)
	t := otlp.Target{
		Protocol:    protocol,
		Insecure:    !strings.Contains(endpoint, "://"),
		Compression: otlp.None,
	}
	traces, _, err := otlp.BaseTargets("JAEGER_ENDPOINT", endpoint, t, otlp.Hints{
		Credentials: "Jaeger takes none",
		GRPCPath:    "set JAEGER_PROTOCOL=http/protobuf",
		TracesOnly:  true,
	})
	if err := errors.Join(perr, err); err != nil {
		return otlp.Target{}, err
	}
	// For the doctor: "the default; JAEGER_ENDPOINT is unset".
	traces.EndpointDefault = c.Endpoint == ""
	return traces, nil
}

// Factory builds the jaeger backend.
type Factory struct{}

var _ exporters.Factory = Factory{}

// Spec implements exporters.Factory.
func (Factory) Spec() any { return &Config{} }

// Detect implements exporters.Factory: Jaeger is named, never detected.
func (Factory) Detect(func(string) (string, bool)) bool { return false }

// New implements exporters.Factory.
func (Factory) New(ctx context.Context, s exporters.Settings) (*exporters.Backend, error) {
	_, r, err := exporters.ReadConfig[Resolved](s, ConfigFromEnv)
	if err != nil {
		return nil, err
	}
	b, err := otlp.NewBackend(ctx, "jaeger", r, otlp.Pipeline{Traces: r.Traces}, s)
	if err != nil {
		return nil, err
	}
	b.LogsVia = "none: Jaeger stores traces only; logs stay on the local output"
	return b, nil
}
