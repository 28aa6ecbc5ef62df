// Package otlp sends telemetry over OTLP. It has two jobs:
//
//   - Target and NewBackend turn one OTLP destination into the span
//     processor and metric reader bootstrap plugs in. Every OTLP-speaking
//     backend (jaeger, newrelic, elastic, datadog in otlp mode) builds its
//     Target from its own variables, with BaseTargets where one base URL
//     serves both signals, and calls NewBackend, so TLS policy, headers,
//     compression and wire accounting are done once, here. A Pipeline's
//     Resource rewrites the resource one backend sends, such as a vendor's
//     own service name, without changing what the other backends see.
//     Spans and log records are encoded straight to OTLP bytes (the wire
//     span exporter and the wire log processor; AppendSlogRecord for slog
//     records that need no SDK record) and sent by one sender per
//     protocol; metrics use the SDK's exporters over the same transport.
//   - Factory is the generic "otlp" backend, configured with the
//     specification's OTEL_EXPORTER_OTLP_* variables, for any OTLP endpoint:
//     a collector gateway, Grafana, Honeycomb, Splunk.
package otlp
