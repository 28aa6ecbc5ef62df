package bootstrap

import (
	"fmt"
	"slices"
	"strings"

	"go.opentelemetry.io/contrib/propagators/b3"
	"go.opentelemetry.io/contrib/propagators/jaeger"
	"go.opentelemetry.io/otel/propagation"
)

// propagatorsByName are the OTEL_PROPAGATORS values Init understands.
// A constructor fails only for a propagator a build tag left out.
var propagatorsByName = map[string]func() (propagation.TextMapPropagator, error){
	"tracecontext": func() (propagation.TextMapPropagator, error) { return propagation.TraceContext{}, nil },
	"baggage":      func() (propagation.TextMapPropagator, error) { return propagation.Baggage{}, nil },
	"b3":           func() (propagation.TextMapPropagator, error) { return b3.New(), nil },
	"b3multi": func() (propagation.TextMapPropagator, error) {
		return b3.New(b3.WithInjectEncoding(b3.B3MultipleHeader)), nil
	},
	"jaeger":    func() (propagation.TextMapPropagator, error) { return jaeger.Jaeger{}, nil },
	datadogName: datadogPropagator,
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
func newPropagator(e EnvInput, wanted []string) (propagation.TextMapPropagator, []string, error) {
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
		prop, err := mk()
		if err != nil {
			return nil, nil, fmt.Errorf("%s=%q: propagator %q: %w", envPropagators, e.Propagators, n, err)
		}
		kept = append(kept, n)
		props = append(props, prop)
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
