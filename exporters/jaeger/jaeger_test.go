package jaeger_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/exporters/jaeger"
	"github.com/otelswitch/otelswitch/exporters/otlp"
	"github.com/otelswitch/otelswitch/internal/otlptest"
	"github.com/otelswitch/otelswitch/internal/testutil"
)

type env = testutil.Env

func TestTarget(t *testing.T) {
	tests := []struct {
		name     string
		env      env
		url      string
		protocol string
		insecure bool
	}{
		{"default: a local all-in-one over plaintext gRPC", env{}, "https://localhost:4317", otlp.GRPC, true},
		{"host:port stays plaintext", env{"JAEGER_ENDPOINT": "jaeger:4317"}, "https://jaeger:4317", otlp.GRPC, true},
		{"https turns TLS on", env{"JAEGER_ENDPOINT": "https://jaeger.example:4317"}, "https://jaeger.example:4317", otlp.GRPC, false},
		{"http/protobuf", env{"JAEGER_PROTOCOL": "http/protobuf", "JAEGER_ENDPOINT": "http://localhost:4318"}, "http://localhost:4318/v1/traces", otlp.HTTPProtobuf, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := jaeger.ConfigFromEnv(tt.env.Lookup)
			if err != nil {
				t.Fatal(err)
			}
			target, err := c.Target()
			if err != nil {
				t.Fatal(err)
			}
			if target.URL.String() != tt.url || target.Protocol != tt.protocol || target.Insecure != tt.insecure {
				t.Errorf("target = %s %s insecure=%v; want %s %s insecure=%v", target.URL, target.Protocol, target.Insecure, tt.url, tt.protocol, tt.insecure)
			}
		})
	}
}

func TestRejects(t *testing.T) {
	tests := []struct {
		name string
		env  env
		want []string
	}{
		{"unknown protocol", env{"JAEGER_PROTOCOL": "thrift"}, []string{`JAEGER_PROTOCOL="thrift": unknown protocol; want grpc or http/protobuf`}},
		{"http/protobuf needs a URL", env{"JAEGER_PROTOCOL": "http/protobuf"}, []string{`JAEGER_ENDPOINT="localhost:4317": malformed endpoint`}},
		{"malformed endpoint", env{"JAEGER_ENDPOINT": "http://"}, []string{`JAEGER_ENDPOINT="http://": malformed endpoint`}},
		{"both", env{"JAEGER_ENDPOINT": "ftp://x", "JAEGER_PROTOCOL": "udp"}, []string{`JAEGER_PROTOCOL="udp"`, `unsupported scheme "ftp"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := jaeger.ConfigFromEnv(tt.env.Lookup)
			if err == nil {
				err = c.Validate(false)
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
		})
	}
}

func settings(e env) exporters.Settings {
	return exporters.Settings{
		Environment:   "development",
		Lookup:        e.Lookup,
		Resource:      resource.Empty(),
		Batch:         exporters.Batch{Delay: 20 * time.Millisecond, MaxQueue: 100, MaxExport: 10},
		ExportTimeout: 5 * time.Second,
		Logger:        slog.New(slog.DiscardHandler),
	}
}

func TestPlaintextToRemoteJaegerIsRefusedInProduction(t *testing.T) {
	s := settings(env{"JAEGER_ENDPOINT": "jaeger.internal:4317"})
	s.Strict = true
	_, err := jaeger.Factory{}.New(context.Background(), s)
	if err == nil || !strings.Contains(err.Error(), "JAEGER_ENDPOINT") || !strings.Contains(err.Error(), "refused in staging and production") {
		t.Fatalf("err = %v", err)
	}
	if (jaeger.Factory{}).Detect(env{"JAEGER_ENDPOINT": "x:4317"}.Lookup) {
		t.Error("jaeger must be named, never detected")
	}
}

func TestSendsToJaeger(t *testing.T) {
	recv, addr := otlptest.NewGRPC(t)
	s := settings(env{"JAEGER_ENDPOINT": addr})
	s.Metrics = true
	b, err := jaeger.Factory{}.New(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if b.MetricReader != nil {
		t.Error("Jaeger stores traces only; no metric reader expected")
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(b.SpanProcessor))
	_, span := tp.Tracer("t").Start(context.Background(), "GET /books")
	span.End()
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if names := recv.SpanNames(); len(names) != 1 || names[0] != "GET /books" {
		t.Errorf("received %v", names)
	}
}
