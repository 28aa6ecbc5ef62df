// Package perf holds the benchmarks docs/performance.md reports, side by
// side so that one run gives ratios:
//
//   - BenchmarkRequest: the cost of one request through a small books
//     handler (an HTTP server span, a child span, a counter, a
//     trace-correlated log line) with telemetry off, through otelswitch,
//     through OpenTelemetry wired by hand, and through dd-trace-go's own
//     net/http tracing.
//   - BenchmarkSpan: starting and ending one span, through otelswitch's
//     provider and the SDK's, and through each batch processor alone.
//   - BenchmarkExportJaeger: spans per second delivered into Jaeger with
//     none dropped.
//
// The variants that send anything send it to the backend lab
// (internal/lab), started once per process; they skip when
// OTELSWITCH_LAB=off. `make bench` runs them with the rest of the module's
// benchmarks (BenchmarkInit in bootstrap, BenchmarkSpan in
// exporters/datadog).
//
// The package has no code outside its tests.
package perf
