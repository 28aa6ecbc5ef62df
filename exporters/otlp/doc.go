// Package otlp sends telemetry over OTLP. It has two jobs:
//
//   - Target and NewBackend turn one OTLP destination into the span
//     processor and metric reader bootstrap plugs in. Every OTLP-speaking
//     backend (jaeger, newrelic, elastic, datadog in otlp mode) builds its
//     Target from its own variables and calls NewBackend, so TLS policy,
//     headers, compression and wire accounting are done once, here.
//   - Factory is the generic "otlp" backend, configured with the
//     specification's OTEL_EXPORTER_OTLP_* variables, for any OTLP endpoint:
//     a collector gateway, Grafana, Honeycomb, Splunk.
package otlp
