package bootstrap

import (
	"fmt"
	"slices"
	"strings"

	"go.opentelemetry.io/contrib/propagators/b3"
	"go.opentelemetry.io/contrib/propagators/jaeger"
	"go.opentelemetry.io/otel/propagation"

	"github.com/otelswitch/otelswitch/exporters"
)

// standardPropagators are the OTEL_PROPAGATORS values the specification
// defines; a vendor's propagator comes from its factory, through the
// registry (exporters.PropagatorFactory).
var standardPropagators = map[string]propagation.TextMapPropagator{
	"tracecontext": propagation.TraceContext{},
	"baggage":      propagation.Baggage{},
	"b3":           b3.New(),
	"b3multi":      b3.New(b3.WithInjectEncoding(b3.B3MultipleHeader)),
	"jaeger":       jaeger.Jaeger{},
}

func propagatorNames(reg *exporters.Registry) string {
	names := append([]string{"none"}, reg.PropagatorNames()...)
	for n := range standardPropagators {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// lookupPropagator finds name among the standard propagators and the
// registered factories' ones.
func lookupPropagator(reg *exporters.Registry, name string) (exporters.NamedPropagator, bool) {
	if p, ok := standardPropagators[name]; ok {
		return exporters.NamedPropagator{Name: name, Propagator: p}, true
	}
	return reg.Propagator(name)
}

// newPropagator resolves OTEL_PROPAGATORS; when it is unset the default is
// tracecontext and baggage plus the propagators the chosen backends carry.
func newPropagator(e EnvInput, reg *exporters.Registry, wanted []exporters.NamedPropagator) (propagation.TextMapPropagator, []string, error) {
	props := append([]exporters.NamedPropagator{{Name: "tracecontext"}, {Name: "baggage"}}, wanted...)
	if e.Propagators != "" {
		props = nil
		for _, n := range splitList(e.Propagators) {
			props = append(props, exporters.NamedPropagator{Name: n})
		}
	}
	var kept []propagation.TextMapPropagator
	var names []string
	for _, p := range props {
		if p.Name == "none" {
			if len(props) > 1 {
				return nil, nil, fmt.Errorf("%s=%q: none cannot be combined with other propagators", envPropagators, e.Propagators)
			}
			return propagation.NewCompositeTextMapPropagator(), []string{"none"}, nil
		}
		if slices.Contains(names, p.Name) {
			continue
		}
		p, err := resolvePropagator(e, reg, p)
		if err != nil {
			return nil, nil, err
		}
		names = append(names, p.Name)
		kept = append(kept, p.Propagator)
	}
	return propagation.NewCompositeTextMapPropagator(kept...), names, nil
}

// resolvePropagator returns p with its propagator: the one a backend carries,
// else the one registered under its name.
func resolvePropagator(e EnvInput, reg *exporters.Registry, p exporters.NamedPropagator) (exporters.NamedPropagator, error) {
	if p.Propagator != nil {
		return p, nil
	}
	found, ok := lookupPropagator(reg, p.Name)
	if !ok {
		return p, fmt.Errorf("%s=%q: unknown propagator %q; want one of %s", envPropagators, e.Propagators, p.Name, propagatorNames(reg))
	}
	if found.Err != nil {
		return p, fmt.Errorf("%s=%q: propagator %q: %w", envPropagators, e.Propagators, p.Name, found.Err)
	}
	return found, nil
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
