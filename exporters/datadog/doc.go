// Package datadog sends spans to Datadog through the Datadog Agent, in one
// of two modes chosen by DATADOG_MODE:
//
//   - native (the default): the SDK's spans are encoded straight into the
//     Agent's v0.4 trace payload (wireencode.go) and sent to its trace
//     intake at DD_TRACE_AGENT_URL, or DD_AGENT_HOST and
//     DD_TRACE_AGENT_PORT (default localhost:8126), as dd-trace-go v2
//     sends its own spans: the same chunks (a local trace, sent once all
//     its spans ended), local roots, top-level spans, sampling priority,
//     128-bit trace IDs and tags. TestWireMatchesMirror compares the payload
//     field by field with what dd-trace-go sends when every span is mirrored
//     into it (the path before, kept for that test). dd-trace-go itself
//     runs beside the spans, not on their path: for runtime metrics and its
//     own health metrics through DogStatsD.
//   - otlp: OTLP to the Agent's OTLP ingest (DATADOG_OTLP_ENDPOINT, default
//     DD_AGENT_HOST or localhost on 4317, gRPC, plaintext), traces and
//     metrics with delta temporality.
//
// Either way the backend sits beside the others on the one SDK
// TracerProvider, so TELEMETRY_BACKEND=jaeger,datadog shows the same IDs in
// both. Service, env and version follow DD_SERVICE, DD_ENV, DD_VERSION and
// DD_TAGS before the OpenTelemetry resource (ResolveIdentity); Correlate
// gives the trace-correlated logger dd.trace_id, dd.span_id, dd.service,
// dd.env and dd.version; and Propagator, registered as "datadog", reads
// and writes the x-datadog-* headers, so requests from services traced by
// plain dd-trace-go join the same traces.
//
// dd-trace-go's tracer is process-wide: one Telemetry at a time may run
// native mode (ErrTracerInUse), and the application must not call
// tracer.Start itself. Init never waits on the Agent: the sender asks the
// Agent's /info and dd-trace-go starts in the background, and Shutdown
// keeps its deadline even when the Agent does not answer.
//
// docs/datadog.md describes both modes, the Agent settings, the variables
// and the mapping of OTel spans onto Datadog's fields.
package datadog
