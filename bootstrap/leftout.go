//go:build otelswitch_nodatadog || otelswitch_nonewrelic

package bootstrap

import (
	"context"
	"fmt"

	"github.com/otelswitch/otelswitch/exporters"
)

// leftOut stands in for a backend a build tag removed. Its name stays known,
// and it detects its vendor's credentials as the real one would, so choosing
// it, by name or by credentials, says which tag to drop instead of "unknown
// backend" or "no vendor credentials".
type leftOut struct {
	name, tag, sdk string
	detectVars     []string
	// propagators are the names of the propagators the left-out package
	// brings; choosing one is the same error.
	propagators []string
}

// Spec implements exporters.Factory: a left-out backend reads no variables.
func (leftOut) Spec() any { return &struct{}{} }

// Detect implements exporters.Factory.
func (l leftOut) Detect(lookup func(string) (string, bool)) bool {
	return exporters.AnySet(lookup, l.detectVars...)
}

// DetectVars implements exporters.DetectingFactory.
func (l leftOut) DetectVars() []string { return l.detectVars }

// Propagators implements exporters.PropagatorFactory: each name is known,
// and choosing it is the error naming the tag.
func (l leftOut) Propagators() []exporters.NamedPropagator {
	var props []exporters.NamedPropagator
	for _, n := range l.propagators {
		props = append(props, exporters.NamedPropagator{Name: n, Err: l.err()})
	}
	return props
}

// New implements exporters.Factory: always the error that names the tag.
func (l leftOut) New(context.Context, exporters.Settings) (*exporters.Backend, error) {
	return nil, l.err()
}

func (l leftOut) err() error {
	return fmt.Errorf("backend %q is not in this binary: it was built with -tags %s, which leaves %s out; rebuild without that tag to use %s",
		l.name, l.tag, l.sdk, l.name)
}
