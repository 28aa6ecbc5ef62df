package bootstrap_test

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/otelswitch/otelswitch/bootstrap"
)

// env is a variable set handed to Init through WithLookupEnv; the process
// environment is never touched.
type env map[string]string

func (e env) lookup(k string) (string, bool) { v, ok := e[k]; return v, ok }

// initEnv calls Init with e only, no globals, logging into the returned
// buffer, and shuts down at the end of the test.
func initEnv(t testing.TB, e env, opts ...bootstrap.Option) (*bootstrap.Telemetry, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	tel, err := bootstrap.Init(context.Background(), append([]bootstrap.Option{
		bootstrap.WithLookupEnv(e.lookup), bootstrap.WithoutGlobals(), bootstrap.WithLogOutput(&logs),
	}, opts...)...)
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	return tel, &logs
}

func initErr(e env) error {
	tel, err := bootstrap.Init(context.Background(), bootstrap.WithLookupEnv(e.lookup), bootstrap.WithoutGlobals(), bootstrap.WithLogOutput(io.Discard))
	if err == nil {
		_ = tel.Shutdown(context.Background())
	}
	return err
}
