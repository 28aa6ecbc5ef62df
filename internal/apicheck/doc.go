// Package apicheck holds a test that keeps internal types out of the public
// API: a backend written outside the module must be able to name every type
// an exported signature uses.
package apicheck
