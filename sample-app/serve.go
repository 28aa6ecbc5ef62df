package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/otelswitch/otelswitch/sample-app/internal/app"
)

// telemetryVars are the bootstrap variables --help lists; docs/configuration.md
// has the rest, the vendors' own included.
var telemetryVars = []string{
	"ENVIRONMENT", "TELEMETRY_BACKEND", "OTEL_SERVICE_NAME", "SERVICE_VERSION",
	"OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG", "OTEL_PROPAGATORS",
	"TELEMETRY_SHUTDOWN_TIMEOUT", "TELEMETRY_LOG_FORMAT", "TELEMETRY_LOG_LEVEL",
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", "", "listen address, host:port (overrides ADDR; default :8080)")
	drain := fs.Duration("drain-timeout", 0, "how long in-flight requests may finish on shutdown (overrides DRAIN_TIMEOUT; default 10s)")
	fs.Usage = func() { serveUsage(fs) }
	if code := parseFlags(fs, args, stdout, stderr); code >= 0 {
		return code
	}

	// Flags override the environment through the same lookup bootstrap uses.
	overrides := map[string]string{}
	if *addr != "" {
		overrides[app.EnvAddr] = *addr
	}
	if *drain != 0 {
		overrides[app.EnvDrainTimeout] = drain.String()
	}
	lookup := func(k string) (string, bool) {
		if v, ok := overrides[k]; ok {
			return v, true
		}
		return os.LookupEnv(k)
	}

	inst, err := app.Start(ctx, lookup)
	if err != nil {
		fmt.Fprintf(stderr, "sample-app serve: %v\n", err)
		return exitFail
	}
	var serveErr error
	select {
	case <-ctx.Done():
		inst.Logger.Info("signal received; a second one stops at once")
	case serveErr = <-inst.Done():
		inst.Logger.Error("server stopped", "error", fmt.Sprint(serveErr))
	}
	// From here a second SIGINT or SIGTERM kills the process the default way.
	signal.Reset(os.Interrupt, syscall.SIGTERM)

	if err := inst.Shutdown(context.Background()); err != nil || serveErr != nil {
		return exitFail
	}
	return exitOK
}

func serveUsage(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprint(w, `Usage: sample-app serve [flags]

Runs the books service: a JSON CRUD API on SQLite or PostgreSQL, /chain across
peer instances, /io_task, /cpu_task, /error, /health and /metrics. Telemetry is
set up by bootstrap.Init from the environment; switch vendor by changing
TELEMETRY_BACKEND and the vendor's own variables, nothing else.

SIGTERM or Ctrl-C stops accepting connections, lets in-flight requests finish
(DRAIN_TIMEOUT), flushes telemetry (TELEMETRY_SHUTDOWN_TIMEOUT) and exits 0.

Flags:
`)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fmt.Fprint(w, "\nEnvironment (the app's own):\n")
	printVars(w, app.Variables)
	fmt.Fprint(w, "\nEnvironment (telemetry, read by bootstrap.Init; the app defaults OTEL_SERVICE_NAME\nto \"books\" and TELEMETRY_LOG_FORMAT to json):\n")
	printVars(w, app.TelemetryVariables(telemetryVars...))
	fmt.Fprint(w, `
Each vendor's own variables (JAEGER_ENDPOINT, DD_AGENT_HOST, NEW_RELIC_LICENSE_KEY,
ELASTIC_APM_SERVER_URL, OTEL_EXPORTER_OTLP_*, ...) are in docs/configuration.md.

Examples:
  sample-app serve                                   # SQLite, spans to a local Jaeger
  TELEMETRY_BACKEND=stdout sample-app serve -addr :9090
  DATABASE_URL=postgres://books@localhost/books TELEMETRY_BACKEND=datadog sample-app serve
  CHAIN_TARGETS=http://localhost:8081 OTEL_SERVICE_NAME=app-a sample-app serve
`)
}

func printVars(w io.Writer, vars []app.Var) {
	const col = 28
	for _, v := range vars {
		desc := v.Description
		if v.Default != "" {
			desc += " Default: " + v.Default + "."
		}
		fmt.Fprintf(w, "  %-*s%s\n", col, v.Name, wrap(desc, 72, strings.Repeat(" ", col+2)))
	}
}

// wrap breaks s into lines of about width runes, indenting continuations.
func wrap(s string, width int, indent string) string {
	var b strings.Builder
	n := 0
	for i, word := range strings.Fields(s) {
		if i > 0 {
			if n+1+len(word) > width {
				b.WriteString("\n" + indent)
				n = 0
			} else {
				b.WriteByte(' ')
				n++
			}
		}
		b.WriteString(word)
		n += len(word)
	}
	return b.String()
}
