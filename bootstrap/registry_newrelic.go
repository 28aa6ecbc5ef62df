//go:build !otelswitch_nonewrelic

package bootstrap

import "github.com/otelswitch/otelswitch/exporters/newrelic"

// The New Relic backend; registry_nonewrelic.go replaces it under the
// otelswitch_nonewrelic tag.
var newrelicFactory = newrelic.Factory{}
