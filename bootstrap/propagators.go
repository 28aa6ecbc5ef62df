package bootstrap

import (
	"fmt"
	"slices"
	"strings"

	"go.opentelemetry.io/contrib/propagators/b3"
	"go.opentelemetry.io/contrib/propagators/jaeger"
	"go.opentelemetry.io/otel/propagation"

	"github.com/otelswitch/otelswitch/exporters/datadog"
)

// propagatorsByName are the OTEL_PROPAGATORS values Init understands.
var propagatorsByName = map[string]func() propagation.TextMapPropagator{
	"tracecontext": func() propagation.TextMapPropagator { return propagation.TraceContext{} },
	"baggage":      func() propagation.TextMapPropagator { return propagation.Baggage{} },
	"b3":           func() propagation.TextMapPropagator { return b3.New() },
	"b3multi": func() propagation.TextMapPropagator {
		return b3.New(b3.WithInjectEncoding(b3.B3MultipleHeader))
	},
	"jaeger":     func() propagation.TextMapPropagator { return jaeger.Jaeger{} },
	datadog.Name: func() propagation.TextMapPropagator { return datadog.Propagator{} },
}

func propagatorNames() string {
	names := []string{"none"}
	for n := range propagatorsByName {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// newPropagator resolves OTEL_PROPAGATORS; when it is unset the default is
// tracecontext and baggage plus whatever the chosen backends ask for.
func newPropagator(e Env, wanted []string) (propagation.TextMapPropagator, []string, error) {
	names := append([]string{"tracecontext", "baggage"}, wanted...)
	if e.Propagators != "" {
		names = splitList(e.Propagators)
	}
	var props []propagation.TextMapPropagator
	var kept []string
	for _, n := range names {
		if n == "none" {
			if len(names) > 1 {
				return nil, nil, fmt.Errorf("%s=%q: none cannot be combined with other propagators", envPropagators, e.Propagators)
			}
			return propagation.NewCompositeTextMapPropagator(), []string{"none"}, nil
		}
		mk, ok := propagatorsByName[n]
		if !ok {
			return nil, nil, fmt.Errorf("%s=%q: unknown propagator %q; want one of %s", envPropagators, e.Propagators, n, propagatorNames())
		}
		if slices.Contains(kept, n) {
			continue
		}
		kept = append(kept, n)
		props = append(props, mk())
	}
	return propagation.NewCompositeTextMapPropagator(props...), kept, nil
}

// splitList splits a comma list, trimming blanks and dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
