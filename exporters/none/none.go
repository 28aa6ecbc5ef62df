package none

import (
	"context"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/internal/envconf"
)

// Config and Resolved are empty: the none backend reads no variables,
// and Telemetry.Config prints it as {}.
type (
	Config   = exporters.NoConfig
	Resolved = exporters.NoConfig
)

// ConfigFromEnv reads Config, which holds nothing, so that the none
// backend has the contract every backend package has (exporters' doc).
func ConfigFromEnv(envconf.LookupFunc) (Config, error) { return Config{}, nil }

// Factory builds the none backend.
type Factory struct{}

var _ exporters.Factory = Factory{}

// Spec implements exporters.Factory.
func (Factory) Spec() any { return &Config{} }

// Detect implements exporters.Factory: none is named, never detected.
func (Factory) Detect(func(string) (string, bool)) bool { return false }

// New implements exporters.Factory. The backend has no span processor.
func (Factory) New(context.Context, exporters.Settings) (*exporters.Backend, error) {
	return &exporters.Backend{Name: "none", Config: Resolved{}, Stats: exporters.NewCounters("none"),
		LogsVia: "none: nothing is exported; logs stay on the local output"}, nil
}
