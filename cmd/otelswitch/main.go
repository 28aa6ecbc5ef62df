// Command otelswitch answers "is my telemetry getting through, and if not,
// why?". Install it with
//
//	go install github.com/otelswitch/otelswitch/cmd/otelswitch@latest
//
// and run it with the service's environment:
//
//	otelswitch doctor [--format text|json] [--timeout 5s]
//
// doctor resolves the configuration exactly as bootstrap.Init does (the same
// function, bootstrap.Resolve), prints it with credentials redacted, sends
// one real probe per signal to each backend and says, for each, whether it
// was reached and accepted, how long it took, and what to change. It exits 0
// when every backend accepted, 1 when one did not, and 2 when the
// configuration is invalid.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: otelswitch doctor [--format text|json] [--timeout D]

doctor reads the environment as bootstrap.Init does, prints the resolved
configuration (credentials redacted), sends one probe per signal to every
backend and says what to change. Exit status: 0 every backend accepted,
1 one did not, 2 the configuration is invalid.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK       = 0
	exitRejected = 1
	exitInvalid  = 2
)

// run is main without the process: arguments, environment and output are
// given, so tests call it directly.
func run(ctx context.Context, args []string, lookup func(string) (string, bool), stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		return exitInvalid
	}
	switch args[0] {
	case "doctor":
		return doctor(ctx, args[1:], lookup, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "otelswitch: unknown command %q\n\n%s", args[0], usage)
		return exitInvalid
	}
}
