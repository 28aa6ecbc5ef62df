package deploy

import (
	"bufio"
	"bytes"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The collector configs, and the variables they read.
const (
	agentConfig   = "collector/agent.yaml"
	gatewayConfig = "collector/gateway.yaml"
	exampleEnv    = "collector/example.env"
)

// envRef matches the collector's ${env:NAME} and ${env:NAME:-default}.
var envRef = regexp.MustCompile(`\$\{env:([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}`)

// nodeFromEnv matches k8sattributes' filter::node_from_env_var, which names
// a variable the processor reads itself.
var nodeFromEnv = regexp.MustCompile(`(?m)^\s*node_from_env_var:\s*([A-Za-z_][A-Za-z0-9_]*)\s*$`)

// configVars returns the variables a collector config reads.
func configVars(t *testing.T, path string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]bool{}
	for _, m := range envRef.FindAllSubmatch(b, -1) {
		vars[string(m[1])] = true
	}
	for _, m := range nodeFromEnv.FindAllSubmatch(b, -1) {
		vars[string(m[1])] = true
	}
	if len(vars) == 0 {
		t.Fatalf("%s reads no ${env:...} variable", path)
	}
	return vars
}

// readEnvFile parses KEY=VALUE lines; # starts a comment line.
func readEnvFile(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || k == "" {
			t.Fatalf("%s:%d: want KEY=VALUE, got %q", path, n, line)
		}
		if _, dup := env[k]; dup {
			t.Fatalf("%s:%d: %s set twice", path, n, k)
		}
		env[k] = v
	}
	return env
}

// TestExampleEnvListsEveryVariable: example.env sets exactly the variables
// the two configs read, no more and no fewer.
func TestExampleEnvListsEveryVariable(t *testing.T) {
	env := readEnvFile(t, exampleEnv)
	read := configVars(t, agentConfig)
	maps.Copy(read, configVars(t, gatewayConfig))
	for v := range read {
		if _, ok := env[v]; !ok {
			t.Errorf("%s does not list %s, which the collector configs read", exampleEnv, v)
		}
	}
	for v := range env {
		if !read[v] {
			t.Errorf("%s lists %s, which neither collector config reads", exampleEnv, v)
		}
	}
}

// TestCollectorConfigsValidate runs `otelcol validate` on each config with
// exactly example.env's variables as the environment. The binary is the
// project's collector build, with the same components as the contrib image
// the manifests use.
func TestCollectorConfigsValidate(t *testing.T) {
	bin := collectorBinary(t)
	env := readEnvFile(t, exampleEnv)
	var environ []string
	for _, k := range slices.Sorted(maps.Keys(env)) {
		environ = append(environ, k+"="+env[k])
	}
	for _, cfg := range []string{agentConfig, gatewayConfig} {
		t.Run(filepath.Base(cfg), func(t *testing.T) {
			cmd := exec.Command(bin, "validate", "--config", cfg)
			cmd.Env = environ
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("otelcol validate --config %s: %v\n%s", cfg, err, out)
			}
		})
	}
}

// TestCollectorConfigsRejectBadValues guards against a validate that passes
// anything: a sampling percentage that is not a number must fail.
func TestCollectorConfigsRejectBadValues(t *testing.T) {
	bin := collectorBinary(t)
	env := readEnvFile(t, exampleEnv)
	env["TAIL_SAMPLING_PERCENTAGE"] = "lots"
	var environ []string
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	cmd := exec.Command(bin, "validate", "--config", gatewayConfig)
	cmd.Env = environ
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("otelcol validate accepted TAIL_SAMPLING_PERCENTAGE=lots:\n%s", out)
	}
	if !strings.Contains(string(out), "sampling_percentage") {
		t.Errorf("the error does not name sampling_percentage:\n%s", out)
	}
}

// collectorBinary returns bin/otelcol, from OTELSWITCH_BIN or bin/ at the
// repository root (this module lives in deploy/).
func collectorBinary(t *testing.T) string {
	t.Helper()
	if os.Getenv("OTELSWITCH_LAB") == "off" {
		t.Skip("OTELSWITCH_LAB=off: skipping a test that needs the lab's collector binary")
	}
	dir := os.Getenv("OTELSWITCH_BIN")
	if dir == "" {
		abs, err := filepath.Abs("../bin")
		if err != nil {
			t.Fatal(err)
		}
		dir = abs
	}
	bin := filepath.Join(dir, "otelcol")
	if fi, err := os.Stat(bin); err != nil || fi.Mode().Perm()&0o111 == 0 {
		t.Fatalf("no collector binary at %s (%v): run `make lab-build` (tools/build.sh) "+
			"or set OTELSWITCH_BIN; OTELSWITCH_LAB=off skips this test", bin, err)
	}
	return bin
}
