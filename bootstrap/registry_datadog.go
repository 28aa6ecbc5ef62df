//go:build !otelswitch_nodatadog

package bootstrap

import "github.com/otelswitch/otelswitch/exporters/datadog"

// The Datadog backend, which brings Datadog's propagator with it
// (exporters.PropagatorFactory); registry_nodatadog.go replaces it under the
// otelswitch_nodatadog tag.
var datadogFactory = datadog.Factory{}
