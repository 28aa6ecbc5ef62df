package lab

import (
	"context"
	"errors"
	"os"
	"testing"
)

// ForTest starts a lab on ephemeral ports for the test and closes it in
// tb.Cleanup, logging the tail of both processes' logs first if the test
// failed. It skips the test only when OTELSWITCH_LAB=off; otherwise a
// missing binary or a failed start fails the test, with a message that
// says to run `make lab-build`.
func ForTest(tb testing.TB, opts ...Option) *Lab {
	tb.Helper()
	if os.Getenv(envLab) == "off" {
		tb.Skipf("%s=off: skipping a test that needs the backend lab", envLab)
	}
	l, err := Start(context.Background(), opts...)
	if errors.Is(err, ErrNotBuilt) {
		tb.Fatalf("%v\n(set %s=off to skip lab tests)", err, envLab)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("backend lab logs:\n%s", l.Logs(40))
		}
		if err := l.Close(); err != nil {
			tb.Errorf("closing the lab: %v", err)
		}
	})
	return l
}
