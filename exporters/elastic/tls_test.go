package elastic_test

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otelswitch/otelswitch/exporters/elastic"
	"github.com/otelswitch/otelswitch/internal/otlptest"
)

// privateCA starts an OTLP/HTTP receiver over TLS whose certificate no
// system pool trusts, and writes that certificate, its own CA, to a PEM
// file.
func privateCA(t *testing.T) (*otlptest.Receiver, string, string) {
	t.Helper()
	recv, srv := otlptest.NewHTTPS(t)
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return recv, srv.URL, path
}

// TestTLSWithPrivateCA: as in Elastic's agents, ELASTIC_APM_SERVER_CA_CERT_FILE
// trusts a private CA and ELASTIC_APM_VERIFY_SERVER_CERT=false accepts any
// certificate; with neither, the export fails on the unknown authority.
func TestTLSWithPrivateCA(t *testing.T) {
	for _, tt := range []struct {
		name      string
		env       func(ca string) env
		delivered bool
	}{
		{"CA file", func(ca string) env { return env{"ELASTIC_APM_SERVER_CA_CERT_FILE": ca} }, true},
		{"verification off", func(string) env { return env{"ELASTIC_APM_VERIFY_SERVER_CERT": "false"} }, true},
		{"verification on, explicitly, without the CA", func(string) env { return env{"ELASTIC_APM_VERIFY_SERVER_CERT": "true"} }, false},
		{"neither", func(string) env { return env{} }, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			recv, url, ca := privateCA(t)
			e := tt.env(ca)
			e["ELASTIC_APM_SERVER_URL"], e["ELASTIC_OTLP_PROTOCOL"], e["ELASTIC_APM_SECRET_TOKEN"] = url, "http/protobuf", "tok"
			b, _ := run(t, settings(e))
			got := len(recv.Requests())
			st := b.Stats.Snapshot()
			if tt.delivered && (got != 1 || st.SpansExported != 1) {
				t.Errorf("%d requests, stats %+v; want the span delivered", got, st)
			}
			if !tt.delivered && (got != 0 || st.FailedExports == 0) {
				t.Errorf("%d requests, stats %+v; want a failed export", got, st)
			}
		})
	}
}

func TestTLSVariablesRejected(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.pem")
	notPEM := filepath.Join(t.TempDir(), "ca.txt")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		env    env
		strict bool
		want   string
	}{
		{"missing CA file", env{"ELASTIC_APM_SERVER_CA_CERT_FILE": missing}, false, `ELASTIC_APM_SERVER_CA_CERT_FILE="` + missing + `": no such file or directory`},
		{"CA file without PEM", env{"ELASTIC_APM_SERVER_CA_CERT_FILE": notPEM}, false, "no PEM certificate in the file"},
		{"not a bool", env{"ELASTIC_APM_VERIFY_SERVER_CERT": "nah"}, false, `ELASTIC_APM_VERIFY_SERVER_CERT="nah"`},
		{"verification off in production", env{"ELASTIC_APM_VERIFY_SERVER_CERT": "false"}, true, "ELASTIC_APM_VERIFY_SERVER_CERT=false: TLS without verifying apm.example.com:8200's certificate is refused in staging and production"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.env["ELASTIC_APM_SERVER_URL"], tt.env["ELASTIC_APM_SECRET_TOKEN"] = "https://apm.example.com:8200", "tok"
			s := settings(tt.env)
			s.Strict = tt.strict
			_, err := elastic.Factory{}.New(context.Background(), s)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v; want %q", err, tt.want)
			}
		})
	}
	// Loopback stays allowed, as plaintext is.
	s := settings(env{"ELASTIC_APM_SERVER_URL": "https://127.0.0.1:8200", "ELASTIC_APM_SECRET_TOKEN": "tok", "ELASTIC_APM_VERIFY_SERVER_CERT": "false"})
	s.Strict = true
	b, err := elastic.Factory{}.New(context.Background(), s)
	if err != nil {
		t.Fatalf("verification off to loopback refused: %v", err)
	}
	_ = b.SpanProcessor.Shutdown(context.Background())
}

// TestManagedOTLPEndpoint: Elastic's managed OTLP endpoint takes the API
// key as Authorization: ApiKey; a secret token there is an error naming
// ELASTIC_APM_SECRET_TOKEN, whether the endpoint is named by
// ELASTIC_OTLP_ENDPOINT or recognised in ELASTIC_APM_SERVER_URL.
func TestManagedOTLPEndpoint(t *testing.T) {
	recv, url, ca := privateCA(t)
	s := settings(env{"ELASTIC_OTLP_ENDPOINT": url, "ELASTIC_APM_API_KEY": "a2V5", "ELASTIC_OTLP_PROTOCOL": "http/protobuf", "ELASTIC_APM_SERVER_CA_CERT_FILE": ca})
	b, _ := run(t, s)
	reqs := recv.Requests()
	if len(reqs) != 1 || strings.Join(reqs[0].Headers["authorization"], "") != "ApiKey a2V5" {
		t.Fatalf("requests %d; want one with Authorization: ApiKey", len(reqs))
	}
	raw, _ := json.Marshal(b.Config)
	if !strings.Contains(string(raw), `"managed_otlp":true`) || !strings.Contains(string(raw), `"traces_endpoint":"`+url+`/v1/traces"`) {
		t.Errorf("config %s; want managed_otlp and the endpoint", raw)
	}
	for name, e := range map[string]env{
		"ELASTIC_OTLP_ENDPOINT":                    {"ELASTIC_OTLP_ENDPOINT": "https://books.ingest.us-east-1.aws.elastic.cloud", "ELASTIC_APM_SECRET_TOKEN": "tok"},
		"a managed host in ELASTIC_APM_SERVER_URL": {"ELASTIC_APM_SERVER_URL": "https://books.ingest.us-east-1.aws.elastic.cloud:443", "ELASTIC_APM_SECRET_TOKEN": "tok"},
	} {
		_, err := fromEnv(e.Lookup, false)
		if err == nil || !strings.Contains(err.Error(), "ELASTIC_APM_SECRET_TOKEN is set, but Elastic's managed OTLP endpoint takes an API key only") {
			t.Errorf("%s: error %v; want one naming ELASTIC_APM_SECRET_TOKEN", name, err)
		}
	}
	if _, err := fromEnv(env{"ELASTIC_OTLP_ENDPOINT": "https://a.ingest.x.elastic.cloud", "ELASTIC_APM_SERVER_URL": "https://apm:8200", "ELASTIC_APM_API_KEY": "k"}.Lookup, false); err == nil ||
		!strings.Contains(err.Error(), "ELASTIC_OTLP_ENDPOINT and ELASTIC_APM_SERVER_URL are both set") {
		t.Errorf("both endpoints: %v", err)
	}
	if !(elastic.Factory{}).Detect(env{"ELASTIC_OTLP_ENDPOINT": "https://a.ingest.x.elastic.cloud"}.Lookup) {
		t.Error("the managed endpoint does not select Elastic")
	}
}

// TestServiceNameRewriteWarning: Config shows, and the log warns, when APM
// Server will rewrite the service name.
func TestServiceNameRewriteWarning(t *testing.T) {
	_, url, ca := privateCA(t)
	s := settings(env{"ELASTIC_APM_SERVER_URL": url, "ELASTIC_APM_SERVER_CA_CERT_FILE": ca})
	s.ServiceName = "books.api/v2"
	b, err := elastic.Factory{}.New(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.SpanProcessor.Shutdown(context.Background()) }()
	raw, _ := json.Marshal(b.Config)
	if !strings.Contains(string(raw), `APM Server replaces them and shows \"books_api_v2\"`) {
		t.Errorf("config %s; want the rewrite warning", raw)
	}
	s.ServiceName = "books-api v2_x"
	b2, err := elastic.Factory{}.New(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b2.SpanProcessor.Shutdown(context.Background()) }()
	if raw, _ := json.Marshal(b2.Config); strings.Contains(string(raw), "warnings") {
		t.Errorf("a clean name drew a warning: %s", raw)
	}
}
