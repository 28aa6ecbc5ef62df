package codeshape

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const (
	maxLines      = 50
	maxComplexity = 15
	// exemptMarker, in a function's doc comment, exempts it. Only the Datadog
	// operation-name rules may carry it: a faithful port of the agent's table,
	// checked line by line against it by a table test, reads best as the
	// agent's code does.
	exemptMarker = "//codeshape:exempt"
)

// exemptAllowed are the only functions the marker may exempt.
var exemptAllowed = map[string]bool{
	"exporters/datadog/mapping.go:operationName": true,
}

// skipped are the directories whose code is test tooling, not library:
// internal/lab starts real processes for tests, internal/otlptest is a fake
// receiver for tests, internal/configdoc and internal/weight are generators
// run by make, internal/codeshape is this test. They are still Go, but no
// user of the library runs them.
var skipped = map[string]bool{
	"testdata": true, ".git": true, "bin": true, "tools": true, "sample-app": true,
	"deploy": true, "examples": true, "docs": true,
}

// shape is one function's figures.
type shape struct {
	key        string // dir/file.go:Func
	lines      int
	complexity int
	exempt     bool
}

// TestFunctionShape parses every non-test .go file of the root module's
// library packages and fails for each function over maxLines lines (from
// func to its closing brace) or over maxComplexity.
func TestFunctionShape(t *testing.T) {
	shapes := parseAll(t, filepath.Join("..", ".."))
	if len(shapes) < 200 {
		t.Fatalf("parsed %d functions; the walk found too few, so it checks nothing", len(shapes))
	}
	for _, s := range shapes {
		bad := s.lines > maxLines || s.complexity > maxComplexity
		switch {
		case s.exempt && !exemptAllowed[s.key]:
			t.Errorf("%s carries %s but only %v may", s.key, exemptMarker, keys(exemptAllowed))
		case s.exempt:
		case bad:
			t.Errorf("%s: %d lines (max %d), cyclomatic complexity %d (max %d): split it by job", s.key, s.lines, maxLines, s.complexity, maxComplexity)
		}
	}
}

func parseAll(t *testing.T, root string) []shape {
	t.Helper()
	var out []shape
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if skipped[d.Name()] || testTooling[rel] {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		s, err := parseFile(path, rel)
		out = append(out, s...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// testTooling are directories of the root module that only tests and make
// run (see skipped).
var testTooling = map[string]bool{
	"internal/lab": true, "internal/otlptest": true, "internal/configdoc": true,
	"internal/weight": true, "internal/codeshape": true,
}

func parseFile(path, rel string) ([]shape, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", rel, err)
	}
	var out []shape
	for _, decl := range f.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Body == nil {
			continue
		}
		out = append(out, shape{
			key:        rel + ":" + funcName(fn),
			lines:      fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1,
			complexity: complexity(fn),
			exempt:     exempt(fn),
		})
	}
	return out, nil
}

// funcName is Func or Recv.Method.
func funcName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	typ := fn.Recv.List[0].Type
	for {
		switch x := typ.(type) {
		case *ast.StarExpr:
			typ = x.X
			continue
		case *ast.IndexExpr:
			typ = x.X
			continue
		case *ast.IndexListExpr:
			typ = x.X
			continue
		case *ast.Ident:
			return x.Name + "." + fn.Name.Name
		}
		return fn.Name.Name
	}
}

// complexity counts like gocyclo: 1, plus one for each if, for, range,
// non-default case of a switch or select, && and ||, function literals in
// the body included.
func complexity(fn *ast.FuncDecl) int {
	c := 1
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.IfStmt, *ast.ForStmt, *ast.RangeStmt:
			c++
		case *ast.CaseClause:
			if n.List != nil {
				c++
			}
		case *ast.CommClause:
			if n.Comm != nil {
				c++
			}
		case *ast.BinaryExpr:
			if n.Op == token.LAND || n.Op == token.LOR {
				c++
			}
		}
		return true
	})
	return c
}

func exempt(fn *ast.FuncDecl) bool {
	if fn.Doc == nil {
		return false
	}
	for _, c := range fn.Doc.List {
		if strings.HasPrefix(c.Text, exemptMarker) {
			return true
		}
	}
	return false
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
