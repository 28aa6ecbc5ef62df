package exporters_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"go.opentelemetry.io/otel/propagation"

	"github.com/otelswitch/otelswitch/exporters"
)

// vendor is a factory that brings a propagator and names its variables.
type vendor struct {
	prop string
	vars []string
}

func (vendor) Spec() any { return &struct{}{} }
func (v vendor) Detect(lookup func(string) (string, bool)) bool {
	return exporters.AnySet(lookup, v.vars...)
}
func (vendor) New(context.Context, exporters.Settings) (*exporters.Backend, error) { return nil, nil }
func (v vendor) DetectVars() []string                                              { return v.vars }
func (v vendor) Propagators() []exporters.NamedPropagator {
	return []exporters.NamedPropagator{{Name: v.prop, Propagator: propagation.TraceContext{}}}
}

// plain implements Factory only.
type plain struct{}

func (plain) Spec() any                                                           { return &struct{}{} }
func (plain) Detect(func(string) (string, bool)) bool                             { return false }
func (plain) New(context.Context, exporters.Settings) (*exporters.Backend, error) { return nil, nil }

func TestRegistryTakesPropagatorsAndDetectVarsFromFactories(t *testing.T) {
	r := exporters.NewRegistry()
	for name, f := range map[string]exporters.Factory{
		"zeta":  vendor{prop: "zprop", vars: []string{"Z_KEY", "SHARED"}},
		"alpha": vendor{prop: "aprop", vars: []string{"A_KEY", "SHARED"}},
		"plain": plain{},
	} {
		if err := r.Register(name, f); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := r.DetectVars(), []string{"A_KEY", "SHARED", "Z_KEY"}; !slices.Equal(got, want) {
		t.Errorf("DetectVars = %q; want %q (in the factories' name order, each once)", got, want)
	}
	if got, want := r.PropagatorNames(), []string{"aprop", "zprop"}; !slices.Equal(got, want) {
		t.Errorf("PropagatorNames = %q; want %q", got, want)
	}
	if p, ok := r.Propagator("zprop"); !ok || p.Propagator == nil {
		t.Errorf("Propagator(zprop) = %+v, %v; want the factory's", p, ok)
	}
	if _, ok := r.Propagator("plain"); ok {
		t.Error("a factory without propagators registered one")
	}
	// A second factory claiming a propagator name is refused, and nothing
	// of it is registered.
	err := r.Register("other", vendor{prop: "zprop", vars: []string{"O_KEY"}})
	if !errors.Is(err, exporters.ErrDuplicate) {
		t.Errorf("Register with a taken propagator name: %v; want ErrDuplicate", err)
	}
	if _, ok := r.Lookup("other"); ok || slices.Contains(r.DetectVars(), "O_KEY") {
		t.Error("a refused factory was registered")
	}
}

func TestAnySet(t *testing.T) {
	lookup := func(k string) (string, bool) {
		v, ok := map[string]string{"EMPTY": "", "SET": "x"}[k]
		return v, ok
	}
	if exporters.AnySet(lookup, "EMPTY", "UNSET") {
		t.Error("an empty or unset variable counted as set")
	}
	if !exporters.AnySet(lookup, "UNSET", "SET") {
		t.Error("a set variable was not found")
	}
}
