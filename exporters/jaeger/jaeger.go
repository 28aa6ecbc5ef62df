package jaeger

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/exporters/otlp"
	"github.com/otelswitch/otelswitch/internal/envconf"
)

// Config is what the jaeger backend reads.
type Config struct {
	Endpoint string `envconfig:"JAEGER_ENDPOINT" json:"jaeger_endpoint,omitempty" default:"localhost:4317" desc:"Jaeger's OTLP receiver: host:port (plaintext gRPC), or a URL; https:// turns TLS on, and http/protobuf wants e.g. http://localhost:4318."`
	Protocol string `envconfig:"JAEGER_PROTOCOL" json:"jaeger_protocol,omitempty" default:"grpc" desc:"grpc or http/protobuf."`
}

// ConfigFromEnv reads Config through lookup and validates it.
func ConfigFromEnv(lookup envconf.LookupFunc) (Config, error) {
	var c Config
	if err := envconf.Process(lookup, &c); err != nil {
		return Config{}, fmt.Errorf("jaeger: %w", err)
	}
	return c, c.Validate()
}

// Validate reports every problem with c.
func (c Config) Validate() error {
	_, err := c.Target()
	return err
}

// Target resolves where spans go. A bare host:port means plaintext gRPC, as
// Jaeger serves it out of the box.
func (c Config) Target() (otlp.Target, error) {
	var errs []error
	protocol := c.Protocol
	if protocol != otlp.GRPC && protocol != otlp.HTTPProtobuf {
		errs = append(errs, fmt.Errorf("JAEGER_PROTOCOL=%q: unknown protocol; want grpc or http/protobuf", c.Protocol))
		protocol = otlp.GRPC // still check the endpoint, as the default reads it
	}
	u, err := otlp.ParseEndpoint("JAEGER_ENDPOINT", c.Endpoint, protocol, otlp.TracesPath)
	if err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return otlp.Target{}, err
	}
	return otlp.Target{
		Protocol:    c.Protocol,
		URL:         u,
		Insecure:    !strings.Contains(c.Endpoint, "://"),
		Compression: otlp.None,
		EndpointVar: "JAEGER_ENDPOINT",
	}, nil
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
	c, err := ConfigFromEnv(s.Lookup)
	if err != nil {
		return nil, err
	}
	t, err := c.Target()
	if err != nil {
		return nil, err
	}
	b, err := otlp.NewBackend(ctx, "jaeger", resolved{Config: c, Endpoints: otlp.EndpointsOf(t, nil, nil)}, otlp.Pipeline{Traces: t}, s)
	if err != nil {
		return nil, err
	}
	b.LogsVia = "none: Jaeger stores traces only; logs stay on the local output"
	return b, nil
}

// resolved is the configuration Telemetry.Config shows for the backend: the
// variables as read and where each signal goes.
type resolved struct {
	Config
	otlp.Endpoints
}
