// Command lab runs the backend lab in the foreground on its fixed ports
// (`make lab`): Jaeger v2, and an OpenTelemetry Collector that stands in for
// New Relic, Elastic and the Datadog Agent. It prints every endpoint and the
// Elastic credentials, and stops everything on Ctrl-C or SIGTERM. A taken
// port makes it exit at once with an error naming the port. See docs/lab.md.
//
//	go run ./internal/lab/cmd/lab [-dir lab-data] [-secret-token T] [-api-key K] [-jaeger-ui DIR]
package main
