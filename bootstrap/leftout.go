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
}

// Spec implements exporters.Factory: a left-out backend reads no variables.
func (leftOut) Spec() any { return &struct{}{} }

// Detect implements exporters.Factory.
func (l leftOut) Detect(lookup func(string) (string, bool)) bool {
	for _, k := range l.detectVars {
		if v, ok := lookup(k); ok && v != "" {
			return true
		}
	}
	return false
}

// New implements exporters.Factory: always the error that names the tag.
func (l leftOut) New(context.Context, exporters.Settings) (*exporters.Backend, error) {
	return nil, l.err()
}

func (l leftOut) err() error {
	return fmt.Errorf("backend %q is not in this binary: it was built with -tags %s, which leaves %s out; rebuild without that tag to use %s",
		l.name, l.tag, l.sdk, l.name)
}
