package profiles_test

import (
	"fmt"
	"testing"

	"github.com/otelswitch/otelswitch/profiles"
)

func TestProfilesAreComplete(t *testing.T) {
	for _, p := range profiles.All {
		t.Run(p.Name, func(t *testing.T) {
			if p.BatchDelay <= 0 || p.MaxQueue <= 0 || p.MaxExport <= 0 || p.MaxExport > p.MaxQueue {
				t.Errorf("batching %v/%d/%d is not usable", p.BatchDelay, p.MaxQueue, p.MaxExport)
			}
			if p.ExportTimeout <= 0 || p.ShutdownTimeout <= 0 || p.MetricInterval <= 0 {
				t.Error("a timeout or interval is not positive")
			}
			if p.LogFormat != "text" && p.LogFormat != "json" {
				t.Errorf("LogFormat = %q", p.LogFormat)
			}
			if want := map[bool]string{true: "both", false: "local"}[p.Strict]; p.Logs != want {
				t.Errorf("Logs = %q, want %q: staging and production export logs, development and test keep them local", p.Logs, want)
			}
			if p.Strict != (p.Name == "staging" || p.Name == "production") {
				t.Errorf("Strict = %v: only staging and production are strict", p.Strict)
			}
			got, err := profiles.Lookup(p.Name)
			if err != nil || got.Name != p.Name {
				t.Errorf("Lookup(%q) = %v, %v", p.Name, got.Name, err)
			}
		})
	}
	if profiles.Development.BatchDelay > 1e9 {
		t.Error("development must show traces within a second")
	}
}

func ExampleLookup() {
	_, err := profiles.Lookup("prod")
	fmt.Println(err)
	// Output: ENVIRONMENT="prod": unknown environment; want one of development, staging, production, test
}
