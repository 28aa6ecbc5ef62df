package none

import (
	"context"

	"github.com/otelswitch/otelswitch/exporters"
)

// Config is empty: the none backend reads no variables.
type Config struct{}

// Factory builds the none backend.
type Factory struct{}

var _ exporters.Factory = Factory{}

// Spec implements exporters.Factory.
func (Factory) Spec() any { return &Config{} }

// Detect implements exporters.Factory: none is named, never detected.
func (Factory) Detect(func(string) (string, bool)) bool { return false }

// New implements exporters.Factory. The backend has no span processor.
func (Factory) New(context.Context, exporters.Settings) (*exporters.Backend, error) {
	return &exporters.Backend{Name: "none", Config: Config{}, Stats: exporters.NewCounters("none"),
		LogsVia: "none: nothing is exported; logs stay on the local output"}, nil
}
