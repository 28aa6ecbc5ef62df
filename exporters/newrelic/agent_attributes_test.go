package newrelic

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// crossAgentTests reads one of New Relic's cross-agent test files, which
// go-agent v3 ships in internal/crossagent and every New Relic agent must
// pass.
func crossAgentTests(t *testing.T, name string, v any) {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/newrelic/go-agent/v3").Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		t.Fatalf("go-agent's module directory: %v (run go mod download)", err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "internal", "crossagent", "cross_agent_tests", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatal(err)
	}
}

// TestAttributeFilterCrossAgent runs the filter through every case of New
// Relic's cross-agent attribute_configuration.json that uses only the
// global attributes.include and attributes.exclude, the rules
// NEW_RELIC_ATTRIBUTES_INCLUDE and NEW_RELIC_ATTRIBUTES_EXCLUDE set.
func TestAttributeFilterCrossAgent(t *testing.T) {
	var cases []struct {
		Name     string         `json:"testname"`
		Config   map[string]any `json:"config"`
		Key      string         `json:"input_key"`
		Defaults []string       `json:"input_default_destinations"`
		Expected []string       `json:"expected_destinations"`
	}
	crossAgentTests(t, "attribute_configuration.json", &cases)
	ran := 0
	for _, c := range cases {
		var include, exclude []string
		global := true
		for k, v := range c.Config {
			switch k {
			case "attributes.include", "attributes.exclude":
				var list []string
				for _, s := range v.([]any) {
					list = append(list, s.(string))
				}
				if k == "attributes.include" {
					include = list
				} else {
					exclude = list
				}
			case "browser_monitoring.attributes.enabled":
			default:
				global = false
			}
		}
		if !global {
			continue
		}
		ran++
		// Browser monitoring is off by default; judge by the others.
		in := func(ds []string) bool {
			return slices.ContainsFunc(ds, func(d string) bool { return d != "browser_monitoring" })
		}
		if !in(c.Defaults) {
			continue
		}
		want := in(c.Expected)
		if got := newAttributeFilter(include, exclude).keep(c.Key); got != want {
			t.Errorf("%s: keep(%q) with include %q, exclude %q = %v, want %v", c.Name, c.Key, include, exclude, got, want)
		}
	}
	if ran < 10 {
		t.Fatalf("only %d cross-agent cases apply; the file changed?", ran)
	}
	t.Logf("%d cross-agent cases", ran)
}

// TestParseLabelsCrossAgent runs NEW_RELIC_LABELS parsing through New
// Relic's cross-agent labels.json: where the agents warn and keep no label,
// Init fails naming the variable; elsewhere the labels are the expected
// ones (the Go agent keeps the first 64).
func TestParseLabelsCrossAgent(t *testing.T) {
	var cases []struct {
		Name     string `json:"name"`
		In       string `json:"labelString"`
		Warning  bool   `json:"warning"`
		Expected []struct {
			Type  string `json:"label_type"`
			Value string `json:"label_value"`
		} `json:"expected"`
	}
	crossAgentTests(t, "labels.json", &cases)
	for _, c := range cases {
		got, err := parseLabels(c.In)
		// A warning with labels kept is a truncation, which is no error.
		if c.Warning && len(c.Expected) == 0 {
			if err == nil || !strings.Contains(err.Error(), "NEW_RELIC_LABELS=") {
				t.Errorf("%s: parseLabels(%q) = %v, %v; want an error naming NEW_RELIC_LABELS", c.Name, c.In, got, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: parseLabels(%q): %v", c.Name, c.In, err)
			continue
		}
		want := map[string]string{}
		for _, l := range c.Expected {
			want[l.Type] = l.Value
		}
		if len(want) > maxLabels {
			if len(got) != maxLabels {
				t.Errorf("%s: %d labels, want the first %d", c.Name, len(got), maxLabels)
			}
			continue
		}
		if len(got) != len(want) {
			t.Errorf("%s: parseLabels(%q) = %q, want %q", c.Name, c.In, got, want)
			continue
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: label %q = %q, want %q", c.Name, k, got[k], v)
			}
		}
	}
}
