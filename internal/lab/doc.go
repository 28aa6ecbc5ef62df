// Package lab starts and reads back the backend lab: real tracing backends
// built from Go modules (see tools/ and docs/lab.md) that run as local
// processes, so that integration tests, `make lab`, `make run` and the
// comparison tool talk to servers rather than to mocks.
//
// A lab is two processes started from the repository's bin/ directory
// (built by tools/build.sh, or `make lab-build`):
//
//   - Jaeger v2 all-in-one with in-memory storage: OTLP gRPC and HTTP in,
//     query API and UI out.
//   - An OpenTelemetry Collector standing in for the vendors: a plain OTLP
//     receiver (New Relic's wire protocol; the `api-key` header is recorded
//     on every span), two OTLP receivers that demand Elastic's
//     `Authorization: Bearer <secret token>` and `Authorization: ApiKey <key>`
//     headers, and a Datadog Agent trace intake for dd-trace-go. Every
//     receiver writes what it accepted to its own file (see [Source]) and
//     forwards traces to Jaeger, so the Jaeger UI shows everything.
//
// Tests use [ForTest]; programs use [Start] and [Lab.Close]. By default every
// listener gets a free ephemeral port on 127.0.0.1, so test packages that run
// in parallel never collide; [WithFixedPorts] gives the documented ports
// (Jaeger on 4317/4318/16686, the Datadog intake on 8126, ...) that `make lab`
// uses.
//
// Two options vary the collector: [WithOTLPTLS] serves its OTLP receivers
// over TLS, and [WithDatadogExporter] sends the OTLP and Datadog receivers'
// traces on through the contrib datadog exporter (datadog-agent's own
// trace-agent code) to a [DatadogIntake], which decodes what Datadog's
// backend would receive: traces and APM stats.
//
// Exports are asynchronous, so reading back goes through [Lab.WaitForSpans],
// [Lab.WaitForJaegerTrace] or the general [WaitFor], each bounded by the
// context's deadline or [DefaultWaitTimeout].
//
// The package reads OTELSWITCH_BIN (where the binaries are; default: bin/
// at the root of this module) and, in [ForTest], OTELSWITCH_LAB (`off` skips
// lab tests).
package lab

//go:generate go run ./cmd/composeconfig -o ../../tools/compose/otelcol.yaml
