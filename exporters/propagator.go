package exporters

import "go.opentelemetry.io/otel/propagation"

// NamedPropagator is a propagator a backend package brings, under the name
// OTEL_PROPAGATORS selects it by, such as "datadog". Bootstrap knows the
// specification's propagators (tracecontext, baggage, b3, jaeger); a
// vendor's comes from its factory, so bootstrap imports no vendor for it.
type NamedPropagator struct {
	Name       string
	Propagator propagation.TextMapPropagator
	// Err, when set, is why this binary cannot offer the propagator (a
	// build tag left its package out): choosing it is an Init error.
	Err error
}

// PropagatorFactory is implemented by a Factory whose vendor has a
// propagator of its own. Registry.Register registers them by name, so that
// OTEL_PROPAGATORS can name one whatever backend is chosen; a Backend lists
// in Backend.Propagators those it wants in the default set.
type PropagatorFactory interface {
	Propagators() []NamedPropagator
}

// DetectingFactory is implemented by a Factory whose Detect reads
// variables: DetectVars lists them, so that the error asking for a backend
// names every vendor's variables without bootstrap knowing any vendor.
type DetectingFactory interface {
	DetectVars() []string
}

// AnySet reports whether lookup finds any of keys set and not empty: the
// Detect of a factory whose vendor is named by its variables.
func AnySet(lookup func(string) (string, bool), keys ...string) bool {
	for _, k := range keys {
		if v, ok := lookup(k); ok && v != "" {
			return true
		}
	}
	return false
}
