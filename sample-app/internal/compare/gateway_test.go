package compare

import (
	"strings"
	"testing"
	"time"

	"github.com/otelswitch/otelswitch/internal/lab"
)

func TestGatewayOptions(t *testing.T) {
	ok := Gateway{Endpoint: "127.0.0.1:4319", Store: StoreJaeger}
	for _, tc := range []struct {
		name string
		opts []Option
		want string // in the error; "" for none
	}{
		{"named and set", []Option{WithBackends("jaeger", GatewayBackend), WithGateway(ok)}, ""},
		{"named, not set", []Option{WithBackends(GatewayBackend)}, `backend "gateway" needs a gateway endpoint`},
		{"set, not named", []Option{WithBackends("jaeger"), WithGateway(ok)}, `a gateway at 127.0.0.1:4319 is set but backend "gateway" is not compared`},
		{"bad store", []Option{WithBackends(GatewayBackend), WithGateway(Gateway{Endpoint: "127.0.0.1:4319", Store: "kafka"})}, `gateway store "kafka": want one of jaeger, collector`},
		{"bad endpoint", []Option{WithBackends(GatewayBackend), WithGateway(Gateway{Endpoint: "grpc://gw:4317", Store: StoreJaeger})}, `gateway endpoint "grpc://gw:4317"`},
		{"no port", []Option{WithBackends(GatewayBackend), WithGateway(Gateway{Endpoint: "gw", Store: StoreJaeger})}, `gateway endpoint "gw"`},
		{"negative wait", []Option{WithBackends(GatewayBackend), WithGateway(Gateway{Endpoint: "gw:1", Store: StoreJaeger, Wait: -time.Second})}, "gateway wait -1s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := prepare(tc.opts)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("prepare: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("prepare: %v; want an error with %q", err, tc.want)
			}
		})
	}
}

func TestGatewayEnv(t *testing.T) {
	for _, tc := range []struct{ endpoint, url string }{
		{"127.0.0.1:4319", "http://127.0.0.1:4319"},
		{"https://gw.example:4317", "https://gw.example:4317"},
	} {
		c, bs, err := prepare([]Option{WithBackends(GatewayBackend), WithGateway(Gateway{Endpoint: tc.endpoint, Store: StoreCollector}), WithRunID("x")})
		if err != nil {
			t.Fatal(err)
		}
		r := &runner{c: c, l: &lab.Lab{}, dir: "/tmp/d"}
		env := r.env("s", bs)
		if env["TELEMETRY_BACKEND"] != "otlp" || env["OTEL_EXPORTER_OTLP_ENDPOINT"] != tc.url || env["OTEL_EXPORTER_OTLP_PROTOCOL"] != "grpc" {
			t.Errorf("%s: env %v; want otlp over gRPC to %s", tc.endpoint, env, tc.url)
		}
		if bs[0].hold != DefaultGatewayWait || !bs[0].sampled || bs[0].store != storeOTLPReceiver {
			t.Errorf("%s: hold %s, sampled %v, store %q", tc.endpoint, bs[0].hold, bs[0].sampled, bs[0].store)
		}
	}
}

// TestFanOutOnePerStore: two backends counted in one store would each count
// the other's spans, so the fan-out takes the first of them only.
func TestFanOutOnePerStore(t *testing.T) {
	_, bs, err := prepare([]Option{
		WithBackends("jaeger", GatewayBackend, "datadog", "datadog-otlp", "newrelic"),
		WithGateway(Gateway{Endpoint: "gw:4317", Store: StoreJaeger}),
	})
	if err != nil {
		t.Fatal(err)
	}
	var fan []backend
	var names []string
	for _, b := range bs {
		if fanOutTakes(fan, b) {
			fan = append(fan, b)
			names = append(names, b.name)
		}
	}
	if got := strings.Join(names, ","); got != "jaeger,datadog,newrelic" {
		t.Errorf("fan-out takes %s; want jaeger,datadog,newrelic (gateway shares jaeger's store, datadog-otlp datadog's TELEMETRY_BACKEND)", got)
	}
	if n := runs(bs); n != 7 {
		t.Errorf("runs: %d; want 7 (baseline, five alone, fan-out)", n)
	}
	// jaeger and a gateway exporting to Jaeger cannot fan out: no fan-out run.
	if n := runs(bs[:2]); n != 3 {
		t.Errorf("runs of jaeger and the gateway: %d; want 3 (baseline, two alone)", n)
	}
}

func TestJudgeSampled(t *testing.T) {
	d := Delivery{Sent: 100, Stored: 30, StoredExact: true, Sampled: true, Exports: 3}
	d.judge(100)
	if d.Status != StatusOK || !strings.Contains(d.Reason, "tail sampling kept 30 of 100 spans sent (30%)") {
		t.Errorf("sampled: %s %q", d.Status, d.Reason)
	}
	d = Delivery{Sent: 100, Stored: 0, StoredExact: true, Sampled: true, Exports: 3}
	if d.judge(100); d.Status != StatusFailed {
		t.Errorf("sampled, nothing stored: %s %q; want failed", d.Status, d.Reason)
	}
	d = Delivery{Sent: 100, Stored: 30, StoredExact: true, Dropped: 5, Sampled: true, Exports: 3}
	if d.judge(100); d.Status != StatusLossy {
		t.Errorf("sampled with drops: %s %q; want lossy", d.Status, d.Reason)
	}
}
