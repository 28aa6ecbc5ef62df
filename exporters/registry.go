package exporters

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
)

// ErrDuplicate is returned by Register for a name that is taken.
var ErrDuplicate = errors.New("exporters: backend already registered")

// Registry maps backend names to factories.
type Registry struct {
	mu          sync.RWMutex
	byName      map[string]Factory
	propagators map[string]NamedPropagator
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{byName: map[string]Factory{}, propagators: map[string]NamedPropagator{}}
}

// Register adds a factory under name, and, when f is a PropagatorFactory,
// its propagators under theirs. Nothing is added when a name is taken.
func (r *Registry) Register(name string, f Factory) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.byName[name]; ok {
		return fmt.Errorf("%w: %q", ErrDuplicate, name)
	}
	var props []NamedPropagator
	if pf, ok := f.(PropagatorFactory); ok {
		props = pf.Propagators()
	}
	for _, p := range props {
		if _, ok := r.propagators[p.Name]; ok {
			return fmt.Errorf("%w: propagator %q of %q", ErrDuplicate, p.Name, name)
		}
	}
	r.byName[name] = f
	for _, p := range props {
		r.propagators[p.Name] = p
	}
	return nil
}

// Propagator returns the propagator a registered factory brings under name.
func (r *Registry) Propagator(name string) (NamedPropagator, bool) {
	return lockedGet(r, r.propagators, name)
}

// PropagatorNames returns the names of the factories' propagators, sorted.
func (r *Registry) PropagatorNames() []string {
	return lockedKeys(r, r.propagators)
}

// DetectVars returns the variables the registered factories detect their
// vendor by (DetectingFactory), in the order of the factories' names.
func (r *Registry) DetectVars() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var vars []string
	for _, n := range sortedKeys(r.byName) {
		if d, ok := r.byName[n].(DetectingFactory); ok {
			for _, v := range d.DetectVars() {
				if !slices.Contains(vars, v) {
					vars = append(vars, v)
				}
			}
		}
	}
	return vars
}

// Lookup returns the factory registered under name.
func (r *Registry) Lookup(name string) (Factory, bool) {
	return lockedGet(r, r.byName, name)
}

// Names returns the registered names, sorted.
func (r *Registry) Names() []string {
	return lockedKeys(r, r.byName)
}

// lockedGet reads m, one of r's maps (made once, in NewRegistry), under
// r's read lock.
func lockedGet[V any](r *Registry, m map[string]V, name string) (V, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	v, ok := m[name]
	return v, ok
}

// lockedKeys returns m's keys, sorted, under r's read lock.
func lockedKeys[V any](r *Registry, m map[string]V) []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return sortedKeys(m)
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
