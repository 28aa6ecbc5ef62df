package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/otelswitch/otelswitch/bootstrap"
	"github.com/otelswitch/otelswitch/internal/lab"
	"github.com/otelswitch/otelswitch/sample-app/internal/app"
	"github.com/otelswitch/otelswitch/sample-app/internal/load"
	"github.com/otelswitch/otelswitch/sample-app/internal/server"
)

// demoServices are the instances the demo runs, each calling the next.
var demoServices = []string{"app-a", "app-b", "app-c"}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	duration := fs.Duration("duration", 5*time.Second, "how long the load runs")
	concurrency := fs.Int("concurrency", 4, "requests in flight at once")
	keep := fs.Bool("keep", false, "keep Jaeger and the services running after the report, until Ctrl-C, to browse the Jaeger UI")
	fixed := fs.Bool("fixed-ports", true, "run Jaeger on its usual ports (UI on 16686) when they are free; otherwise on free ones")
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprint(w, `Usage: sample-app demo [flags]

What 'make run' runs. Starts the backend lab's Jaeger v2 (bin/jaeger, built by
'make lab-build'), three instances of the books service in this process
(app-a calls app-b, which calls app-c, through /chain), each initialised by
bootstrap.Init with TELEMETRY_BACKEND=jaeger, drives app-a with the load
generator, and then prints what Jaeger stored: traces per service, one /chain
trace as a tree across the three services, and the log line that links to it.

Flags:
`)
		fs.PrintDefaults()
		fmt.Fprint(w, `
Environment: OTELSWITCH_BIN (where bin/jaeger is). The demo sets the
telemetry variables of its three services itself.
`)
	}
	if code := parseFlags(fs, args, stdout, stderr); code >= 0 {
		return code
	}
	if err := demo(ctx, demoOptions{duration: *duration, concurrency: *concurrency, keep: *keep, fixedPorts: *fixed}, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "sample-app demo: %v\n", err)
		return exitFail
	}
	return exitOK
}

type demoOptions struct {
	duration    time.Duration
	concurrency int
	keep        bool
	fixedPorts  bool
}

func demo(ctx context.Context, o demoOptions, stdout, stderr io.Writer) error {
	fmt.Fprintln(stdout, "sample-app demo: three instances of the books service, traced into a real Jaeger v2")
	fmt.Fprintln(stdout)
	l, err := startLab(ctx, o.fixedPorts)
	if err != nil {
		return err
	}
	defer l.Close()
	fmt.Fprintf(stdout, "jaeger    UI %s, OTLP gRPC %s\n", l.JaegerUI, l.JaegerOTLPGRPC)

	dir, err := os.MkdirTemp("", "sample-app-demo-")
	if err != nil {
		return err
	}
	if !o.keep {
		defer os.RemoveAll(dir)
	}
	d := &demoRun{l: l, dir: dir, stdout: stdout, stderr: stderr}
	defer d.shutdown()
	if err := d.start(ctx); err != nil {
		return err
	}
	if err := d.drive(ctx, o); err != nil {
		return err
	}
	// From here a second Ctrl-C ends the process at once.
	signal.Reset(os.Interrupt, syscall.SIGTERM)
	qctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := d.report(qctx); err != nil {
		return err
	}
	if o.keep {
		fmt.Fprintf(stdout, "\nJaeger UI: %s  (Ctrl-C stops Jaeger and the services)\n", l.JaegerUI)
		waitForStop()
	} else {
		fmt.Fprintln(stdout, "\nJaeger and the services stop now; `make run RUN_FLAGS=-keep` keeps them up to browse the UI.")
	}
	return nil
}

// demoRun is the demo's lab and its three instances, in demoServices'
// order, each logging to a file of its own in dir.
type demoRun struct {
	l              *lab.Lab
	dir            string
	instances      []*app.Instance
	logs           []*os.File
	stdout, stderr io.Writer
}

// start starts the instances, app-c first so each knows the next one's URL.
func (d *demoRun) start(ctx context.Context) error {
	d.instances = make([]*app.Instance, len(demoServices))
	d.logs = make([]*os.File, len(demoServices))
	next := ""
	for k := len(demoServices) - 1; k >= 0; k-- {
		name := demoServices[k]
		vars := map[string]string{
			"ENVIRONMENT":       "development",
			"TELEMETRY_BACKEND": "jaeger",
			"JAEGER_ENDPOINT":   d.l.JaegerOTLPGRPC,
			"OTEL_SERVICE_NAME": name,
			app.EnvAddr:         "127.0.0.1:0",
			app.EnvDatabaseURL:  "sqlite:" + filepath.Join(d.dir, name+".db"),
			app.EnvChainTargets: next,
		}
		lookup := func(key string) (string, bool) {
			if v, ok := vars[key]; ok {
				return v, true
			}
			return os.LookupEnv(key)
		}
		f, err := os.Create(filepath.Join(d.dir, name+".log"))
		if err != nil {
			return err
		}
		d.logs[k] = f
		i, err := app.Start(ctx, lookup, bootstrap.WithoutGlobals(), bootstrap.WithLogOutput(f))
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		d.instances[k] = i
		next = i.URL
	}
	var chain []string
	for k, i := range d.instances {
		chain = append(chain, demoServices[k]+" "+i.URL)
	}
	fmt.Fprintf(d.stdout, "services  %s\n", strings.Join(chain, " -> "))
	fmt.Fprintf(d.stdout, "logs      %s\n\n", d.dir)
	return nil
}

// shutdown stops the instances that started and closes their logs.
func (d *demoRun) shutdown() {
	for _, i := range d.instances {
		if i != nil {
			sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			i.Shutdown(sctx)
			cancel()
		}
	}
	for _, f := range d.logs {
		if f != nil {
			f.Close()
		}
	}
}

// drive runs the load generator against app-a.
func (d *demoRun) drive(ctx context.Context, o demoOptions) error {
	fmt.Fprintf(d.stdout, "load      %s against app-a, %d at a time, mix %s\n", o.duration, o.concurrency, load.DefaultMix)
	res, err := load.Run(ctx, load.Config{URL: d.instances[0].URL, Duration: o.duration, Concurrency: o.concurrency, Progress: d.stderr})
	if err != nil {
		return err
	}
	fmt.Fprintf(d.stdout, "          %s\n\n", res.Summary())
	return nil
}

// report sends one /chain request, flushes every instance's telemetry and
// prints what Jaeger stored: counts per service, that request's trace as a
// tree, and app-a's log line for it.
func (d *demoRun) report(ctx context.Context) error {
	traceID, err := d.chain()
	if err != nil {
		return err
	}
	for _, i := range d.instances {
		if err := i.Telemetry.ForceFlush(ctx); err != nil {
			fmt.Fprintf(d.stderr, "flushing telemetry: %v\n", err)
		}
	}
	if err := d.printStored(ctx); err != nil {
		return err
	}
	// A server span per instance and a client span per call between them.
	tr, err := d.l.WaitForJaegerTrace(ctx, traceID, 2*len(demoServices)-1)
	if err != nil {
		return fmt.Errorf("the /chain trace %s did not arrive: %w", traceID, err)
	}
	fmt.Fprintf(d.stdout, "\none GET /chain trace, %d spans across %s:\n", len(tr.Spans), strings.Join(servicesOf(tr), ", "))
	printTree(d.stdout, tr)
	fmt.Fprintf(d.stdout, "  %s/trace/%s\n", d.l.JaegerUI, traceID)
	if line := logLineFor(d.logs[0].Name(), traceID); line != "" {
		fmt.Fprintf(d.stdout, "\napp-a's log line for it, linked by trace_id:\n  %s\n", line)
	}
	return nil
}

// chain sends one /chain request to app-a and returns its trace ID.
func (d *demoRun) chain() (string, error) {
	resp, err := http.Get(d.instances[0].URL + "/chain")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var cr server.ChainResult
	if err := json.NewDecoder(resp.Body).Decode(&cr); err != nil {
		return "", fmt.Errorf("GET /chain: %w", err)
	}
	return cr.TraceID, nil
}

// printStored prints, per service, the traces and spans Jaeger stored and
// what the app says it exported.
func (d *demoRun) printStored(ctx context.Context) error {
	fmt.Fprintln(d.stdout, "Jaeger stored (up to 1000 traces per service are counted):")
	for k, name := range demoServices {
		traces, err := d.l.JaegerTraces(ctx, name)
		if err != nil {
			return fmt.Errorf("asking Jaeger for %s: %w", name, err)
		}
		spans := 0
		for _, tr := range traces {
			for _, s := range tr.Spans {
				if s.Service == name {
					spans++
				}
			}
		}
		var sent string
		for _, s := range d.instances[k].Telemetry.Stats() {
			sent += fmt.Sprintf("; the app exported %d spans to %s, dropped %d", s.SpansExported, s.Backend, s.SpansDropped)
		}
		fmt.Fprintf(d.stdout, "  %-6s %4d traces, %5d spans%s\n", name, len(traces), spans, sent)
	}
	return nil
}

// startLab starts the lab's processes on their usual ports when asked and
// free, else on free ephemeral ones.
func startLab(ctx context.Context, fixed bool) (*lab.Lab, error) {
	if fixed {
		l, err := lab.Start(ctx, lab.WithFixedPorts())
		if !errors.Is(err, lab.ErrPortInUse) {
			return l, err
		}
	}
	return lab.Start(ctx)
}

func servicesOf(tr lab.JaegerTrace) []string {
	var out []string
	for _, s := range tr.Spans {
		if !slices.Contains(out, s.Service) {
			out = append(out, s.Service)
		}
	}
	slices.Sort(out)
	return out
}

// printTree prints a trace's spans indented under their parents, in start
// order.
func printTree(w io.Writer, tr lab.JaegerTrace) {
	children := map[string][]lab.JaegerSpan{}
	ids := map[string]bool{}
	for _, s := range tr.Spans {
		ids[s.SpanID] = true
	}
	for _, s := range tr.Spans {
		parent := s.ParentSpanID
		if !ids[parent] {
			parent = ""
		}
		children[parent] = append(children[parent], s)
	}
	var walk func(parent string, depth int)
	walk = func(parent string, depth int) {
		kids := children[parent]
		slices.SortFunc(kids, func(a, b lab.JaegerSpan) int { return a.Start.Compare(b.Start) })
		for _, s := range kids {
			name := strings.Repeat("  ", depth) + s.Service + "  " + s.Operation
			fmt.Fprintf(w, "  %-58s %10s\n", name, s.Duration.Round(time.Microsecond))
			walk(s.SpanID, depth+1)
		}
	}
	walk("", 0)
}

// logLineFor returns the request log line in file that carries traceID.
func logLineFor(file, traceID string) string {
	f, err := os.Open(file)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if strings.Contains(sc.Text(), `"msg":"request"`) && strings.Contains(sc.Text(), traceID) {
			return sc.Text()
		}
	}
	return ""
}
