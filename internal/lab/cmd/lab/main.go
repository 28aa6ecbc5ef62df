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
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/otelswitch/otelswitch/internal/lab"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run() error {
	dir := flag.String("dir", "", "keep configs, logs and collector output here (default: lab-data/ at the repository root)")
	secretToken := flag.String("secret-token", "", "token the Elastic secret-token receiver accepts (default: random)")
	apiKey := flag.String("api-key", "", "key the Elastic API-key receiver accepts (default: random)")
	uiAssets := flag.String("jaeger-ui", "", "serve the Jaeger UI from this jaeger-ui build directory (Jaeger built from Go has only a placeholder page)")
	timeout := flag.Duration("start-timeout", lab.DefaultStartTimeout, "how long to wait for the lab to become healthy")
	flag.Parse()

	if *dir == "" {
		root, err := lab.ModuleRoot()
		if err != nil {
			return err
		}
		*dir = filepath.Join(root, "lab-data")
	}
	opts := []lab.Option{lab.WithFixedPorts(), lab.WithDir(*dir), lab.WithStartTimeout(*timeout)}
	if *secretToken != "" {
		opts = append(opts, lab.WithSecretToken(*secretToken))
	}
	if *apiKey != "" {
		opts = append(opts, lab.WithAPIKey(*apiKey))
	}
	if *uiAssets != "" {
		opts = append(opts, lab.WithJaegerUIAssets(*uiAssets))
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	fmt.Println("starting the backend lab (Jaeger v2 and an OpenTelemetry Collector) ...")
	start := time.Now()
	l, err := lab.Start(ctx, opts...)
	if err != nil {
		return err
	}
	printEndpoints(os.Stdout, l, time.Since(start), *uiAssets != "")

	err = l.Wait(ctx)
	stop() // a second Ctrl-C now kills the launcher, and Pdeathsig the lab
	fmt.Println("\nstopping the lab ...")
	return errors.Join(err, l.Close())
}

func printEndpoints(w io.Writer, l *lab.Lab, took time.Duration, realUI bool) {
	fmt.Fprintf(w, "lab ready in %s; Ctrl-C stops it.\n\n", took.Round(time.Millisecond))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	rows := [][]string{
		{"Jaeger UI and query API (/api/...)", l.JaegerUI, uiNote(realUI)},
		{"Jaeger OTLP", "grpc " + l.JaegerOTLPGRPC, "http " + l.JaegerOTLPHTTP},
		{"New Relic stand-in (OTLP, no auth)", "grpc " + l.CollectorOTLPGRPC, "http " + l.CollectorOTLPHTTP},
		{"Elastic, Authorization: Bearer", "grpc " + l.ElasticBearerGRPC, "http " + l.ElasticBearerHTTP},
		{"Elastic, Authorization: ApiKey", "grpc " + l.ElasticAPIKeyGRPC, "http " + l.ElasticAPIKeyHTTP},
		{"Datadog agent (dd-trace-go)", l.DatadogAgent, ""},
	}
	for _, r := range rows {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", r[0], r[1], r[2])
	}
	tw.Flush()
	fmt.Fprintf(w, "\n  ELASTIC_APM_SECRET_TOKEN=%s\n  ELASTIC_APM_API_KEY=%s\n", l.SecretToken, l.APIKey)
	fmt.Fprintf(w, "\nEverything the collector receives is also forwarded to Jaeger (span attribute %s names the receiver).\n", lab.AttrReceiver)
	fmt.Fprintf(w, "Configs, logs and received data (collector/<receiver>.jsonl): %s\n", l.Dir)
}

// uiNote warns that Jaeger built from Go serves a placeholder page for its UI.
func uiNote(realUI bool) string {
	if realUI {
		return ""
	}
	return "UI is a placeholder page without -jaeger-ui (docs/lab.md)"
}
