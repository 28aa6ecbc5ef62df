// Package compare sends the same telemetry to several vendors at once and
// compares what each one cost and kept: the logic behind `sample-app
// compare` (docs/compare.md).
//
// Run drives the books service (package app, in this process) with one
// fixed, seeded workload (package load) several times against the backend
// lab (package lab): first with telemetry off, the baseline; then with each
// backend alone, each pointed at its stand-in in the lab; then with all of
// them fanned out from one process. Every run starts a fresh instance with
// a fresh SQLite database and a service name of its own,
// compare-<id>-<run>, so what the backends stored can be counted per run.
//
// For each backend the Report holds what the sender saw (bootstrap's
// exporters.Stats: spans exported and dropped, failed exports, bytes on the
// wire, export latency), what the backend actually stored (counted from
// Jaeger's query API, or from the collector receiver's output file, after
// the store has settled), how the backend sees the service's name,
// environment and version (read back from what it stored), and the cost in
// request latency and throughput against the baseline. A backend that fails
// is reported as failed, with the reason; the others still run.
//
// Reports render as a text table (WriteTable), JSON (WriteJSON) and a
// self-contained HTML page with the table and latency charts (WriteHTML).
//
// dd-trace-go reads a few DD_ variables from the process environment
// itself; `sample-app compare` sets DD_REMOTE_CONFIGURATION_ENABLED and
// DD_INSTRUMENTATION_TELEMETRY_ENABLED to false, which the lab's Datadog
// receiver does not serve.
package compare
