package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/otelswitch/otelswitch/internal/testutil"
)

// The docs this test holds to the binary's own usage output (issue 16):
// README.md and docs/*.md at the repository root.
const docsRoot = ".."

// cmdUsage is one command's flags as its -help prints them: name ->
// default ("" when the usage shows none).
type cmdUsage map[string]string

// usageOf runs `sample-app <cmd> -help` and reads the flags PrintDefaults
// printed.
func usageOf(t *testing.T, cmd string) cmdUsage {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run([]string{cmd, "-help"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("sample-app %s -help: exit %d\n%s", cmd, code, stderr.String())
	}
	flagLine := regexp.MustCompile(`^  -([a-z][a-z0-9-]*)(?: \S+)?$`)
	dflt := regexp.MustCompile(`\(default "?(.*?)"?\)$`)
	u := cmdUsage{}
	var last string
	for _, line := range strings.Split(stdout.String(), "\n") {
		if m := flagLine.FindStringSubmatch(line); m != nil {
			last = m[1]
			u[last] = ""
			continue
		}
		if last != "" && strings.HasPrefix(line, "    \t") {
			if m := dflt.FindStringSubmatch(line); m != nil {
				u[last] = m[1]
			}
			continue
		}
		last = ""
	}
	if len(u) == 0 {
		t.Fatalf("sample-app %s -help lists no flags:\n%s", cmd, stdout.String())
	}
	return u
}

// helpCommands reads the commands `sample-app help` lists.
func helpCommands(t *testing.T) []string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"help"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("sample-app help: exit %d", code)
	}
	_, list, ok := strings.Cut(stdout.String(), "Commands:\n")
	if !ok {
		t.Fatalf("sample-app help has no Commands: section:\n%s", stdout.String())
	}
	var out []string
	for _, line := range strings.Split(list, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			break
		}
		out = append(out, f[0])
	}
	return out
}

func readDoc(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(docsRoot, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var codeFlag = regexp.MustCompile("`(--?[a-z][a-z0-9-]*)`")

// checkFlagTable holds a doc's flag table for cmd to its -help: the same
// flags, and a default the doc gives as one code value equal to the one the
// usage prints.
func checkFlagTable(t *testing.T, cmd string, u cmdUsage, rows [][]string, doc string) {
	t.Helper()
	documented := map[string]bool{}
	for _, row := range rows {
		names := codeFlag.FindAllStringSubmatch(row[0], -1)
		for _, m := range names {
			name := strings.TrimLeft(m[1], "-")
			documented[name] = true
			if _, ok := u[name]; !ok {
				t.Errorf("%s documents %s flag %s, which `sample-app %s -help` does not list", doc, cmd, m[1], cmd)
			}
		}
		if len(names) != 1 || len(row) < 2 {
			continue
		}
		name := strings.TrimLeft(names[0][1], "-")
		want, cell := u[name], row[1]
		one := regexp.MustCompile("^`([^`$]+)`$").FindStringSubmatch(cell)
		switch {
		case want != "" && cell == "":
			t.Errorf("%s: %s -%s has no default in the doc; the usage says %q", doc, cmd, name, want)
		case want != "" && one != nil && one[1] != want:
			t.Errorf("%s: %s -%s default %q; the usage says %q", doc, cmd, name, one[1], want)
		}
	}
	for name := range u {
		if !documented[name] {
			t.Errorf("`sample-app %s -help` lists -%s, which %s does not document", cmd, name, doc)
		}
	}
}

// TestDocsMatchUsage holds docs/sample-app.md and docs/compare.md to the
// binary: the commands table is the commands `sample-app help` lists, and
// each command's flag table is the flags its -help prints, with the same
// defaults.
func TestDocsMatchUsage(t *testing.T) {
	sampleApp := readDoc(t, "docs/sample-app.md")
	var documented []string
	for _, row := range testutil.MarkdownTable(t, sampleApp, "One binary, ") {
		documented = append(documented, strings.TrimPrefix(strings.Trim(row[0], "`"), "sample-app "))
	}
	commands := helpCommands(t)
	if !slices.Equal(documented, commands) {
		t.Errorf("docs/sample-app.md's command table lists %v; sample-app help lists %v", documented, commands)
	}
	words := map[int]string{2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}
	if want := "One binary, " + words[len(commands)] + " commands"; !strings.Contains(sampleApp, want) {
		t.Errorf("docs/sample-app.md should say %q", want)
	}

	for _, tc := range []struct{ cmd, doc, marker string }{
		{"serve", "docs/sample-app.md", "### Environment"},
		{"load", "docs/sample-app.md", "## The load generator"},
		{"demo", "docs/sample-app.md", "`sample-app demo` (what `make run` runs"},
		{"compare", "docs/compare.md", "## Flags"},
	} {
		checkFlagTable(t, tc.cmd, usageOf(t, tc.cmd), testutil.MarkdownTable(t, readDoc(t, tc.doc), tc.marker), tc.doc)
	}
}

// invocation finds `sample-app <command> <args>` (also `go -C sample-app
// run . <command>`) and make's RUN_FLAGS / COMPARE_FLAGS.
var (
	invocation = regexp.MustCompile(`(?:go -C sample-app run \.|(?:^|[\s` + "`" + `/(])sample-app)\s+([a-z][a-z-]*)([^#&|;>` + "`" + `]*)`)
	makeFlags  = regexp.MustCompile(`\b(RUN|COMPARE)_FLAGS=('[^']*'|\S+)`)
	inlineCode = regexp.MustCompile("`[^`\n]+`")
)

// TestDocsInvocations checks every sample-app command line in README.md and
// docs/*.md (shell blocks and inline code): the command exists, and every
// flag on the line is one of its flags.
func TestDocsInvocations(t *testing.T) {
	docs, err := filepath.Glob(filepath.Join(docsRoot, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	docs = append(docs, filepath.Join(docsRoot, "README.md"))
	usages := map[string]cmdUsage{}
	for _, c := range commands {
		usages[c.name] = usageOf(t, c.name)
	}
	checked := 0
	check := func(where, cmd, args string) {
		u, ok := usages[cmd]
		if !ok {
			t.Errorf("%s: `sample-app %s`: no such command", where, cmd)
			return
		}
		checked++
		for _, tok := range strings.Fields(args) {
			name, _, _ := strings.Cut(strings.TrimLeft(tok, "-"), "=")
			if strings.HasPrefix(tok, "-") && name != "help" && name != "h" {
				if _, ok := u[name]; !ok {
					t.Errorf("%s: `sample-app %s` has no flag %s", where, cmd, tok)
				}
			}
		}
	}
	for _, path := range docs {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range codeLines(string(b)) {
			where := filepath.Base(path) + ":" + line.n
			for _, m := range invocation.FindAllStringSubmatchIndex(line.text, -1) {
				if strings.HasSuffix(line.text[:m[0]], "-C") {
					continue // go -C sample-app test ...: not the binary
				}
				check(where, line.text[m[2]:m[3]], line.text[m[4]:m[5]])
			}
			for _, m := range makeFlags.FindAllStringSubmatch(line.text, -1) {
				check(where, map[string]string{"RUN": "demo", "COMPARE": "compare"}[m[1]], strings.Trim(m[2], "'"))
			}
		}
	}
	if checked < 20 {
		t.Errorf("only %d sample-app command lines found in the docs; is the test reading them?", checked)
	}
}

type docLine struct{ n, text string }

// codeLines returns the lines of shell blocks and the inline code spans of
// the other lines, numbered.
func codeLines(doc string) []docLine {
	var out []docLine
	inShell, inOther := false, false
	for i, line := range strings.Split(doc, "\n") {
		n := strings.TrimSpace(line)
		num := strconv.Itoa(i + 1)
		switch {
		case strings.HasPrefix(n, "```") && !inShell && !inOther:
			inShell = n == "```sh" || n == "```bash" || n == "```shell"
			inOther = !inShell
		case strings.HasPrefix(n, "```"):
			inShell, inOther = false, false
		case inShell:
			out = append(out, docLine{num, line})
		case !inOther:
			for _, span := range inlineCode.FindAllString(line, -1) {
				out = append(out, docLine{num, span})
			}
		}
	}
	return out
}
