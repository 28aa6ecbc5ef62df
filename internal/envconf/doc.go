// Package envconf reads typed configuration structs with
// github.com/kelseyhightower/envconfig from any lookup function, so tests can
// feed a map instead of mutating the process environment, and turns
// envconfig's errors into ones that name the variable, the value and what is
// allowed.
//
// Every struct it reads carries the full variable name in its `envconfig`
// tag and a `desc` tag; Describe lists them for the generated reference.
package envconf
