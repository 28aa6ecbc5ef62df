package bootstrap_test

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/otelswitch/otelswitch/bootstrap"
	"github.com/otelswitch/otelswitch/internal/testutil"
)

// env is a variable set handed to Init through WithLookupEnv; the process
// environment is never touched.
type env = testutil.Env

// initEnv calls Init with e only, no globals, logging into the returned
// buffer, and shuts down at the end of the test.
func initEnv(t testing.TB, e env, opts ...bootstrap.Option) (*bootstrap.Telemetry, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	tel, err := bootstrap.Init(context.Background(), append([]bootstrap.Option{
		bootstrap.WithLookupEnv(e.Lookup), bootstrap.WithoutGlobals(), bootstrap.WithLogOutput(&logs),
	}, opts...)...)
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	return tel, &logs
}

func initErr(e env) error {
	tel, err := bootstrap.Init(context.Background(), bootstrap.WithLookupEnv(e.Lookup), bootstrap.WithoutGlobals(), bootstrap.WithLogOutput(io.Discard))
	if err == nil {
		_ = tel.Shutdown(context.Background())
	}
	return err
}
