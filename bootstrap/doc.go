// Package bootstrap wires OpenTelemetry to the backend an environment asks
// for, with one call from main:
//
//	tel, err := bootstrap.Init(ctx)
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer tel.Shutdown(context.Background())
//
// Init reads ENVIRONMENT (development, staging, production, test), picks the
// matching profile from package profiles, reads TELEMETRY_BACKEND and each
// chosen backend's own variables, and installs the global TracerProvider,
// MeterProvider, propagator and a trace-correlated slog logger. Switching
// vendor is a change of environment variables, never of code.
//
// Every backend is a span processor with its own queue on one SDK
// TracerProvider, so TELEMETRY_BACKEND=jaeger,newrelic sends every span to
// both, and a dead backend delays neither the application nor the other.
//
// Init never panics, never exits and never waits on the network. Bad input
// comes back as one error naming each variable, its value (never a secret)
// and what is allowed.
package bootstrap

//go:generate go run ../internal/configdoc -o ../docs/configuration.md
