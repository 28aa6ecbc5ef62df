package exporters_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/exporters/datadog"
	"github.com/otelswitch/otelswitch/exporters/elastic"
	"github.com/otelswitch/otelswitch/exporters/jaeger"
	"github.com/otelswitch/otelswitch/exporters/newrelic"
	"github.com/otelswitch/otelswitch/exporters/otlp"
	"github.com/otelswitch/otelswitch/internal/testutil"
)

const nrKey = "0123456789abcdef0123456789abcdef01234567"

// TestEndpointRules holds every backend to one rule: the endpoint variable
// is a base URL and each signal's path is added once; a signal path the user
// gives is used as the per-signal form (traces-only backends) or refused
// naming the variable, never doubled; a path on a gRPC endpoint is refused;
// errors quote what the user set.
func TestEndpointRules(t *testing.T) {
	tests := []struct {
		name    string
		backend exporters.Factory
		env     map[string]string
		strict  bool
		want    map[string]string // signal -> URL
		wantErr string
	}{
		// New Relic.
		{name: "newrelic base URL gets each signal path", backend: newrelic.Factory{},
			env:  map[string]string{"NEW_RELIC_LICENSE_KEY": nrKey, "NEW_RELIC_OTLP_ENDPOINT": "https://otlp.example:4318"},
			want: map[string]string{"traces": "https://otlp.example:4318/v1/traces", "metrics": "https://otlp.example:4318/v1/metrics"}},
		{name: "newrelic signal path is refused, not doubled", backend: newrelic.Factory{},
			env:     map[string]string{"NEW_RELIC_LICENSE_KEY": nrKey, "NEW_RELIC_OTLP_ENDPOINT": "https://otlp.nr-data.net/v1/traces"},
			wantErr: `NEW_RELIC_OTLP_ENDPOINT="https://otlp.nr-data.net/v1/traces": ends in the signal path "/v1/traces", which is added for each signal; set the base URL "https://otlp.nr-data.net"`},
		{name: "newrelic path on gRPC is refused", backend: newrelic.Factory{},
			env:     map[string]string{"NEW_RELIC_LICENSE_KEY": nrKey, "NEW_RELIC_OTLP_PROTOCOL": "grpc", "NEW_RELIC_OTLP_ENDPOINT": "https://otlp.nr-data.net:4317/v1/traces"},
			wantErr: `NEW_RELIC_OTLP_ENDPOINT="https://otlp.nr-data.net:4317/v1/traces": gRPC cannot use a URL path`},
		{name: "newrelic region default", backend: newrelic.Factory{},
			env:  map[string]string{"NEW_RELIC_LICENSE_KEY": nrKey, "NEW_RELIC_REGION": "eu"},
			want: map[string]string{"traces": "https://otlp.eu01.nr-data.net:4318/v1/traces"}},

		// Elastic.
		{name: "elastic prefix path keeps the signal path once", backend: elastic.Factory{},
			env:  map[string]string{"ELASTIC_APM_SERVER_URL": "https://apm.example/otlp/", "ELASTIC_OTLP_PROTOCOL": "http/protobuf"},
			want: map[string]string{"traces": "https://apm.example/otlp/v1/traces", "metrics": "https://apm.example/otlp/v1/metrics"}},
		{name: "elastic signal path is refused", backend: elastic.Factory{},
			env:     map[string]string{"ELASTIC_APM_SERVER_URL": "https://apm.example/v1/metrics", "ELASTIC_OTLP_PROTOCOL": "http/protobuf"},
			wantErr: `ELASTIC_APM_SERVER_URL="https://apm.example/v1/metrics": ends in the signal path "/v1/metrics"`},
		{name: "elastic path on gRPC is refused", backend: elastic.Factory{},
			env:     map[string]string{"ELASTIC_APM_SERVER_URL": "https://apm.example:8200/v1/traces"},
			wantErr: `ELASTIC_APM_SERVER_URL="https://apm.example:8200/v1/traces": gRPC cannot use a URL path; remove "/v1/traces", or set ELASTIC_OTLP_PROTOCOL=http/protobuf`},

		// Jaeger.
		{name: "jaeger bare host:port is plaintext gRPC", backend: jaeger.Factory{},
			env:  map[string]string{"JAEGER_ENDPOINT": "127.0.0.1:4317"},
			want: map[string]string{"traces": "http://127.0.0.1:4317"}},
		{name: "jaeger http base URL gets /v1/traces", backend: jaeger.Factory{},
			env:  map[string]string{"JAEGER_ENDPOINT": "http://127.0.0.1:4318", "JAEGER_PROTOCOL": "http/protobuf"},
			want: map[string]string{"traces": "http://127.0.0.1:4318/v1/traces"}},
		{name: "jaeger per-signal form is used as it is", backend: jaeger.Factory{},
			env:  map[string]string{"JAEGER_ENDPOINT": "http://127.0.0.1:4318/v1/traces", "JAEGER_PROTOCOL": "http/protobuf"},
			want: map[string]string{"traces": "http://127.0.0.1:4318/v1/traces"}},
		{name: "jaeger path on gRPC is refused", backend: jaeger.Factory{},
			env:     map[string]string{"JAEGER_ENDPOINT": "jaeger.internal:4317/api"},
			wantErr: `JAEGER_ENDPOINT="jaeger.internal:4317/api": gRPC cannot use a URL path; remove "/api", or set JAEGER_PROTOCOL=http/protobuf`},
		{name: "jaeger plaintext error quotes what the user set", backend: jaeger.Factory{}, strict: true,
			env:     map[string]string{"JAEGER_ENDPOINT": "jaeger.internal:4317"},
			wantErr: `JAEGER_ENDPOINT="jaeger.internal:4317": plaintext to a host that is not loopback is refused`},

		// Datadog, OTLP mode.
		{name: "datadog otlp base URL gets each signal path", backend: datadog.Factory{},
			env:  map[string]string{"DATADOG_MODE": "otlp", "DATADOG_OTLP_PROTOCOL": "http/protobuf", "DATADOG_OTLP_ENDPOINT": "http://127.0.0.1:4318/agent"},
			want: map[string]string{"traces": "http://127.0.0.1:4318/agent/v1/traces", "metrics": "http://127.0.0.1:4318/agent/v1/metrics"}},
		{name: "datadog otlp path on gRPC is refused", backend: datadog.Factory{},
			env:     map[string]string{"DATADOG_MODE": "otlp", "DATADOG_OTLP_ENDPOINT": "http://127.0.0.1:4317/v1/traces"},
			wantErr: `DATADOG_OTLP_ENDPOINT="http://127.0.0.1:4317/v1/traces": gRPC cannot use a URL path`},

		// Generic OTLP: the general variable is a base URL, per-signal ones are full URLs.
		{name: "otlp base URL with a signal path is refused", backend: otlp.Factory{},
			env:     map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318/v1/traces"},
			wantErr: `OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:4318/v1/traces": ends in the signal path "/v1/traces"`},
		{name: "otlp per-signal URL used as it is", backend: otlp.Factory{},
			env:  map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/custom/traces", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318/gw"},
			want: map[string]string{"traces": "http://127.0.0.1:4318/custom/traces", "metrics": "http://127.0.0.1:4318/gw/v1/metrics"}},
		{name: "otlp path on gRPC is refused", backend: otlp.Factory{},
			env:     map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4317/x"},
			wantErr: `OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:4317/x": gRPC cannot use a URL path`},
		{name: "otlp missing CA file is blamed on the CA variable", backend: otlp.Factory{},
			env:     map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://127.0.0.1:4318", "OTEL_EXPORTER_OTLP_CERTIFICATE": "/nonexistent/ca.pem"},
			wantErr: `OTEL_EXPORTER_OTLP_CERTIFICATE="/nonexistent/ca.pem": cannot read the CA certificate: no such file or directory`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := exporters.Settings{
				Environment: "development", Strict: tt.strict, Metrics: true,
				Lookup: testutil.Env(tt.env).Lookup,
				Batch:  exporters.Batch{Delay: time.Second, MaxQueue: 10, MaxExport: 10}, ExportTimeout: time.Second,
				MetricInterval: time.Hour, Logger: slog.New(slog.DiscardHandler),
			}
			if tt.strict {
				s.Environment = "production"
			}
			b, err := tt.backend.New(context.Background(), s)
			if b != nil {
				t.Cleanup(func() { shutdown(b) })
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v\nwant it to contain %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, e := range b.Endpoints {
				got[e.Signal] = e.URL
			}
			for sig, url := range tt.want {
				if got[sig] != url {
					t.Errorf("%s endpoint = %q, want %q (all: %+v)", sig, got[sig], url, b.Endpoints)
				}
			}
		})
	}
}

// TestCertificateWithoutPEMIsBlamedOnTheVariable: a file that is there but
// holds no certificate is the CA variable's fault too.
func TestCertificateWithoutPEMIsBlamedOnTheVariable(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE": ca}
	s := exporters.Settings{Lookup: testutil.Env(env).Lookup,
		Batch: exporters.Batch{Delay: time.Second, MaxQueue: 1, MaxExport: 1}}
	_, err := otlp.Factory{}.New(context.Background(), s)
	if err == nil || !strings.Contains(err.Error(), `OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE="`+ca+`": no PEM certificate in the file`) {
		t.Fatalf("err = %v", err)
	}
}

func shutdown(b *exporters.Backend) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if b.SpanProcessor != nil {
		_ = b.SpanProcessor.Shutdown(ctx)
	}
	if b.MetricReader != nil {
		_ = b.MetricReader.Shutdown(ctx)
	}
}
