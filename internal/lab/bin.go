package lab

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrNotBuilt is wrapped by Start's error when a lab binary is missing.
var ErrNotBuilt = errors.New("lab: binaries not built; run `make lab-build` (tools/build.sh)")

// modulePath identifies the repository root while walking up directories.
const modulePath = "github.com/otelswitch/otelswitch"

// Names of the binaries tools/build.sh writes into bin/.
const (
	jaegerBinary    = "jaeger"
	collectorBinary = "otelcol"
)

// binDir returns dir if set, else bin/ under the module root found by
// walking up from the working directory (tests run in package directories).
func binDir(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "bin"), nil
}

// ModuleRoot returns the directory holding the go.mod of module
// github.com/otelswitch/otelswitch, walking up from the working directory.
func ModuleRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("lab: finding the module root: %w", err)
	}
	for dir := wd; ; {
		if isModuleRoot(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("lab: no go.mod of module %s in %s or above; set %s to the directory holding the lab binaries",
				modulePath, wd, envBin)
		}
		dir = parent
	}
}

// isModuleRoot reports whether the go.mod at path declares modulePath
// (tools/jaeger and tools/collector have go.mod files of their own).
func isModuleRoot(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if name, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(name), `"`) == modulePath
		}
	}
	return false
}

// binaryPath returns the path of name in dir, or an error wrapping
// ErrNotBuilt when it is not an executable file.
func binaryPath(dir, name string) (string, error) {
	p := filepath.Join(dir, name)
	fi, err := os.Stat(p)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNotBuilt, err)
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return "", fmt.Errorf("%w: %s is not an executable file", ErrNotBuilt, p)
	}
	return p, nil
}
