package lab

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestComposeCollectorConfig checks tools/compose/otelcol.yaml with the
// lab's own collector, which has the same components.
func TestComposeCollectorConfig(t *testing.T) {
	if os.Getenv(envLab) == "off" {
		t.Skipf("%s=off", envLab)
	}
	dir, err := binDir(os.Getenv(envBin))
	if err != nil {
		t.Fatal(err)
	}
	bin, err := binaryPath(dir, collectorBinary)
	if err != nil {
		t.Fatal(err)
	}
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "validate", "--config", filepath.Join(root, "tools/compose/otelcol.yaml"),
		"--feature-gates="+datadogGate)
	cmd.Env = []string{"ELASTIC_APM_SECRET_TOKEN=t", "ELASTIC_APM_API_KEY=k"}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("otelcol validate: %v\n%s", err, out)
	}
}

// TestComposeCollectorConfigIsGenerated fails when tools/compose/otelcol.yaml
// is not what go generate ./internal/lab writes from the lab's template.
func TestComposeCollectorConfigIsGenerated(t *testing.T) {
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(root, "tools/compose/otelcol.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := ComposeCollectorConfig()
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Error("tools/compose/otelcol.yaml is stale: run go generate ./internal/lab (make generate)")
	}
}
