// Package app runs one instance of the sample app's books service, the way
// `sample-app serve` does: [Start] calls bootstrap.Init like any user of the
// library, opens the database, builds the HTTP server and starts listening;
// [Instance.Shutdown] stops accepting, drains in-flight requests and flushes
// telemetry.
//
// Everything comes from environment variables read through a lookup function,
// so tests and the compare command can start several instances in one process
// with different environments (pass bootstrap.WithoutGlobals so they do not
// share the global providers).
package app
