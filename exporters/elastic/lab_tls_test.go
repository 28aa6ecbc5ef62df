package elastic_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/otelswitch/otelswitch/exporters/elastic"
	"github.com/otelswitch/otelswitch/internal/lab"
)

// labPKI writes a private CA and a server certificate for 127.0.0.1 signed
// by it to dir: ca.pem (what ELASTIC_APM_SERVER_CA_CERT_FILE names),
// server.pem and server-key.pem (what the collector serves).
func labPKI(t *testing.T, dir string) (caFile, certFile, keyFile string) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "otelswitch test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, caTmpl, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(srvKey)
	if err != nil {
		t.Fatal(err)
	}
	caFile, certFile, keyFile = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "server.pem"), filepath.Join(dir, "server-key.pem")
	for path, block := range map[string]*pem.Block{
		caFile:   {Type: "CERTIFICATE", Bytes: caDER},
		certFile: {Type: "CERTIFICATE", Bytes: srvDER},
		keyFile:  {Type: "PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return caFile, certFile, keyFile
}

// TestLabTLSWithPrivateCA proves ELASTIC_APM_SERVER_CA_CERT_FILE and
// ELASTIC_APM_VERIFY_SERVER_CERT against the lab collector serving its
// Elastic receivers over TLS with a certificate from a private CA: with the
// CA file the spans arrive, with the secret token or API key the receiver
// checked; without it the export fails on the unknown authority and is
// counted; with verification off they arrive too.
func TestLabTLSWithPrivateCA(t *testing.T) {
	ca, cert, key := labPKI(t, t.TempDir())
	l := lab.ForTest(t, lab.WithOTLPTLS(cert, key))
	bearer := func(proto, addr string) env {
		return env{"ELASTIC_APM_SERVER_URL": "https://" + addr, "ELASTIC_OTLP_PROTOCOL": proto, "ELASTIC_APM_SECRET_TOKEN": l.SecretToken}
	}
	apiKey := env{"ELASTIC_APM_SERVER_URL": "https://" + l.ElasticAPIKeyHTTP, "ELASTIC_OTLP_PROTOCOL": "http/protobuf", "ELASTIC_APM_API_KEY": l.APIKey}
	for _, tt := range []struct {
		name      string
		env       env
		src       lab.Source
		auth      string
		delivered bool
	}{
		{"CA file, gRPC, secret token", with(bearer("grpc", l.ElasticBearerGRPC), "ELASTIC_APM_SERVER_CA_CERT_FILE", ca), lab.SourceElasticBearer, "Bearer " + l.SecretToken, true},
		{"CA file, HTTP, API key", with(apiKey, "ELASTIC_APM_SERVER_CA_CERT_FILE", ca), lab.SourceElasticAPIKey, "ApiKey " + l.APIKey, true},
		{"verification off, gRPC", with(bearer("grpc", l.ElasticBearerGRPC), "ELASTIC_APM_VERIFY_SERVER_CERT", "false"), lab.SourceElasticBearer, "Bearer " + l.SecretToken, true},
		{"verification off, HTTP", with(bearer("http/protobuf", l.ElasticBearerHTTP), "ELASTIC_APM_VERIFY_SERVER_CERT", "false"), lab.SourceElasticBearer, "Bearer " + l.SecretToken, true},
		{"no CA, gRPC", bearer("grpc", l.ElasticBearerGRPC), lab.SourceElasticBearer, "", false},
		{"no CA, HTTP", apiKey, lab.SourceElasticAPIKey, "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := settings(tt.env)
			b, err := elastic.Factory{}.New(context.Background(), s)
			if err != nil {
				t.Fatal(err)
			}
			tp := sdktrace.NewTracerProvider(sdktrace.WithResource(s.Resource), sdktrace.WithSpanProcessor(b.SpanProcessor))
			_, span := tp.Tracer("test").Start(context.Background(), "tls "+tt.name)
			span.End()
			_ = tp.Shutdown(context.Background()) // its error is the failed export, checked below
			st := b.Stats.Snapshot()
			if !tt.delivered {
				if st.FailedExports == 0 || st.SpansExported != 0 || !strings.Contains(st.LastError, "certificate") {
					t.Fatalf("stats %+v; want a failed export naming the certificate", st)
				}
				return
			}
			got, err := l.WaitForSpans(context.Background(), tt.src, 1, func(sp lab.Span) bool { return sp.Name == "tls "+tt.name })
			if err != nil {
				t.Fatalf("%v (stats %+v)", err, st)
			}
			if a := got[0].Attributes[lab.AttrAuthorization]; a != tt.auth {
				t.Errorf("authorization %q; want %q", a, tt.auth)
			}
			if st.SpansExported != 1 || st.FailedExports != 0 {
				t.Errorf("stats %+v; want 1 exported", st)
			}
		})
	}
}

func with(e env, k, v string) env {
	out := env{k: v}
	for ek, ev := range e {
		out[ek] = ev
	}
	return out
}
