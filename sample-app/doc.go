// Command sample-app is the otelswitch sample: a books service that calls
// bootstrap.Init from main like any user of the library, and switches
// telemetry vendor by environment variables alone.
//
// Usage:
//
//	sample-app serve [flags]   run the books service
//	sample-app load [flags]    drive a running service with a bounded request mix
//	sample-app demo [flags]    Jaeger plus three chained instances under load (make run)
//
// `sample-app <command> -help` lists each command's flags and the
// environment variables that matter. docs/sample-app.md walks through it.
package main
