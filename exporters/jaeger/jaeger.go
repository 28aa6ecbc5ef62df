package jaeger

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/exporters/otlp"
	"github.com/otelswitch/otelswitch/internal/envconf"
)

// Config is what the jaeger backend reads.
type Config struct {
	Endpoint string `envconfig:"JAEGER_ENDPOINT" json:"jaeger_endpoint,omitempty" default:"localhost:4317" desc:"Jaeger's OTLP receiver: host:port (plaintext gRPC), or a URL; https:// turns TLS on, and http/protobuf wants a base URL, e.g. http://localhost:4318, to which /v1/traces is added unless it already ends in it. A path over grpc is refused."`
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
// Jaeger serves it out of the box. Over http/protobuf the endpoint is a base
// URL that gets /v1/traces, or already ends in it (the specification's
// per-signal form); over gRPC a path is refused.
func (c Config) Target() (otlp.Target, error) {
	var errs []error
	protocol := c.Protocol
	if protocol != otlp.GRPC && protocol != otlp.HTTPProtobuf {
		errs = append(errs, fmt.Errorf("JAEGER_PROTOCOL=%q: unknown protocol; want grpc or http/protobuf", c.Protocol))
		protocol = otlp.GRPC // still check the endpoint, as the default reads it
	}
	t := otlp.Target{
		Protocol:    protocol,
		Insecure:    !strings.Contains(c.Endpoint, "://"),
		Compression: otlp.None,
	}
	traces, _, err := otlp.BaseTargets("JAEGER_ENDPOINT", c.Endpoint, t, otlp.Hints{
		Credentials: "Jaeger takes none",
		GRPCPath:    "set JAEGER_PROTOCOL=http/protobuf",
		TracesOnly:  true,
	})
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return otlp.Target{}, err
	}
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
	c, err := ConfigFromEnv(s.Lookup)
	if err != nil {
		return nil, err
	}
	t, err := c.Target()
	if err != nil {
		return nil, err
	}
	lookup := s.Lookup
	if lookup == nil {
		lookup = os.LookupEnv
	}
	if v, ok := lookup("JAEGER_ENDPOINT"); !ok || v == "" {
		t.EndpointDefault = true // for the doctor: "the default; JAEGER_ENDPOINT is unset"
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
