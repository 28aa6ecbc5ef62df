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
//   - NEW_RELIC_MODE: otlp, the only mode so far; agent is planned.
//
// New Relic's attribute and payload limits are kept for this backend only,
// on a copy of each span, so that other backends in a fan-out still get the
// whole span: attribute names over 255 bytes are dropped, string values are
// cut to 4095 bytes at a UTF-8 boundary, arrays to 64 entries, and each
// export is split so that no request exceeds New Relic's 1 MB payload
// limit. Metrics are exported with delta temporality, as New Relic
// recommends.
package newrelic
