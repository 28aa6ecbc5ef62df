//go:build tools

// Package lint pins the linters `make lint` builds into bin/, so CI runs the
// same version everywhere without a checksum-database lookup.
package lint

import _ "honnef.co/go/tools/cmd/staticcheck"
