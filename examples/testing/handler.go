// Package testing shows how to test a handler's telemetry: Init on the test
// profile keeps every span in tel.Recorder(), and WithMetricReader hands the
// test a reader to collect the service's metrics from. Nothing leaves the
// process and the process environment is never touched.
package testing

import (
	"net/http"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Greeter answers GET /hello and counts the greetings.
type Greeter struct {
	greetings metric.Int64Counter
}

// NewGreeter makes its instruments from mp.
func NewGreeter(mp metric.MeterProvider) (*Greeter, error) {
	c, err := mp.Meter("example/greeter").Int64Counter("greetings", metric.WithDescription("greetings sent"))
	if err != nil {
		return nil, err
	}
	return &Greeter{greetings: c}, nil
}

// ServeHTTP greets inside a span of its own.
func (g *Greeter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, span := otel.Tracer("example/greeter").Start(r.Context(), "greet")
	defer span.End()
	name := r.URL.Query().Get("name")
	if name == "" {
		name = "world"
	}
	g.greetings.Add(ctx, 1, metric.WithAttributes(attribute.Bool("anonymous", name == "world")))
	_, _ = w.Write([]byte("hello, " + name + "\n"))
}
