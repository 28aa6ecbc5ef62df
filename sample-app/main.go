package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

var commands = []command{
	{"serve", "run the books service", runServe},
	{"load", "drive a running service with a bounded request mix and summarize latency", runLoad},
	{"demo", "run Jaeger and three chained instances, drive them, print what Jaeger stored (make run)", runDemo},
	{"compare", "send the same workload to several vendors at once and compare them in one table (make compare)", runCompare},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			return run([]string{args[1], "-help"}, stdout, stderr)
		}
		usage(stdout)
		return exitOK
	}
	for _, c := range commands {
		if c.name == name {
			// The first SIGINT or SIGTERM cancels ctx: serve drains, load
			// stops and summarizes. Commands call stop-on-signal themselves
			// where a second signal should kill at once.
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "sample-app: unknown command %q\n\n", name)
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprint(w, `sample-app is the otelswitch sample: a books service whose telemetry vendor is
chosen by environment variables alone.

Usage:
  sample-app <command> [flags]

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run 'sample-app <command> -help' for its flags and environment variables.
`)
}

// parseFlags parses args with fs, printing usage to stdout for -help and
// errors to stderr. It returns a non-negative exit code when the command
// should stop.
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) int {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		fs.Usage()
		return exitOK
	case err != nil:
		fmt.Fprintf(stderr, "sample-app %s: %v\nRun 'sample-app %s -help' for usage.\n", fs.Name(), err, fs.Name())
		return exitUsage
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "sample-app %s: unexpected argument %q\nRun 'sample-app %s -help' for usage.\n", fs.Name(), fs.Arg(0), fs.Name())
		return exitUsage
	}
	return -1
}
