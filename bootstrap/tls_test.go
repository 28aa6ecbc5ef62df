package bootstrap_test

import (
	"context"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otelswitch/otelswitch/internal/otlptest"
)

// TLS is verified by default: a server whose certificate the system does not
// trust gets nothing, and the failure is counted. Trusting its CA through
// OTEL_EXPORTER_OTLP_CERTIFICATE makes the same export succeed.
func TestTLSIsVerified(t *testing.T) {
	recv, srv := otlptest.NewHTTPS(t)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	base := env{
		"ENVIRONMENT":                 "production",
		"TELEMETRY_BACKEND":           "otlp",
		"OTEL_EXPORTER_OTLP_ENDPOINT": srv.URL, // https://127.0.0.1:port
		"TELEMETRY_METRICS":           "false",
		"TELEMETRY_LOGS":              "local", // the logs target would read the general CA file
	}
	tests := []struct {
		name     string
		extra    env
		wantSent bool
	}{
		{"untrusted certificate is refused", env{}, false},
		{"CA file makes it trusted", env{"OTEL_EXPORTER_OTLP_CERTIFICATE": caFile}, true},
		{"per-signal CA file wins", env{"OTEL_EXPORTER_OTLP_CERTIFICATE": "/nonexistent.pem", "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE": caFile}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := env{}
			for k, v := range base {
				e[k] = v
			}
			for k, v := range tt.extra {
				e[k] = v
			}
			before := len(recv.Requests())
			tel, _ := initEnv(t, e)
			_, s := tel.TracerProvider().Tracer("t").Start(context.Background(), "op")
			s.End()
			_ = tel.ForceFlush(context.Background())
			st := tel.Stats()[0]
			arrived := len(recv.Requests()) > before
			if arrived != tt.wantSent || (st.SpansExported == 1) != tt.wantSent {
				t.Fatalf("arrived=%v stats=%+v, want sent=%v", arrived, st, tt.wantSent)
			}
			if !tt.wantSent && !strings.Contains(st.LastError, "certificate") {
				t.Errorf("LastError = %q, want a certificate error", st.LastError)
			}
		})
	}
}

func TestMissingCAFileIsAnError(t *testing.T) {
	// The CA variable is blamed, not the endpoint (issue 13).
	err := initErr(env{"TELEMETRY_BACKEND": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": "https://127.0.0.1:4318", "OTEL_EXPORTER_OTLP_CERTIFICATE": "/nonexistent/ca.pem"})
	if err == nil || !strings.Contains(err.Error(), `OTEL_EXPORTER_OTLP_CERTIFICATE="/nonexistent/ca.pem"`) || !strings.Contains(err.Error(), "/nonexistent/ca.pem") {
		t.Fatalf("err = %v, want one naming the variable and the file", err)
	}
}
