package docsnippets

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/otelswitch/otelswitch/internal/testutil"
	"github.com/otelswitch/otelswitch/profiles"
)

// TestREADMEProfiles holds README.md's "Choosing a backend" table to the
// profiles: default backend, sampler (the exact OTEL_TRACES_SAMPLER name
// the configuration reports), batch delay and log format.
func TestREADMEProfiles(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := testutil.MarkdownTable(t, string(b), "## Choosing a backend")
	if len(rows) != len(profiles.All) {
		t.Errorf("README.md lists %d environments; there are %d profiles", len(rows), len(profiles.All))
	}
	name := regexp.MustCompile("^`([a-z]+)`")
	for _, row := range rows {
		m := name.FindStringSubmatch(row[0])
		if m == nil || len(row) != 5 {
			t.Errorf("README.md profile row %q: want `name` and five columns", row)
			continue
		}
		p, err := profiles.Lookup(m[1])
		if err != nil {
			t.Error(err)
			continue
		}
		backend := "detected"
		if len(p.Backends) > 0 {
			backend = "`" + strings.Join(p.Backends, ",") + "`"
		}
		if !strings.HasPrefix(row[1], backend) {
			t.Errorf("README.md %s: default backend %q; the profile's is %s", p.Name, row[1], backend)
		}
		sampler := "`" + p.Sampler + "`"
		if p.SamplerArg != 0 {
			sampler += ", ratio " + strconv.FormatFloat(p.SamplerArg, 'g', -1, 64)
		}
		if row[2] != sampler {
			t.Errorf("README.md %s: sampler %q; the profile's is %q", p.Name, row[2], sampler)
		}
		if d, err := time.ParseDuration(strings.ReplaceAll(row[3], " ", "")); err != nil || d != p.BatchDelay {
			t.Errorf("README.md %s: batching %q; the profile's batch delay is %s", p.Name, row[3], p.BatchDelay)
		}
		if !strings.EqualFold(row[4], p.LogFormat) {
			t.Errorf("README.md %s: logs %q; the profile's format is %s", p.Name, row[4], p.LogFormat)
		}
	}
}

// TestREADMEMakeTargets: every `make X` in README.md's Development table
// is a target of the Makefile (or the lab's tools/lab.mk), and every
// documented target (a "## X:" line) is in the table.
func TestREADMEMakeTargets(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var makefiles string
	for _, f := range []string{"Makefile", "tools/lab.mk"} {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		makefiles += string(b)
	}
	listed := map[string]bool{}
	for _, row := range testutil.MarkdownTable(t, string(readme), "## Development") {
		if target, ok := strings.CutPrefix(strings.Trim(row[0], "`"), "make "); ok {
			listed[target] = true
			if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(target) + `:`).MatchString(makefiles) {
				t.Errorf("README.md lists `make %s`; no such target", target)
			}
		}
	}
	for _, m := range regexp.MustCompile(`(?m)^## ([a-z-]+):`).FindAllStringSubmatch(makefiles, -1) {
		if !listed[m[1]] {
			t.Errorf("the Makefile documents target %s (## %s:); README.md's Development table does not list it", m[1], m[1])
		}
	}
}

// TestDocsVariableDefaults: where a page of docs/ states a variable's
// default ("`VAR`, default `X`", or a table row "| `VAR` | `X` (default)
// ..."), X is the default docs/configuration.md (generated from the
// configuration structs) gives.
func TestDocsVariableDefaults(t *testing.T) {
	conf, err := os.ReadFile(filepath.Join(root, "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	defaults := map[string]string{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([A-Z][A-Z0-9_]+)` \\| [a-z0-9. ]+ \\| `([^`]+)` \\|").FindAllStringSubmatch(string(conf), -1) {
		defaults[m[1]] = m[2]
	}
	if len(defaults) < 5 {
		t.Fatalf("read only %d defaults from docs/configuration.md", len(defaults))
	}
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	stated := []*regexp.Regexp{
		regexp.MustCompile("`([A-Z][A-Z0-9_]+)`, default `([^`]+)`"),
		regexp.MustCompile("(?m)^\\| `([A-Z][A-Z0-9_]+)` \\| `([^`]+)` \\(default\\)"),
	}
	checked := 0
	for _, path := range docs {
		if filepath.Base(path) == "configuration.md" {
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, re := range stated {
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				want, ok := defaults[m[1]]
				if !ok {
					continue
				}
				checked++
				if m[2] != want {
					t.Errorf("%s: %s defaults to %q; docs/configuration.md (the code) says %q", filepath.Base(path), m[1], m[2], want)
				}
			}
		}
	}
	if checked == 0 {
		t.Error("no stated default found in docs/; is the test reading them?")
	}
}
