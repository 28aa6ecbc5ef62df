package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/otelswitch/otelswitch/sample-app/internal/load"
)

func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	url := fs.String("url", "http://localhost:8080", "base URL of the books service")
	duration := fs.Duration("duration", 0, "stop starting requests after this long (default 10s when -requests is not set either)")
	requests := fs.Int("requests", 0, "stop after this many requests (0: no count limit)")
	concurrency := fs.Int("concurrency", load.DefaultConcurrency, "requests in flight at once")
	seed := fs.Uint64("seed", load.DefaultSeed, "picks the request sequence; the same seed sends the same mix")
	mix := fs.String("mix", load.DefaultMix.String(), "relative weights of the requests: op=weight,... with op one of list, get, create, update, delete, io, cpu, chain, health, error")
	ioMillis := fs.Int("io-ms", load.DefaultIOMillis, "how long each /io_task request sleeps, in milliseconds")
	cpuRounds := fs.Int("cpu-rounds", load.DefaultCPURounds, "how many hash rounds each /cpu_task request computes")
	asJSON := fs.Bool("json", false, "print the summary as JSON instead of a table")
	quiet := fs.Bool("quiet", false, "no progress line on stderr")
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprint(w, `Usage: sample-app load [flags]

Sends a bounded, reproducible mix of requests to a running books service
(sample-app serve) and prints a summary: requests, errors, throughput and
p50/p90/p99 latency, overall and per kind of request. While it runs, a
progress line on stderr is rewritten once a second. Ctrl-C stops it early and
still prints the summary.

An error is a request that got no response or a 5xx. The default mix includes
GET /error, which always answers 500, so about 2% errors is expected; leave it
out with -mix.

Flags:
`)
		fs.PrintDefaults()
		fmt.Fprint(w, `
Environment: none; the load generator sends plain HTTP and is not traced, so
every trace starts at the service.

Examples:
  sample-app load -duration 30s -concurrency 16
  sample-app load -requests 1000 -mix list=5,get=5,create=1 -json
`)
	}
	if code := parseFlags(fs, args, stdout, stderr); code >= 0 {
		return code
	}
	m, err := load.ParseMix(*mix)
	if err != nil {
		fmt.Fprintf(stderr, "sample-app load: -mix: %v\n", err)
		return exitUsage
	}
	if *duration == 0 && *requests == 0 {
		*duration = 10 * time.Second
	}
	cfg := load.Config{
		URL: *url, Duration: *duration, Requests: *requests, Concurrency: *concurrency,
		Seed: *seed, Mix: m, IOMillis: *ioMillis, CPURounds: *cpuRounds,
	}
	if !*quiet {
		cfg.Progress = stderr
	}
	res, err := load.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "sample-app %v\n", err)
		return exitFail
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(jsonSummary(res))
		return exitOK
	}
	s := res.Summary()
	fmt.Fprintf(stdout, "requests  %d in %s (%.1f req/s)\n", s.Requests, s.Elapsed.Round(time.Millisecond), s.RPS)
	fmt.Fprintf(stdout, "errors    %d (%.1f%%); client errors (4xx) %d\n", s.Errors, 100*s.ErrorRate(), s.ClientErrors)
	fmt.Fprintf(stdout, "latency   p50 %s  p90 %s  p99 %s  max %s\n\n", s.P50.Round(time.Microsecond), s.P90.Round(time.Microsecond), s.P99.Round(time.Microsecond), s.Max.Round(time.Microsecond))
	fmt.Fprint(stdout, res.Table())
	return exitOK
}

type summaryJSON struct {
	Requests     int     `json:"requests"`
	Errors       int     `json:"errors"`
	ClientErrors int     `json:"client_errors"`
	ElapsedMS    float64 `json:"elapsed_ms"`
	RPS          float64 `json:"rps"`
	MeanMS       float64 `json:"mean_ms"`
	P50MS        float64 `json:"p50_ms"`
	P90MS        float64 `json:"p90_ms"`
	P99MS        float64 `json:"p99_ms"`
	MaxMS        float64 `json:"max_ms"`
}

func toJSON(s load.Summary) summaryJSON {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return summaryJSON{s.Requests, s.Errors, s.ClientErrors, ms(s.Elapsed), s.RPS, ms(s.Mean), ms(s.P50), ms(s.P90), ms(s.P99), ms(s.Max)}
}

func jsonSummary(r load.Result) map[string]any {
	byOp := map[string]summaryJSON{}
	for op, s := range r.ByOp() {
		byOp[string(op)] = toJSON(s)
	}
	return map[string]any{
		"url": r.Config.URL, "seed": r.Config.Seed, "concurrency": r.Config.Concurrency, "mix": r.Config.Mix.String(),
		"total": toJSON(r.Summary()), "by_op": byOp,
	}
}
