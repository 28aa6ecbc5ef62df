package bootstrap

import (
	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/exporters/datadog"
	"github.com/otelswitch/otelswitch/exporters/elastic"
	"github.com/otelswitch/otelswitch/exporters/jaeger"
	"github.com/otelswitch/otelswitch/exporters/newrelic"
	"github.com/otelswitch/otelswitch/exporters/none"
	"github.com/otelswitch/otelswitch/exporters/otlp"
	"github.com/otelswitch/otelswitch/exporters/stdout"
)

// DefaultRegistry returns a new registry holding every built-in backend.
func DefaultRegistry() *exporters.Registry {
	r := exporters.NewRegistry()
	for name, f := range map[string]exporters.Factory{
		"jaeger":     jaeger.Factory{},
		datadog.Name: datadog.Factory{},
		"otlp":       otlp.Factory{},
		"stdout":     stdout.Factory{},
		"none":       none.Factory{},
		"newrelic":   newrelic.Factory{},
		"elastic":    elastic.Factory{},
	} {
		// The names are distinct, so Register cannot fail here.
		_ = r.Register(name, f)
	}
	return r
}
