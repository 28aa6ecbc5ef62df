package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/otelswitch/otelswitch/bootstrap"
)

// report is what doctor prints, as text or as one JSON document.
type report struct {
	OK bool `json:"ok"`
	// Problems lists every configuration error; Plan and Results are then
	// empty.
	Problems []string        `json:"problems,omitempty"`
	Plan     *bootstrap.Plan `json:"plan,omitempty"`
	Results  []result        `json:"results,omitempty"`
}

func doctor(ctx context.Context, args []string, lookup func(string) (string, bool), stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "text", "text or json")
	timeout := fs.Duration("timeout", 5*time.Second, "how long each probe may wait for an answer")
	if err := fs.Parse(args); err != nil {
		return exitInvalid
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(stderr, "otelswitch doctor: --format=%q: want text or json\n", *format)
		return exitInvalid
	}
	if *timeout <= 0 {
		fmt.Fprintf(stderr, "otelswitch doctor: --timeout=%s: want a positive duration\n", *timeout)
		return exitInvalid
	}

	var r report
	plan, err := bootstrap.Resolve(ctx,
		bootstrap.WithLookupEnv(lookup),
		bootstrap.WithLogOutput(io.Discard), // the report says it all
		bootstrap.WithoutExportRetry(),
	)
	if err != nil {
		r.Problems = strings.Split(err.Error(), "\n")
		write(stdout, *format, r)
		return exitInvalid
	}
	r.Plan = plan
	r.Results = probeAll(ctx, plan, *timeout)
	closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	_ = plan.Close(closeCtx) // a black hole may still hold an export
	cancel()
	r.OK = true
	for _, res := range r.Results {
		r.OK = r.OK && res.Accepted
	}
	write(stdout, *format, r)
	if !r.OK {
		return exitRejected
	}
	return exitOK
}

// probeAll probes every backend at once, so one that does not answer costs
// the timeout once, not once per backend.
func probeAll(ctx context.Context, plan *bootstrap.Plan, timeout time.Duration) []result {
	out := make([][]result, len(plan.Backends))
	var wg sync.WaitGroup
	for i, b := range plan.Backends {
		wg.Go(func() { out[i] = probe(ctx, plan, b, timeout) })
	}
	wg.Wait()
	var all []result
	for _, rs := range out {
		all = append(all, rs...)
	}
	return all
}

func write(w io.Writer, format string, r report) {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(r)
		return
	}
	writeText(w, r)
}

func writeText(w io.Writer, r report) {
	if len(r.Problems) > 0 {
		fmt.Fprintln(w, "The configuration is invalid; bootstrap.Init would return this error:")
		for _, p := range r.Problems {
			fmt.Fprintf(w, "  - %s\n", p)
		}
		return
	}
	p := r.Plan
	writePlanSummary(w, p)
	for _, b := range p.Backends {
		writeBackend(w, b, r.Results)
	}
	fmt.Fprintln(w)
	switch {
	case len(p.Backends) == 0:
		fmt.Fprintln(w, "No backend sends anywhere: nothing to probe.")
	case r.OK:
		fmt.Fprintln(w, "Every backend accepted the probe.")
	default:
		fmt.Fprintln(w, "At least one backend did not accept the probe; see fix above.")
	}
}

// writePlanSummary writes what applies to every backend.
func writePlanSummary(w io.Writer, p *bootstrap.Plan) {
	fmt.Fprintf(w, "environment  %s\n", p.Environment)
	fmt.Fprintf(w, "service      %s", p.ServiceName)
	if p.ServiceVersion != "" {
		fmt.Fprintf(w, " %s", p.ServiceVersion)
	}
	fmt.Fprintln(w)
	sampler := p.Sampler
	if p.SamplerRatio != 0 {
		sampler += fmt.Sprintf(" (ratio %g)", p.SamplerRatio)
	}
	fmt.Fprintf(w, "sampler      %s\n", sampler)
	fmt.Fprintf(w, "signals      %s\n", strings.Join(p.Signals, ", "))
	if p.SDKDisabled {
		fmt.Fprintln(w, "OTEL_SDK_DISABLED=true: nothing is sent.")
	}
	for _, warn := range p.Warnings {
		fmt.Fprintf(w, "warning      %s\n", warn)
	}
}

// writeBackend writes one backend's endpoints and its probes' results.
func writeBackend(w io.Writer, b bootstrap.PlannedBackend, results []result) {
	fmt.Fprintf(w, "\nbackend %s\n", b.Name)
	for _, e := range b.Endpoints {
		auth := e.Auth
		if e.CredentialVar != "" && e.Auth != "none" {
			auth += " from " + e.CredentialVar + " ([REDACTED])"
		}
		fmt.Fprintf(w, "  %-8s %s %s (%s); auth: %s", e.Signal, e.Protocol, e.URL, origin(e), auth)
		if e.Certificate != "" {
			fmt.Fprintf(w, "; CA: %s (%s)", e.Certificate, e.CertificateVar)
		}
		fmt.Fprintln(w)
	}
	for _, res := range results {
		if res.Backend != b.Name {
			continue
		}
		fmt.Fprintf(w, "  probe %-8s %s\n", res.Signal, res.summary())
		if res.Fix != "" {
			fmt.Fprintf(w, "    fix: %s\n", res.Fix)
		}
	}
}
