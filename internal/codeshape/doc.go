// Package codeshape holds a test that keeps the library's functions short
// enough to read at a glance: no function over 50 lines or over cyclomatic
// complexity 15 in the non-test code of the root module.
package codeshape
