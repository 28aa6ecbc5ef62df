package apicheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestNoInternalTypeInExportedAPI parses every package outside internal/,
// sample-app, tools and examples and fails on an exported declaration whose
// type mentions a package under internal/: code outside the module could
// not name it.
func TestNoInternalTypeInExportedAPI(t *testing.T) {
	root := filepath.Join("..", "..")
	var checked int
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "internal", "tools", "sample-app", "examples", "testdata", ".git", "bin", "cmd":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		checked++
		for _, p := range leaks(t, path) {
			t.Errorf("%s", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 20 {
		t.Fatalf("checked only %d files; is the walk rooted at the module?", checked)
	}
}

// TestLeaksFindsInternalTypes keeps the checker honest.
func TestLeaksFindsInternalTypes(t *testing.T) {
	src := `package p
import (
	"example.com/m/internal/envconf"
	sec "example.com/m/internal/secret"
)
func Exported(l envconf.LookupFunc) {}
func unexported(l envconf.LookupFunc) {}
type T struct { Key sec.String; hidden sec.String }
var V sec.String
type I interface { M() envconf.LookupFunc }
`
	got := leaksIn(t, "p.go", src)
	if len(got) != 4 {
		t.Fatalf("found %d leaks, want 4 (Exported, T.Key, V, I.M): %q", len(got), got)
	}
}

func leaks(t *testing.T, path string) []string {
	t.Helper()
	return leaksIn(t, path, nil)
}

func leaksIn(t *testing.T, path string, src any) []string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	internal := map[string]string{}
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		if !strings.Contains(p, "/internal/") && !strings.HasSuffix(p, "/internal") {
			continue
		}
		name := p[strings.LastIndex(p, "/")+1:]
		if imp.Name != nil {
			name = imp.Name.Name
		}
		internal[name] = p
	}
	if len(internal) == 0 {
		return nil
	}
	var out []string
	report := func(what string, n ast.Node) {
		ast.Inspect(n, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok && internal[id.Name] != "" && !isAlias(t, internal[id.Name], sel.Sel.Name) {
					out = append(out, fset.Position(sel.Pos()).String()+": "+what+" uses "+internal[id.Name]+"."+sel.Sel.Name)
				}
			}
			return true
		})
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if !d.Name.IsExported() || (d.Recv != nil && !exportedRecv(d.Recv)) {
				continue
			}
			report(d.Name.Name, d.Type)
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					if s.Name.IsExported() {
						reportType(s.Name.Name, s.Type, report)
					}
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if n.IsExported() && s.Type != nil {
							report(n.Name, s.Type)
						}
					}
				}
			}
		}
	}
	return out
}

// isAlias reports whether name is declared in the module's package importPath
// as a type alias: `type String = secret.String` names the public type, which
// code outside the module can name too.
func isAlias(t *testing.T, importPath, name string) bool {
	t.Helper()
	const module = "github.com/otelswitch/otelswitch/"
	rel, ok := strings.CutPrefix(importPath, module)
	if !ok {
		return false
	}
	dir := filepath.Join("..", "..", filepath.FromSlash(rel))
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, e.Name()), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok {
				continue
			}
			for _, s := range g.Specs {
				if ts, ok := s.(*ast.TypeSpec); ok && ts.Name.Name == name && ts.Assign != 0 {
					return true
				}
			}
		}
	}
	return false
}

// reportType reports the exported parts of a type: a struct's exported
// fields, an interface's methods, anything else whole.
func reportType(name string, typ ast.Expr, report func(string, ast.Node)) {
	switch typ := typ.(type) {
	case *ast.StructType:
		for _, fld := range typ.Fields.List {
			if len(fld.Names) == 0 { // embedded: its exported members are promoted
				report(name+" (embedded)", fld.Type)
			}
			for _, n := range fld.Names {
				if n.IsExported() {
					report(name+"."+n.Name, fld.Type)
				}
			}
		}
	case *ast.InterfaceType:
		for _, m := range typ.Methods.List {
			report(name+" method", m.Type)
		}
	default:
		report(name, typ)
	}
}

func exportedRecv(recv *ast.FieldList) bool {
	typ := recv.List[0].Type
	for {
		switch t := typ.(type) {
		case *ast.StarExpr:
			typ = t.X
		case *ast.IndexExpr:
			typ = t.X
		case *ast.IndexListExpr:
			typ = t.X
		case *ast.Ident:
			return t.IsExported()
		default:
			return true
		}
	}
}

// TestExamplesUseOnlyThePublicAPI: examples/ stand for code outside the
// module, which cannot import an internal package (tests may: they use the
// lab).
func TestExamplesUseOnlyThePublicAPI(t *testing.T) {
	dir := filepath.Join("..", "..", "examples")
	var files int
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		files++
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); strings.Contains(p, "/internal") {
				t.Errorf("%s imports %s", path, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 3 {
		t.Fatalf("found %d example files", files)
	}
}
