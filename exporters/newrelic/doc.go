// Package newrelic sends traces and metrics to New Relic's native OTLP
// endpoint, as New Relic recommends for OpenTelemetry data: OTLP over
// http/protobuf with gzip, TLS, and the licence key in the api-key header.
//
// It reads:
//
//   - NEW_RELIC_LICENSE_KEY (required): the account's licence (Ingest -
//     License) key.
//   - NEW_RELIC_REGION: us (default), eu or fedramp, which picks
//     https://otlp.nr-data.net, https://otlp.eu01.nr-data.net or
//     https://gov-otlp.nr-data.net, on port 4318 for http/protobuf and 4317
//     for grpc.
//   - NEW_RELIC_OTLP_ENDPOINT: a base URL that replaces the region's, such as
//     a local collector's http://127.0.0.1:4318.
//   - NEW_RELIC_OTLP_PROTOCOL (http/protobuf or grpc) and
//     NEW_RELIC_OTLP_COMPRESSION (gzip or none).
//   - NEW_RELIC_APP_NAME: the service name New Relic shows when no other
//     source names the service.
//   - NEW_RELIC_MODE: otlp (default), or agent, which feeds spans to the New
//     Relic Go agent (go-agent v3) instead; see agent mode below.
//   - NEW_RELIC_HOST, in agent mode: the collector host the agent connects
//     to, instead of the region's.
//
// New Relic's attribute and payload limits are kept for this backend only,
// on a copy of each span, so that other backends in a fan-out still get the
// whole span: attribute names over 255 bytes are dropped, string values are
// cut to 4095 bytes at a UTF-8 boundary, arrays to 64 entries, and each
// export is split so that no request exceeds New Relic's 1 MB payload
// limit. Metrics are exported with delta temporality, as New Relic
// recommends.
//
// # Agent mode
//
// With NEW_RELIC_MODE=agent the backend runs a New Relic Go agent and
// mirrors every sampled span into it: a local root span becomes a
// transaction (a web transaction for a server span, named like GET
// /books/{id}), each span under it a segment (datastore, external, message
// producer or custom), and span errors become noticed errors. The agent
// reports New Relic's APM data itself: metrics, transaction and error
// events, transaction traces and span events. Transactions take the OTel
// trace ID; New Relic span IDs are the agent's own, each span carrying its
// OTel span ID as otel.span_id. The agent connects in the background; spans
// recorded before it has connected are dropped and counted. Agent mode
// takes no OpenTelemetry metrics. docs/newrelic.md says what maps to what.
package newrelic
