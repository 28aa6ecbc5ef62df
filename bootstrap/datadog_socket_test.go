package bootstrap_test

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/otelswitch/otelswitch/bootstrap"
	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/exporters/datadog"
)

// TestProductionDetectsDatadogSocket: in production with TELEMETRY_BACKEND
// unset, the Datadog Agent's trace socket selects the datadog backend, as
// its presence makes dd-trace-go use it.
func TestProductionDetectsDatadogSocket(t *testing.T) {
	dir, err := os.MkdirTemp("", "dd")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "apm.socket")
	init := func() error {
		r := exporters.NewRegistry()
		if err := r.Register(datadog.Name, datadog.Factory{Sockets: datadog.Sockets{APM: sock, DogStatsD: filepath.Join(dir, "dsd.socket")}}); err != nil {
			t.Fatal(err)
		}
		tel, err := bootstrap.Init(context.Background(), bootstrap.WithLookupEnv(env{
			"ENVIRONMENT": "production", "OTEL_SERVICE_NAME": "books", "DD_REMOTE_CONFIGURATION_ENABLED": "false",
		}.Lookup), bootstrap.WithoutGlobals(), bootstrap.WithRegistry(r), bootstrap.WithLogOutput(io.Discard))
		if err != nil {
			return err
		}
		defer func() { _ = tel.Shutdown(context.Background()) }()
		if b := tel.Config().Backends; len(b) != 1 || b[0] != datadog.Name {
			t.Errorf("backends %v; want datadog", b)
		}
		return nil
	}
	if err := init(); err == nil {
		t.Fatal("production chose a backend with no socket and no variable")
	}
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := init(); err != nil {
		t.Fatalf("with the Agent's socket: %v", err)
	}
}
