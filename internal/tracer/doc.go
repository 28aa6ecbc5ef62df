// Package tracer is otelswitch's trace.TracerProvider: the OpenTelemetry
// trace API over the SDK's samplers, span limits and span processors, with
// spans that cost less to make and to hand over.
//
// The SDK's recording span is copied into a snapshot when it ends, and its
// attributes are deduplicated then through a map made for the purpose; a
// request through otelhttp pays both for its server span and for every
// child (docs/performance.md, "Per request with otelswitch's tracer").
// Here a span keeps its attributes unique as they are set, and once ended
// it is immutable, so it is its own sdktrace.ReadOnlySpan: the processors
// get the span itself.
//
// Everything else is the SDK's, on purpose:
//
//   - sampling is an sdktrace.Sampler, called with the same parameters;
//   - limits are an sdktrace.SpanLimits, applied by the same rules (the
//     differential test holds every observable result to the SDK's);
//   - the rare values whose normalization the SDK keeps internal (strings
//     past the length limit, SLICE and MAP values) are normalized by an SDK
//     span, so they come out exactly as the SDK makes them;
//   - span processors are sdktrace.SpanProcessor, called in the SDK's order
//     with the SDK's Start, End, ForceFlush and Shutdown semantics.
//
// What it leaves out: the SDK's experimental self-observability metrics
// (OTEL_GO_X_OBSERVABILITY) and its once-per-span warnings about dropped
// attributes, events and links (the drops are counted on the span as in
// the SDK). With OTEL_GO_X_OBSERVABILITY set, the SDK's
// otel.sdk.span.started does count the spans the normalizer borrows (one
// per new tracer and per value it normalizes); they end at once, so
// otel.sdk.span.live stays at zero.
package tracer
