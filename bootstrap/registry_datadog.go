//go:build !otelswitch_nodatadog

package bootstrap

import (
	"go.opentelemetry.io/otel/propagation"

	"github.com/otelswitch/otelswitch/exporters/datadog"
)

// The Datadog backend and propagator; registry_nodatadog.go replaces them
// under the otelswitch_nodatadog tag.
var (
	datadogFactory    = datadog.Factory{}
	datadogPropagator = func() (propagation.TextMapPropagator, error) { return datadog.Propagator{}, nil }
)
