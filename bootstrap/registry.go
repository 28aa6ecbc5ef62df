package bootstrap

import (
	"strings"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/exporters/elastic"
	"github.com/otelswitch/otelswitch/exporters/jaeger"
	"github.com/otelswitch/otelswitch/exporters/none"
	"github.com/otelswitch/otelswitch/exporters/otlp"
	"github.com/otelswitch/otelswitch/exporters/stdout"
)

// Backend names that do not depend on the build tags.
const (
	datadogName  = "datadog"
	newrelicName = "newrelic"
)

// DefaultRegistry returns a new registry holding every built-in backend.
// Datadog and New Relic come from build-tagged files (registry_datadog.go,
// registry_newrelic.go): built with otelswitch_nodatadog or
// otelswitch_nonewrelic, their names stay registered but choosing them is an
// error naming the tag, and their SDKs are not in the binary.
func DefaultRegistry() *exporters.Registry {
	r := exporters.NewRegistry()
	for name, f := range map[string]exporters.Factory{
		"jaeger":     jaeger.Factory{},
		datadogName:  datadogFactory,
		"otlp":       otlp.Factory{},
		"stdout":     stdout.Factory{},
		"none":       none.Factory{},
		newrelicName: newrelicFactory,
		"elastic":    elastic.Factory{},
	} {
		// The names are distinct, so Register cannot fail here.
		_ = r.Register(name, f)
	}
	return r
}

// orList joins items as a sentence does: "a, b or c".
func orList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}
