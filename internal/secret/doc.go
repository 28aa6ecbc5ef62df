// Package secret is the library's name for the public package
// github.com/otelswitch/otelswitch/secret: the types are the same, so a
// backend written outside the module and the built-in ones share them.
package secret
