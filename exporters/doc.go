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
//
// # The backend package contract
//
// Every backend package has the same surface, so that a reader who knows
// one knows them all:
//
//	func ConfigFromEnv(lookup envconf.LookupFunc) (Config, error)
//	func (c Config) Resolve(strict bool) (Resolved, error)
//	func (c Config) Validate(strict bool) error
//
// ConfigFromEnv reads the package's variables (envconfig, the full
// variable name in each tag) and reports only what cannot be parsed.
// Resolve checks everything else, every problem in one error naming the
// variable, and resolves where each signal goes, once: Validate is
// Resolve's error, and the Factory's New builds the backend from the
// Resolved it returns, so no second path can accept what Validate refused.
// strict is Settings.Strict (staging and production), where some vendors
// require a credential or a URL; packages whose rules do not depend on the
// environment ignore it.
//
// Resolved embeds Config and adds what Telemetry.Config shows of the
// resolution (the endpoints each signal goes to); every field has a JSON
// name, and the targets themselves are tagged json:"-". Credentials are
// secret.String, which redacts itself, so Resolved prints as it is.
//
// The checks OTLP vendors share live in package otlp, each with one
// wording: ParseProtocol (grpc or http/protobuf), ParseCompression (gzip
// or none), CheckCredential (a credential sent as a header value) and
// ParseHeaders (a header list such as OTEL_EXPORTER_OTLP_HEADERS).
//
// A Factory names its vendor to bootstrap, which knows none: DetectVars
// (DetectingFactory) lists the variables Detect reads, for the error that
// asks for a backend, and Propagators (PropagatorFactory) the propagators
// it brings, which the Registry offers to OTEL_PROPAGATORS by name; a
// Backend lists those it wants in the default set in Backend.Propagators.
package exporters
