package docsnippets

import (
	"bytes"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const root = "../.."

type block struct {
	file, info, code string
	line             int
}

// blocks returns the fenced Go blocks of a Markdown file.
func blocks(t *testing.T, path string) []block {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []block
	var cur *block
	for i, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case cur == nil && strings.HasPrefix(trimmed, "```go"):
			cur = &block{file: path, info: strings.TrimSpace(strings.TrimPrefix(trimmed, "```")), line: i + 1}
		case cur != nil && trimmed == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.code += line + "\n"
		}
	}
	return out
}

func markdownFiles(t *testing.T) []string {
	t.Helper()
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{filepath.Join(root, "README.md")}, docs...)
}

func TestGoSnippetsCompile(t *testing.T) {
	var programs, fragments int
	for _, md := range markdownFiles(t) {
		for _, b := range blocks(t, md) {
			where := b.file + ":" + strconv.Itoa(b.line)
			switch b.info {
			case "go":
				programs++
				if !strings.HasPrefix(strings.TrimSpace(stripComments(b.code)), "package ") {
					t.Errorf("%s: a ```go block must be a complete program starting with package; fence an excerpt as ```go fragment", where)
					continue
				}
				vet(t, where, b.code)
			case "go fragment":
				fragments++
				if err := parseFragment(b.code); err != nil {
					t.Errorf("%s: fragment does not parse as Go: %v", where, err)
				}
			default:
				t.Errorf("%s: unknown fence %q; want go or go fragment", where, b.info)
			}
		}
	}
	if programs == 0 {
		t.Fatal("no ```go program found; is the test rooted at the module?")
	}
	t.Logf("%d programs type-checked, %d fragments parsed", programs, fragments)
}

func TestReadmeQuickStartIsTheExample(t *testing.T) {
	bs := blocks(t, filepath.Join(root, "README.md"))
	if len(bs) == 0 {
		t.Fatal("README.md has no Go block")
	}
	want, err := os.ReadFile(filepath.Join(root, "examples", "quickstart", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	if bs[0].code != string(want) {
		t.Errorf("README.md's first Go block is not examples/quickstart/main.go; copy the file into the README")
	}
}

// stripComments drops leading // lines, so a program may start with its
// doc comment.
func stripComments(code string) string {
	var keep []string
	lines := strings.Split(code, "\n")
	for i, l := range lines {
		if !strings.HasPrefix(strings.TrimSpace(l), "//") && strings.TrimSpace(l) != "" {
			keep = lines[i:]
			break
		}
	}
	return strings.Join(keep, "\n")
}

// vet type-checks a program against this module: the go command run from
// the module root resolves its imports through go.mod.
func vet(t *testing.T, where, code string) {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "main.go")
	if err := os.WriteFile(file, []byte(code), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "vet", file)
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Errorf("%s: does not compile: %v\n%s", where, err, out.String())
	}
}

// parseFragment accepts declarations, or statements that would sit in a
// function body.
func parseFragment(code string) error {
	fset := token.NewFileSet()
	if _, err := parser.ParseFile(fset, "", "package p\n"+code, 0); err == nil {
		return nil
	}
	_, err := parser.ParseFile(fset, "", "package p\nfunc _() {\n"+code+"\n}\n", 0)
	return err
}
