package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otelswitch/otelswitch/internal/lab"
	"github.com/otelswitch/otelswitch/internal/otlptest"
	"github.com/otelswitch/otelswitch/internal/testutil"
)

type env = testutil.Env

// doctorRun runs `otelswitch doctor --format json` in process with e as the
// whole environment and returns the exit code and the decoded report.
func doctorRun(t *testing.T, e env, args ...string) (int, report, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"doctor", "--format", "json"}, args...), e.Lookup, &stdout, &stderr)
	var r report
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("output is not one JSON document: %v\n%s\nstderr: %s", err, stdout.String(), stderr.String())
	}
	return code, r, stdout.String()
}

func resultFor(t *testing.T, r report, backend, signal string) result {
	t.Helper()
	for _, res := range r.Results {
		if res.Backend == backend && res.Signal == signal {
			return res
		}
	}
	t.Fatalf("no %s %s result in %+v", backend, signal, r.Results)
	return result{}
}

func TestInvalidConfigurationExits2WithEveryProblem(t *testing.T) {
	code, r, out := doctorRun(t, env{"TELEMETRY_BACKEND": "jaeger,datadgo", "OTEL_TRACES_SAMPLER": "sometimes"})
	if code != exitInvalid {
		t.Fatalf("exit %d, want 2\n%s", code, out)
	}
	joined := strings.Join(r.Problems, "\n")
	for _, want := range []string{`TELEMETRY_BACKEND="jaeger,datadgo": unknown backend "datadgo"`, `OTEL_TRACES_SAMPLER="sometimes": unknown sampler`} {
		if !strings.Contains(joined, want) {
			t.Errorf("problems lack %q:\n%s", want, joined)
		}
	}
	// Text says the same.
	var stdout bytes.Buffer
	if code := run(context.Background(), []string{"doctor"}, env{"TELEMETRY_BACKEND": "datadgo"}.Lookup, &stdout, &bytes.Buffer{}); code != exitInvalid ||
		!strings.Contains(stdout.String(), `unknown backend "datadgo"`) {
		t.Errorf("text: exit %d\n%s", code, stdout.String())
	}
}

func TestNothingListening(t *testing.T) {
	addr := closedPort(t)
	code, r, out := doctorRun(t, env{"TELEMETRY_BACKEND": "jaeger", "JAEGER_ENDPOINT": addr}, "--timeout", "5s")
	if code != exitRejected {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	res := resultFor(t, r, "jaeger", "traces")
	if res.Reached || res.Accepted || res.Problem != "refused" ||
		!strings.Contains(res.Fix, "nothing listens at http://"+addr+" (from JAEGER_ENDPOINT)") {
		t.Errorf("result = %+v", res)
	}
	if res.LatencyMS > 3000 {
		t.Errorf("a refused connection took %.0f ms to report; it should not wait for the timeout", res.LatencyMS)
	}
}

func TestBlackHoleIsBoundedByTimeout(t *testing.T) {
	addr := otlptest.Blackhole(t)
	start := time.Now()
	code, r, out := doctorRun(t, env{"TELEMETRY_BACKEND": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://" + addr}, "--timeout", "700ms")
	took := time.Since(start)
	if code != exitRejected {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	for _, sig := range []string{"traces", "metrics"} {
		res := resultFor(t, r, "otlp", sig)
		if res.Problem != "timeout" || !strings.Contains(res.Fix, "within 700ms") || !strings.Contains(res.Fix, "OTEL_EXPORTER_OTLP_ENDPOINT") {
			t.Errorf("%s result = %+v", sig, res)
		}
	}
	// Both signals are probed at once: one timeout, plus the shutdown bound.
	if took > 4*time.Second {
		t.Errorf("doctor took %s against a black hole with --timeout 700ms", took)
	}
}

func TestWrongCA(t *testing.T) {
	_, srv := otlptest.NewHTTPS(t)
	ca := writeOtherCA(t)
	code, r, out := doctorRun(t, env{"TELEMETRY_BACKEND": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": srv.URL, "OTEL_EXPORTER_OTLP_CERTIFICATE": ca, "TELEMETRY_METRICS": "false"})
	if code != exitRejected {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	res := resultFor(t, r, "otlp", "traces")
	if res.Problem != "tls" || !strings.Contains(res.Fix, "OTEL_EXPORTER_OTLP_CERTIFICATE="+ca) || !strings.Contains(res.Fix, "point OTEL_EXPORTER_OTLP_CERTIFICATE at the CA that signed it") {
		t.Errorf("result = %+v", res)
	}
}

// TestAgainstTheLab probes the real lab: Jaeger v2 and the collector whose
// Elastic receivers check a bearer token.
func TestAgainstTheLab(t *testing.T) {
	l := lab.ForTest(t)

	t.Run("accepted", func(t *testing.T) {
		code, r, out := doctorRun(t, env{
			"TELEMETRY_BACKEND": "jaeger,newrelic,elastic", "OTEL_SERVICE_NAME": "doctor-accepted",
			"JAEGER_ENDPOINT":         l.JaegerOTLPGRPC,
			"NEW_RELIC_LICENSE_KEY":   "0123456789abcdef0123456789abcdef01234567",
			"NEW_RELIC_OTLP_ENDPOINT": "http://" + l.CollectorOTLPHTTP,
			"ELASTIC_APM_SERVER_URL":  "http://" + l.ElasticBearerHTTP, "ELASTIC_OTLP_PROTOCOL": "http/protobuf",
			"ELASTIC_APM_SECRET_TOKEN": l.SecretToken,
		})
		if code != exitOK || !r.OK {
			t.Fatalf("exit %d, want 0\n%s", code, out)
		}
		if len(r.Results) != 5 { // jaeger traces; newrelic and elastic traces and metrics
			t.Errorf("%d results, want 5: %+v", len(r.Results), r.Results)
		}
		if strings.Contains(out, l.SecretToken) || strings.Contains(out, "0123456789abcdef0123456789abcdef01234567") {
			t.Errorf("a credential is in the report:\n%s", out)
		}
		// The probe is real: Jaeger stored it.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for {
			traces, err := l.JaegerTraces(ctx, "doctor-accepted")
			if err == nil && len(traces) > 0 {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("Jaeger has no doctor probe: %v", err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})

	t.Run("wrong token", func(t *testing.T) {
		for _, proto := range []struct{ name, addr string }{{"http/protobuf", "http://" + l.ElasticBearerHTTP}, {"grpc", "http://" + l.ElasticBearerGRPC}} {
			code, r, out := doctorRun(t, env{
				"TELEMETRY_BACKEND": "elastic", "ELASTIC_APM_SERVER_URL": proto.addr, "ELASTIC_OTLP_PROTOCOL": proto.name,
				"ELASTIC_APM_SECRET_TOKEN": "not-the-token",
			})
			if code != exitRejected {
				t.Fatalf("%s: exit %d, want 1\n%s", proto.name, code, out)
			}
			res := resultFor(t, r, "elastic", "traces")
			if !res.Reached || res.Problem != "unauthorized" || !strings.Contains(res.Fix, "ELASTIC_APM_SECRET_TOKEN") {
				t.Errorf("%s: result = %+v", proto.name, res)
			}
			if strings.Contains(out, "not-the-token") {
				t.Errorf("%s: the token is in the report", proto.name)
			}
		}
	})

	t.Run("wrong path", func(t *testing.T) {
		code, r, out := doctorRun(t, env{
			"TELEMETRY_BACKEND": "otlp", "TELEMETRY_METRICS": "false",
			"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://" + l.CollectorOTLPHTTP + "/otlp/v1/traces",
		})
		if code != exitRejected {
			t.Fatalf("exit %d, want 1\n%s", code, out)
		}
		res := resultFor(t, r, "otlp", "traces")
		if !res.Reached || res.Problem != "not_found" || !strings.Contains(res.Fix, "path /otlp/v1/traces") || !strings.Contains(res.Fix, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
			t.Errorf("result = %+v", res)
		}
	})

	t.Run("datadog native", func(t *testing.T) {
		code, r, out := doctorRun(t, env{
			"TELEMETRY_BACKEND": "datadog", "DD_TRACE_AGENT_URL": "http://" + l.DatadogAgent,
			"DD_REMOTE_CONFIGURATION_ENABLED": "false",
			// Native mode sends application metrics to the Agent's OTLP
			// ingest: the lab's collector stands in for it.
			"DATADOG_OTLP_ENDPOINT": "http://" + l.CollectorOTLPHTTP, "DATADOG_OTLP_PROTOCOL": "http/protobuf",
		}, "--timeout", "10s")
		if code != exitOK {
			t.Fatalf("exit %d, want 0\n%s", code, out)
		}
		if res := resultFor(t, r, "datadog", "traces"); !res.Accepted || res.Endpoint != "http://"+l.DatadogAgent {
			t.Errorf("result = %+v", res)
		}
		if res := resultFor(t, r, "datadog", "metrics"); !res.Accepted || res.Endpoint != "http://"+l.CollectorOTLPHTTP+"/v1/metrics" {
			t.Errorf("metrics result = %+v", res)
		}
	})

	t.Run("text", func(t *testing.T) {
		var stdout bytes.Buffer
		code := run(context.Background(), []string{"doctor"}, env{"TELEMETRY_BACKEND": "jaeger", "JAEGER_ENDPOINT": l.JaegerOTLPGRPC}.Lookup, &stdout, &bytes.Buffer{})
		for _, want := range []string{"environment  development", "backend jaeger", "traces   grpc http://" + l.JaegerOTLPGRPC + " (from JAEGER_ENDPOINT); auth: none", "probe traces   accepted in", "Every backend accepted the probe."} {
			if !strings.Contains(stdout.String(), want) {
				t.Errorf("text lacks %q:\n%s", want, stdout.String())
			}
		}
		if code != exitOK {
			t.Errorf("exit %d", code)
		}
	})
}

func TestNewRelicRejectionNamesKeyAndRegion(t *testing.T) {
	reached, problem, fix := diagnose("newrelic", "failed to send to https://otlp.nr-data.net:4318/v1/traces: 403 Forbidden (body: )",
		endpointOf("NEW_RELIC_LICENSE_KEY", "a licence key works in its own region only: check NEW_RELIC_REGION (us, eu or fedramp) matches the account"), time.Second)
	if !reached || problem != "unauthorized" || !strings.Contains(fix, "NEW_RELIC_LICENSE_KEY") || !strings.Contains(fix, "NEW_RELIC_REGION") {
		t.Errorf("diagnose = %v %q %q", reached, problem, fix)
	}
}

func closedPort(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	_ = lis.Close()
	return addr
}

// writeOtherCA writes a CA certificate that signed nothing the test
// servers present.
func writeOtherCA(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "not your CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestNewRelicForbidden: New Relic answers a key from another region with
// 403; the fix names the key and the region.
func TestNewRelicForbidden(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "forbidden", http.StatusForbidden)
	}))
	defer srv.Close()
	code, r, out := doctorRun(t, env{"TELEMETRY_BACKEND": "newrelic", "NEW_RELIC_LICENSE_KEY": "0123456789abcdef0123456789abcdef01234567", "NEW_RELIC_OTLP_ENDPOINT": srv.URL})
	if code != exitRejected {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	for _, sig := range []string{"traces", "metrics"} {
		res := resultFor(t, r, "newrelic", sig)
		if !res.Reached || res.Problem != "unauthorized" || !strings.Contains(res.Fix, "NEW_RELIC_LICENSE_KEY") || !strings.Contains(res.Fix, "NEW_RELIC_REGION") {
			t.Errorf("%s result = %+v", sig, res)
		}
	}
}

// With logs exported, the doctor probes them too: one record through the
// backend's own log processor, accepted by the receiver.
func TestLogsProbed(t *testing.T) {
	recv, srv := otlptest.NewHTTP(t)
	code, r, out := doctorRun(t, env{
		"TELEMETRY_BACKEND": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": srv.URL,
		"TELEMETRY_METRICS": "false", "TELEMETRY_LOGS": "both",
	}, "--timeout", "5s")
	if code != exitOK {
		t.Fatalf("exit %d, want 0\n%s", code, out)
	}
	if res := resultFor(t, r, "otlp", "logs"); !res.Accepted || res.Endpoint != srv.URL+"/v1/logs" {
		t.Errorf("result = %+v", res)
	}
	if n := len(recv.LogRecords()); n != 1 {
		t.Errorf("%d log records arrived, want 1", n)
	}
}
