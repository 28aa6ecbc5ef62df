package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otelswitch/otelswitch/sample-app/internal/compare"
)

func TestCompareUsage(t *testing.T) {
	tests := []struct {
		args       []string
		code       int
		wantStdout []string
		wantStderr []string
	}{
		{[]string{"help"}, 0, []string{"compare  send the same workload to several vendors"}, nil},
		{[]string{"compare", "-help"}, 0, []string{"Usage: sample-app compare", "-backends", "-duration", "-seed", "-format",
			"-html", "-reuse-lab", "-lab-secret-token", "-keep-lab", "telemetry off (the baseline)", "docs/compare.md"}, nil},
		{[]string{"compare", "-format", "xml"}, 2, nil, []string{`-format "xml": want table or json`}},
		{[]string{"compare", "-backends", "jaeger,honeycomb"}, 2, nil, []string{`-backends: unknown backend "honeycomb"; want some of jaeger, datadog, newrelic, elastic, datadog-otlp`}},
		{[]string{"compare", "-mix", "lists=1"}, 2, nil, []string{`-mix: mix entry "lists=1"`}},
		{[]string{"compare", "-help"}, 0, []string{"-gateway", "-gateway-store", "-gateway-wait", "docs/scale-out.md"}, nil},
		{[]string{"compare", "-gateway", "127.0.0.1:4319", "-gateway-store", "kafka"}, 2, nil, []string{`-gateway: gateway store "kafka": want one of jaeger, collector`}},
		{[]string{"compare", "-gateway", "gw"}, 2, nil, []string{`-gateway: gateway endpoint "gw": want host:port`}},
		{[]string{"compare", "-backends", "gateway"}, 2, nil, []string{`-backends: backend "gateway" needs -gateway`}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(tt.args, &stdout, &stderr); code != tt.code {
				t.Errorf("exit code %d, want %d; stderr %s", code, tt.code, stderr.String())
			}
			for _, w := range tt.wantStdout {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout.String())
				}
			}
			for _, w := range tt.wantStderr {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
				}
			}
		})
	}
}

// TestCompareCommand runs what `make compare` runs, briefly, on a lab of
// its own, and reads the JSON and the HTML page it writes.
func TestCompareCommand(t *testing.T) {
	if os.Getenv("OTELSWITCH_LAB") == "off" {
		t.Skip("OTELSWITCH_LAB=off: skipping a test that needs the backend lab")
	}
	// compare sets these in its process for dd-trace-go; restore them after.
	t.Setenv("DD_REMOTE_CONFIGURATION_ENABLED", "false")
	t.Setenv("DD_INSTRUMENTATION_TELEMETRY_ENABLED", "false")
	page := filepath.Join(t.TempDir(), "compare.html")
	var stdout, stderr bytes.Buffer
	code := run([]string{"compare", "-backends", "jaeger,datadog", "-duration", "1s", "-concurrency", "2", "-warmup", "0",
		"-reuse-lab=false", "-fixed-ports=false", "-format", "json", "-html", page}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit code %d\nstderr:\n%s", code, stderr.String())
	}
	var rep compare.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("stdout is not a report: %v\n%s", err, stdout.String())
	}
	if len(rep.Alone) != 2 || rep.FanOut == nil || rep.Baseline.Requests.Count == 0 {
		t.Fatalf("report has %d runs alone, fan-out %v, %d baseline requests", len(rep.Alone), rep.FanOut, rep.Baseline.Requests.Count)
	}
	for _, run := range append(rep.Alone, *rep.FanOut) {
		for _, d := range run.Deliveries {
			if d.Status != compare.StatusOK || d.Stored != run.SpansMade || d.Stored == 0 {
				t.Errorf("%s in %s: %s %q, stored %d of %d made", d.Backend, run.Name, d.Status, d.Reason, d.Stored, run.SpansMade)
			}
		}
	}
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<table class="compare" id="compare-table">`, `<svg class="chart" id="request-latency"`, "compare-" + rep.Settings.RunID + "-jaeger"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, want := range []string{"started the lab", "run 1/4: off", "run 4/4: fan-out to jaeger, datadog", "wrote " + page} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, stderr.String())
		}
	}
}
