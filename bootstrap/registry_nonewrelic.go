//go:build otelswitch_nonewrelic

package bootstrap

// Built with otelswitch_nonewrelic: nothing imports exporters/newrelic, so the
// New Relic Go agent is not linked. Its OTLP mode goes too, since it lives in
// the same package.
var newrelicFactory = leftOut{name: newrelicName, tag: "otelswitch_nonewrelic", sdk: "the New Relic Go agent", detectVars: []string{"NEW_RELIC_LICENSE_KEY"}}
