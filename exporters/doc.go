// Package exporters defines what every backend package builds and how
// bootstrap finds them: a Factory reads and validates its own variables and
// returns a Backend, the span processor (and, where the vendor takes them, the
// metric reader) that bootstrap plugs into one SDK provider.
//
// Every backend sends through its own queue (NewBatchProcessor), so a slow
// or dead backend can neither block the application nor starve the others,
// and every span that never reaches it is counted in its Stats.
//
// The backends live in sub-packages: jaeger, otlp, newrelic, elastic,
// datadog, stdout and none.
package exporters
