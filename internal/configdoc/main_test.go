package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/otelswitch/otelswitch/bootstrap"
	"github.com/otelswitch/otelswitch/internal/envconf"
)

const committed = "../../docs/configuration.md"

// TestCommittedReferenceIsCurrent regenerates the reference in memory and
// fails when docs/configuration.md differs.
func TestCommittedReferenceIsCurrent(t *testing.T) {
	var want bytes.Buffer
	if err := render(&want); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(committed)
	if err != nil {
		t.Fatalf("%v; run go generate ./bootstrap", err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("docs/configuration.md is stale (first difference at line %d); run go generate ./bootstrap", firstDiff(got, want.Bytes()))
	}
}

func firstDiff(a, b []byte) int {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return i + 1
		}
	}
	return min(len(la), len(lb)) + 1
}

// TestEveryVariableIsDocumented checks that each variable of bootstrap and
// of every registered backend has a row and a description.
func TestEveryVariableIsDocumented(t *testing.T) {
	var out bytes.Buffer
	if err := render(&out); err != nil {
		t.Fatal(err)
	}
	specs := map[string]any{"bootstrap": &bootstrap.EnvInput{}}
	reg := bootstrap.DefaultRegistry()
	for _, name := range reg.Names() {
		f, _ := reg.Lookup(name)
		specs[name] = f.Spec()
		if !strings.Contains(out.String(), "## Backend `"+name+"`") {
			t.Errorf("no section for backend %s", name)
		}
	}
	for section, spec := range specs {
		vars, err := envconf.Describe(spec)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vars {
			if v.Description == "" {
				t.Errorf("%s: %s has no desc tag", section, v.Name)
			}
			if !strings.Contains(out.String(), "| `"+v.Name+"` |") {
				t.Errorf("%s: %s has no row", section, v.Name)
			}
		}
	}
}

func TestCell(t *testing.T) {
	if got := cell("a|b\nc <token>"); got != `a\|b c &lt;token&gt;` {
		t.Errorf("cell = %q", got)
	}
	for in, want := range map[string]string{"*int": "integer", "*time.Duration": "duration", "*bool": "bool", "secret": "secret"} {
		if got := typeName(in); got != want {
			t.Errorf("typeName(%q) = %q, want %q", in, got, want)
		}
	}
}
