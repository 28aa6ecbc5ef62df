package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// docsRoot is the repository root, where README.md and docs/ are.
const docsRoot = "../.."

// usageFlags runs `otelswitch <cmd> -help` and reads the flags and
// defaults the flag package printed.
func usageFlags(t *testing.T, cmd string) map[string]string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	run(context.Background(), []string{cmd, "-help"}, func(string) (string, bool) { return "", false }, &stdout, &stderr)
	flagLine := regexp.MustCompile(`^  -([a-z][a-z0-9-]*)(?: \S+)?$`)
	dflt := regexp.MustCompile(`\(default "?(.*?)"?\)$`)
	flags := map[string]string{}
	last := ""
	for _, line := range strings.Split(stderr.String(), "\n") {
		switch m := flagLine.FindStringSubmatch(line); {
		case m != nil:
			last = m[1]
			flags[last] = ""
		case last != "" && strings.HasPrefix(line, "    \t"):
			if d := dflt.FindStringSubmatch(line); d != nil {
				flags[last] = d[1]
			}
		default:
			last = ""
		}
	}
	if len(flags) == 0 {
		t.Fatalf("otelswitch %s -help lists no flags:\n%s", cmd, stderr.String())
	}
	return flags
}

var (
	// otelswitchLine is an `otelswitch <command> <args>  # comment` line.
	otelswitchLine = regexp.MustCompile("(?:^|[\\s`(])otelswitch\\s+([a-z][a-z-]*)([^#&|;>`]*)(#.*)?")
	inlineSpan     = regexp.MustCompile("`[^`\n]+`")
	defaultNote    = regexp.MustCompile(`\(default ([^)]+)\)`)
)

// TestDocsMatchUsage checks every `otelswitch ...` command line in README.md
// and docs/*.md (shell blocks and inline code) against the binary: the
// command is one its usage names, every flag on the line is one of that
// command's flags, a "(default X)" in the line's comment is the flag's
// default, and every flag the usage prints appears in docs/troubleshooting.md.
func TestDocsMatchUsage(t *testing.T) {
	commands := regexp.MustCompile(`otelswitch ([a-z]+)`).FindAllStringSubmatch(strings.SplitN(usage, "\n", 2)[0], -1)
	flags := map[string]map[string]string{}
	for _, c := range commands {
		flags[c[1]] = usageFlags(t, c[1])
	}
	if len(flags) == 0 {
		t.Fatalf("the usage names no command: %q", usage)
	}
	docs, err := filepath.Glob(filepath.Join(docsRoot, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]map[string]bool{}
	lines := 0
	for _, path := range append(docs, filepath.Join(docsRoot, "README.md")) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range commandLines(string(b)) {
			where := filepath.Base(path) + ": " + strings.TrimSpace(l)
			for _, m := range otelswitchLine.FindAllStringSubmatch(l, -1) {
				lines++
				checkLine(t, where, m[1], m[2], m[3], flags, func(flag string) {
					if filepath.Base(path) == "troubleshooting.md" {
						if seen[m[1]] == nil {
							seen[m[1]] = map[string]bool{}
						}
						seen[m[1]][flag] = true
					}
				})
			}
		}
	}
	if lines < 4 {
		t.Fatalf("found only %d otelswitch command lines in the docs; is the test reading them?", lines)
	}
	for cmd, fs := range flags {
		for name := range fs {
			if !seen[cmd][name] {
				t.Errorf("`otelswitch %s -help` lists --%s; docs/troubleshooting.md shows no command line with it", cmd, name)
			}
		}
	}
}

func checkLine(t *testing.T, where, cmd, args, comment string, flags map[string]map[string]string, saw func(string)) {
	t.Helper()
	fs, ok := flags[cmd]
	if !ok {
		t.Errorf("%s: no command %q in otelswitch's usage", where, cmd)
		return
	}
	var last string
	for _, tok := range strings.Fields(args) {
		if !strings.HasPrefix(tok, "-") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(tok, "-"), "=")
		if _, ok := fs[name]; !ok {
			t.Errorf("%s: otelswitch %s has no flag %s", where, cmd, tok)
			continue
		}
		last = name
		saw(name)
	}
	if d := defaultNote.FindStringSubmatch(comment); d != nil && last != "" && d[1] != fs[last] {
		t.Errorf("%s: says --%s defaults to %s; the usage says %q", where, last, d[1], fs[last])
	}
}

// commandLines returns the lines of shell blocks and the inline code spans
// of prose lines.
func commandLines(doc string) []string {
	var out []string
	inShell, inOther := false, false
	for _, line := range strings.Split(doc, "\n") {
		fence := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(fence, "```") && !inShell && !inOther:
			inShell = fence == "```sh" || fence == "```bash" || fence == "```shell"
			inOther = !inShell
		case strings.HasPrefix(fence, "```"):
			inShell, inOther = false, false
		case inShell:
			out = append(out, line)
		case !inOther:
			out = append(out, inlineSpan.FindAllString(line, -1)...)
		}
	}
	return out
}
