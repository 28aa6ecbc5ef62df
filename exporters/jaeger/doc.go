// Package jaeger sends spans to Jaeger v2, which ingests OTLP natively, by
// default to localhost:4317 over plaintext gRPC: what a local all-in-one
// listens on. It reads JAEGER_ENDPOINT and JAEGER_PROTOCOL. Jaeger stores
// traces only, so this backend takes no metrics.
package jaeger
