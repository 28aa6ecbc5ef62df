package lab

import (
	"fmt"
	"os/exec"
	"path/filepath"
)

// BuildSampleApp builds the sample app's binary to dst, for tests and tools
// that run it as users do. The sample app is a module of its own
// (sample-app/go.mod, replaced to this checkout), so `go build ./sample-app`
// from the root no longer finds it: the build runs in its directory.
// buildFlags go before the package, e.g. "-tags", "otelswitch_nodatadog".
func BuildSampleApp(dst string, buildFlags ...string) error {
	root, err := ModuleRoot()
	if err != nil {
		return err
	}
	dst, err = filepath.Abs(dst)
	if err != nil {
		return err
	}
	args := append(append([]string{"build", "-o", dst}, buildFlags...), ".")
	cmd := exec.Command("go", args...)
	cmd.Dir = filepath.Join(root, "sample-app")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("lab: go build in %s: %w\n%s", cmd.Dir, err, out)
	}
	return nil
}
