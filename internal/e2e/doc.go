// Package e2e proves each backend end to end: bootstrap.Init configured only
// through environment variables, a known span tree, Shutdown, then the data
// read back from a real server someone else wrote (Jaeger v2's query API, or
// the OpenTelemetry Collector's file output) from the backend lab.
//
// The tests need the lab's binaries (make lab-build); they skip only when
// OTELSWITCH_LAB=off.
package e2e
