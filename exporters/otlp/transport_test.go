package otlp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/exporters/otlp"
	"github.com/otelswitch/otelswitch/internal/secret"
)

// A server that quotes the credential it refuses, as the collector's
// bearer-token authenticator does, has it masked in every signal's error:
// the masking is the transport's, not a per-signal wrapper's.
func TestEverySignalMasksEchoedCredentials(t *testing.T) {
	const token = "s3cr3t-token-value-0001"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "scheme or token does not match: "+r.Header.Get("Authorization"), http.StatusUnauthorized)
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	target := otlp.Target{Protocol: otlp.HTTPProtobuf, URL: otlp.JoinPath(u, otlp.TracesPath), Compression: otlp.None,
		Headers: map[string]secret.String{"authorization": "Bearer " + token}, EndpointVar: "TEST_ENDPOINT"}
	counters := exporters.NewCounters("test")

	lexp, err := otlp.NewLogExporter(context.Background(), target.ForSignal(otlp.LogsPath), time.Second, counters)
	if err != nil {
		t.Fatal(err)
	}
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(exporters.NewLogProcessor(lexp,
		exporters.WithBatch(exporters.Batch{Delay: time.Hour, MaxQueue: 8, MaxExport: 8}), exporters.WithExportTimeout(time.Second), exporters.WithCounters(counters))))
	var rec log.Record
	rec.SetBody(attribute.StringValue("hello"))
	lp.Logger("t").Emit(context.Background(), rec)
	_ = lp.ForceFlush(context.Background())
	st := counters.Snapshot().Logs
	if st.FailedExports != 1 || st.Dropped != 1 || st.BytesSent == 0 {
		t.Errorf("Stats().Logs = %+v, want the failed export counted", st)
	}
	if strings.Contains(st.LastError, token) || !strings.Contains(st.LastError, "[REDACTED]") || !strings.Contains(st.LastError, "/v1/logs") {
		t.Errorf("LastError = %q; want the token masked and the logs URL", st.LastError)
	}
	_ = lp.Shutdown(context.Background())
}

func TestForSignal(t *testing.T) {
	u, _ := url.Parse("https://apm.example.com:8200/base/v1/traces")
	tr := otlp.Target{Protocol: otlp.HTTPProtobuf, URL: u}
	if got := tr.ForSignal(otlp.LogsPath).URL.String(); got != "https://apm.example.com:8200/base/v1/logs" {
		t.Errorf("ForSignal(logs) = %s", got)
	}
	if got := tr.ForSignal(otlp.MetricsPath).ForSignal(otlp.LogsPath).URL.String(); got != "https://apm.example.com:8200/base/v1/logs" {
		t.Errorf("ForSignal twice = %s", got)
	}
	if tr.URL.String() != "https://apm.example.com:8200/base/v1/traces" {
		t.Errorf("ForSignal changed the original: %s", tr.URL)
	}
	g := otlp.Target{Protocol: otlp.GRPC, URL: u}
	if got := g.ForSignal(otlp.LogsPath).URL; got != u {
		t.Errorf("gRPC ForSignal = %s, want the same endpoint", got)
	}
}
