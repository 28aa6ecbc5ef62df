// Package otlptest gives unit tests an in-process OTLP trace receiver, over
// gRPC and HTTP, that records what arrived and with which headers; a
// black-hole listener that accepts connections and never answers; and a log
// processor that keeps every record (LogKeeper). The proof that a real
// backend accepts the data lives in the lab tests (internal/lab); these are
// for fast, hermetic unit tests.
package otlptest
