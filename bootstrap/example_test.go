package bootstrap_test

import (
	"context"
	"fmt"

	"github.com/otelswitch/otelswitch/bootstrap"
)

// In the test profile nothing leaves the process: every span is kept by the
// handle's recorder, for the application's own tests to assert on.
func Example() {
	vars := map[string]string{"ENVIRONMENT": "test", "OTEL_SERVICE_NAME": "books"}
	tel, err := bootstrap.Init(context.Background(),
		bootstrap.WithLookupEnv(func(k string) (string, bool) { v, ok := vars[k]; return v, ok }),
		bootstrap.WithoutGlobals())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tel.Shutdown(context.Background())

	_, span := tel.TracerProvider().Tracer("books").Start(context.Background(), "GET /books")
	span.End()

	cfg := tel.Config()
	fmt.Println(cfg.Environment, cfg.Backends, cfg.ServiceName)
	fmt.Println(tel.Recorder().Ended()[0].Name())
	// Output:
	// test [none] books
	// GET /books
}

// Every problem comes back at once, naming the variable, the value and what
// is allowed.
func ExampleInit_badInput() {
	vars := map[string]string{
		"TELEMETRY_BACKEND":       "jaeger",
		"OTEL_TRACES_SAMPLER":     "traceidratio",
		"OTEL_TRACES_SAMPLER_ARG": "half",
		"JAEGER_PROTOCOL":         "thrift",
	}
	_, err := bootstrap.Init(context.Background(),
		bootstrap.WithLookupEnv(func(k string) (string, bool) { v, ok := vars[k]; return v, ok }),
		bootstrap.WithoutGlobals())
	fmt.Println(err)
	// Output:
	// OTEL_TRACES_SAMPLER_ARG="half": want a number from 0 to 1
	// JAEGER_PROTOCOL="thrift": unknown protocol; want grpc or http/protobuf
}

// Resolve is what Init and `otelswitch doctor` both see: every backend's
// final endpoint per signal and where it came from, nothing sent.
func ExampleResolve() {
	env := map[string]string{
		"TELEMETRY_BACKEND":       "jaeger,newrelic",
		"JAEGER_ENDPOINT":         "jaeger.internal:4317",
		"NEW_RELIC_LICENSE_KEY":   "0123456789abcdef0123456789abcdef01234567",
		"NEW_RELIC_OTLP_ENDPOINT": "https://otlp.eu01.nr-data.net",
	}
	plan, err := bootstrap.Resolve(context.Background(), bootstrap.WithLookupEnv(func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer plan.Close(context.Background())
	for _, b := range plan.Backends {
		for _, e := range b.Endpoints {
			fmt.Println(b.Name, e.Signal, e.Protocol, e.URL, e.Variable, e.Auth)
		}
	}
	// Output:
	// jaeger traces grpc http://jaeger.internal:4317 JAEGER_ENDPOINT none
	// newrelic traces http/protobuf https://otlp.eu01.nr-data.net/v1/traces NEW_RELIC_OTLP_ENDPOINT api-key header
	// newrelic metrics http/protobuf https://otlp.eu01.nr-data.net/v1/metrics NEW_RELIC_OTLP_ENDPOINT api-key header
}
