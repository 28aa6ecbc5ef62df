package stdout

import (
	"context"
	"fmt"
	"io"
	"os"

	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/internal/envconf"
)

// Config and Resolved are empty: the stdout backend reads no variables,
// and Telemetry.Config prints it as {}.
type (
	Config   = exporters.NoConfig
	Resolved = exporters.NoConfig
)

// ConfigFromEnv reads Config, which holds nothing, so that the stdout
// backend has the contract every backend package has (exporters' doc).
func ConfigFromEnv(envconf.LookupFunc) (Config, error) { return Config{}, nil }

// Factory builds the stdout backend. Writer defaults to os.Stderr, so spans
// never mix with an application's own standard output.
type Factory struct {
	Writer io.Writer
}

var _ exporters.Factory = Factory{}

// Spec implements exporters.Factory.
func (Factory) Spec() any { return &Config{} }

// Detect implements exporters.Factory: stdout is named, never detected.
func (Factory) Detect(func(string) (string, bool)) bool { return false }

// New implements exporters.Factory.
func (f Factory) New(_ context.Context, s exporters.Settings) (*exporters.Backend, error) {
	w := f.Writer
	if w == nil {
		w = os.Stderr
	}
	exp, err := stdouttrace.New(stdouttrace.WithWriter(w), stdouttrace.WithPrettyPrint())
	if err != nil {
		return nil, fmt.Errorf("stdout: %w", err)
	}
	counters := exporters.NewCounters("stdout")
	return &exporters.Backend{
		Name:          "stdout",
		Config:        Resolved{},
		SpanProcessor: exporters.NewBatchProcessor(exp, s.SpanBatchOptions(counters)...),
		Stats:         counters,
	}, nil
}
