package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/otelswitch/otelswitch/internal/lab"
	"github.com/otelswitch/otelswitch/sample-app/internal/compare"
	"github.com/otelswitch/otelswitch/sample-app/internal/load"
)

// compareFlags are sample-app compare's flags.
type compareFlags struct {
	backends, mix, environment, format, html, logs string
	labDir, token, gateway, gatewayStore           string
	duration, warmup, gatewayWait                  time.Duration
	concurrency                                    int
	seed                                           uint64
	reuse, fixed, keep                             bool
}

func (f *compareFlags) define(fs *flag.FlagSet) {
	fs.StringVar(&f.backends, "backends", strings.Join(compare.DefaultBackends, ","), "backends to compare, comma-separated: "+strings.Join(compare.Names(), ", "))
	fs.DurationVar(&f.duration, "duration", compare.DefaultDuration, "how long each run's workload lasts")
	fs.IntVar(&f.concurrency, "concurrency", compare.DefaultConcurrency, "requests in flight at once")
	fs.Uint64Var(&f.seed, "seed", load.DefaultSeed, "picks the request sequence; every run sends the same one")
	fs.StringVar(&f.mix, "mix", load.DefaultMix.String(), "relative weights of the requests, as for 'sample-app load'")
	fs.StringVar(&f.environment, "environment", compare.DefaultEnvironment, "ENVIRONMENT of every run: the profile's batching, queues and timeouts")
	fs.DurationVar(&f.warmup, "warmup", compare.DefaultWarmup, "unreported run with telemetry off before the baseline; 0 skips it")
	fs.StringVar(&f.format, "format", "table", "table or json, on standard output")
	fs.StringVar(&f.html, "html", "", "also write a self-contained HTML page with the table and latency charts to this file")
	fs.StringVar(&f.logs, "logs", "", "keep each run's application log and database in this directory")
	fs.StringVar(&f.gateway, "gateway", "", "OTLP gRPC endpoint (host:port or URL) of an OpenTelemetry Collector gateway to compare as the backend 'gateway' (docs/scale-out.md); added to -backends")
	fs.StringVar(&f.gatewayStore, "gateway-store", compare.StoreJaeger, "where that gateway exports in the lab, to count what it kept: "+strings.Join(compare.GatewayStores(), " or "))
	fs.DurationVar(&f.gatewayWait, "gateway-wait", compare.DefaultGatewayWait, "how long the gateway may hold a run's last traces: its decision_wait plus batch timeout")
	fs.BoolVar(&f.reuse, "reuse-lab", true, "reuse a lab already running on the fixed ports (make lab) instead of starting one")
	fs.StringVar(&f.labDir, "lab-dir", "", "directory of the lab to reuse (default: lab-data/ at the repository root, where make lab keeps it)")
	fs.StringVar(&f.token, "lab-secret-token", os.Getenv("ELASTIC_APM_SECRET_TOKEN"), "secret token of the lab to reuse, which make lab prints (default $ELASTIC_APM_SECRET_TOKEN)")
	fs.BoolVar(&f.fixed, "fixed-ports", true, "start the lab on its usual ports when they are free; otherwise on free ones")
	fs.BoolVar(&f.keep, "keep-lab", false, "keep the lab this command started running after the report, until Ctrl-C")
}

func compareUsage(fs *flag.FlagSet) func() {
	return func() {
		w := fs.Output()
		fmt.Fprint(w, `Usage: sample-app compare [flags]

What 'make compare' runs (docs/compare.md). Sends the same telemetry to
several vendors and compares them in one table. Starts the backend lab, or
reuses one that 'make lab' is running, points each backend at its stand-in
there, and drives the books service (in this process) with one fixed, seeded
workload: first with telemetry off (the baseline), then with each backend
alone, then with all of them fanned out at once.

A row per backend: spans made, sent, actually stored (counted from Jaeger's
API and the collector's output, not from the sender), dropped, failed
exports, bytes on the wire, export latency p50/p99, request latency and
throughput against the baseline, and how the backend sees service, env and
version. A backend that fails is marked failed with the reason; the others
still run.

With -gateway, an OpenTelemetry Collector gateway you run (for instance
deploy/collector/gateway.yaml, exporting to the lab's Jaeger) is one more
backend: TELEMETRY_BACKEND=otlp to it, and STORED is what its tail sampling
kept, read back from -gateway-store (docs/scale-out.md).

Flags:
`)
		fs.PrintDefaults()
		fmt.Fprintf(w, `
Environment: OTELSWITCH_BIN (where the lab binaries are), ELASTIC_APM_SECRET_TOKEN
(see -lab-secret-token). Every run's telemetry variables are set by the
command itself; yours are not read. It sets DD_REMOTE_CONFIGURATION_ENABLED
and DD_INSTRUMENTATION_TELEMETRY_ENABLED to false in its own process when
unset: dd-trace-go reads them there, and the lab's Datadog stand-in serves
neither.

Examples:
  sample-app compare --backends jaeger,datadog,newrelic,elastic --duration 30s
  sample-app compare --duration 5s --format json > compare.json
  sample-app compare --backends jaeger,datadog,datadog-otlp --html compare.html
  sample-app compare --backends jaeger --gateway 127.0.0.1:4319 --gateway-store jaeger
`)
	}
}

// options checks the flags and turns them into compare's options and the
// backends' names.
func (f *compareFlags) options(stderr io.Writer) ([]compare.Option, []string, error) {
	if f.format != "table" && f.format != "json" {
		return nil, nil, fmt.Errorf("-format %q: want table or json", f.format)
	}
	m, err := load.ParseMix(f.mix)
	if err != nil {
		return nil, nil, fmt.Errorf("-mix: %w", err)
	}
	names := splitList(f.backends)
	if f.gateway != "" && !slices.Contains(names, compare.GatewayBackend) {
		names = append(names, compare.GatewayBackend)
	}
	for _, n := range names {
		if !slices.Contains(compare.Names(), n) {
			return nil, nil, fmt.Errorf("-backends: unknown backend %q; want some of %s", n, strings.Join(compare.Names(), ", "))
		}
	}
	if f.gateway == "" && slices.Contains(names, compare.GatewayBackend) {
		return nil, nil, fmt.Errorf("-backends: backend %q needs -gateway, the gateway's OTLP gRPC endpoint", compare.GatewayBackend)
	}
	opts := []compare.Option{
		compare.WithBackends(names...), compare.WithDuration(f.duration), compare.WithConcurrency(f.concurrency),
		compare.WithSeed(f.seed), compare.WithMix(m), compare.WithEnvironment(f.environment),
		compare.WithWarmup(f.warmup), compare.WithProgress(stderr),
	}
	if f.logs != "" {
		opts = append(opts, compare.WithLogDir(f.logs))
	}
	if f.gateway != "" {
		g := compare.Gateway{Endpoint: f.gateway, Store: f.gatewayStore, Wait: f.gatewayWait}
		if err := g.Validate(); err != nil {
			return nil, nil, fmt.Errorf("-gateway: %w", err)
		}
		opts = append(opts, compare.WithGateway(g))
	}
	return opts, names, nil
}

func runCompare(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	var f compareFlags
	f.define(fs)
	fs.Usage = compareUsage(fs)
	if code := parseFlags(fs, args, stdout, stderr); code >= 0 {
		return code
	}
	opts, names, err := f.options(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "sample-app compare: %v\nRun 'sample-app compare -help' for usage.\n", err)
		return exitUsage
	}
	if slices.Contains(names, "datadog") || slices.Contains(names, "datadog-otlp") {
		quietDatadog()
	}
	l, how, err := openLab(ctx, labOptions{reuse: f.reuse, dir: f.labDir, token: f.token, fixed: f.fixed})
	if err != nil {
		fmt.Fprintf(stderr, "sample-app compare: %v\n", err)
		return exitFail
	}
	defer l.Close()
	fmt.Fprintf(stderr, "compare: %s\n", how)
	if l.SecretToken == "" && slices.Contains(names, "elastic") {
		fmt.Fprintln(stderr, "compare: no secret token for the reused lab: elastic will be refused (401); pass -lab-secret-token, which make lab prints")
	}

	return f.report(ctx, l, how, opts, stdout, stderr)
}

// report runs the comparison on l, writes the report and, when asked, keeps
// the lab it started running until Ctrl-C.
func (f *compareFlags) report(ctx context.Context, l *lab.Lab, how string, opts []compare.Option, stdout, stderr io.Writer) int {
	rep, err := compare.Run(ctx, l, opts...)
	if rep == nil {
		fmt.Fprintf(stderr, "sample-app %v\n", err)
		return exitFail
	}
	if err != nil {
		fmt.Fprintf(stderr, "sample-app %v; reporting what was measured\n", err)
	}
	// From here a second Ctrl-C ends the process at once.
	signal.Reset(os.Interrupt, syscall.SIGTERM)
	if err := f.write(rep, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "sample-app compare: %v\n", err)
		return exitFail
	}
	if f.keep && strings.HasPrefix(how, "started") {
		fmt.Fprintf(stderr, "\ncompare: the lab keeps running (Jaeger API %s, files in %s); Ctrl-C stops it\n", l.JaegerUI, l.Dir)
		waitForStop()
	}
	if rep.Interrupted {
		return exitFail
	}
	return exitOK
}

// write writes the report to stdout in the chosen format, and the HTML page
// when asked.
func (f *compareFlags) write(rep *compare.Report, stdout, stderr io.Writer) error {
	if f.html != "" {
		if err := writeHTML(f.html, rep); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "compare: wrote %s\n", f.html)
	}
	if f.format == "json" {
		return rep.WriteJSON(stdout)
	}
	return rep.WriteTable(stdout)
}

// waitForStop blocks until SIGINT or SIGTERM.
func waitForStop() {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
	signal.Reset(os.Interrupt, syscall.SIGTERM)
}

type labOptions struct {
	reuse bool
	dir   string
	token string
	fixed bool
}

// openLab reuses the lab `make lab` runs on the fixed ports when asked and
// found, and otherwise starts one as the demo does. It says which.
func openLab(ctx context.Context, o labOptions) (*lab.Lab, string, error) {
	if o.reuse {
		dir := o.dir
		if dir == "" {
			if root, err := lab.ModuleRoot(); err == nil {
				dir = filepath.Join(root, "lab-data")
			}
		}
		if dir != "" {
			l, err := lab.Attach(ctx, lab.WithDir(dir), lab.WithSecretToken(o.token))
			if err == nil {
				return l, fmt.Sprintf("reusing the lab running on the fixed ports (Jaeger API %s, files in %s)", l.JaegerUI, l.Dir), nil
			}
			if !errors.Is(err, lab.ErrNotRunning) {
				return nil, "", fmt.Errorf("a lab answers on the fixed ports but cannot be reused: %w (pass -lab-dir, or -reuse-lab=false)", err)
			}
		}
	}
	l, err := startLab(ctx, o.fixed)
	if err != nil {
		return nil, "", err
	}
	return l, fmt.Sprintf("started the lab (Jaeger API %s, collector files in %s)", l.JaegerUI, l.Dir), nil
}

// quietDatadog turns off the dd-trace-go features the lab's Datadog
// stand-in does not serve; dd-trace-go reads these from the process
// environment only.
func quietDatadog() {
	for _, k := range []string{"DD_REMOTE_CONFIGURATION_ENABLED", "DD_INSTRUMENTATION_TELEMETRY_ENABLED"} {
		if _, ok := os.LookupEnv(k); !ok {
			os.Setenv(k, "false")
		}
	}
}

func writeHTML(path string, rep *compare.Report) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := rep.WriteHTML(f); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
