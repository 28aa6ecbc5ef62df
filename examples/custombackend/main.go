// Command custombackend runs a service whose spans can go to a backend of
// its own, "webhook", beside the built-in ones:
//
//	TELEMETRY_BACKEND=webhook WEBHOOK_URL=https://hooks.example.com/spans WEBHOOK_TOKEN=... go run ./examples/custombackend
//
// Registering it is the only code; choosing it is still a variable.
package main

import (
	"context"
	"log"
	"os"
	"os/signal"
	"syscall"

	"go.opentelemetry.io/otel"

	"github.com/otelswitch/otelswitch/bootstrap"
	"github.com/otelswitch/otelswitch/examples/custombackend/webhook"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	registry := bootstrap.DefaultRegistry() // jaeger, datadog, newrelic, ...
	if err := registry.Register(webhook.Name, webhook.Factory{}); err != nil {
		log.Fatal(err)
	}
	tel, err := bootstrap.Init(ctx, bootstrap.WithRegistry(registry))
	if err != nil {
		log.Fatal(err)
	}

	_, span := otel.Tracer("custombackend").Start(ctx, "hello from a custom backend")
	span.End()

	if err := tel.Shutdown(context.Background()); err != nil { // sends the span
		log.Print(err)
	}
}
