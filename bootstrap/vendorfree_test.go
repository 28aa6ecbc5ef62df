package bootstrap_test

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/otelswitch/otelswitch/bootstrap"
	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/exporters/none"
)

// Bootstrap knows no vendor: only the registry files, which list the
// built-in factories, import a vendor's package, and they take its Factory
// only. A vendor's propagator and the variables that detect it come from the
// factory.
func TestOnlyTheRegistryImportsVendors(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	const vendors = "github.com/otelswitch/otelswitch/exporters/"
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		pkgs := map[string]bool{}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			vendor, ok := strings.CutPrefix(path, vendors)
			switch {
			case !ok || vendor == "otlp":
			case strings.HasPrefix(name, "registry"):
				pkgs[vendor] = true
			default:
				t.Errorf("%s imports %s; only the registry files may name a vendor", name, path)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok && pkgs[id.Name] && sel.Sel.Name != "Factory" {
					t.Errorf("%s uses %s.%s; the registry takes a vendor's Factory only", name, id.Name, sel.Sel.Name)
				}
			}
			return true
		})
	}
	if checked < 10 {
		t.Fatalf("checked %d files; the glob found too few", checked)
	}
}

// detecting is a backend from outside the module that is chosen by its
// own variable.
type detecting struct{ none.Factory }

func (detecting) DetectVars() []string { return []string{"ACME_TOKEN"} }

// The error asking for a backend lists the variables the registered
// factories detect their vendor by, a custom one's too.
func TestDetectionErrorListsTheFactoriesVariables(t *testing.T) {
	err := initErr(env{"ENVIRONMENT": "production"})
	for _, v := range []string{"NEW_RELIC_LICENSE_KEY", "ELASTIC_APM_SERVER_URL", "ELASTIC_OTLP_ENDPOINT", "DD_AGENT_HOST", "DD_TRACE_AGENT_URL", "OTEL_EXPORTER_OTLP_ENDPOINT"} {
		if err == nil || !strings.Contains(err.Error(), v) {
			t.Errorf("Init error = %v; want it to name %s", err, v)
		}
	}
	r := exporters.NewRegistry()
	if err := r.Register("acme", detecting{}); err != nil {
		t.Fatal(err)
	}
	_, err = bootstrap.Init(context.Background(), bootstrap.WithRegistry(r), bootstrap.WithoutGlobals(),
		bootstrap.WithLookupEnv(env{"ENVIRONMENT": "production"}.Lookup))
	if err == nil || !strings.Contains(err.Error(), "set a vendor's variables (ACME_TOKEN)") {
		t.Errorf("Init with a custom registry: %v; want the error to name ACME_TOKEN", err)
	}
}
