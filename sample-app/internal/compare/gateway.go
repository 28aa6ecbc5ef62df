package compare

import (
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/otelswitch/otelswitch/internal/lab"
)

// GatewayBackend is the name of the backend WithGateway describes.
const GatewayBackend = "gateway"

// Where a gateway's exports are read back from (Gateway.Store).
const (
	// StoreJaeger: the gateway exports to the lab's Jaeger (its otlp/jaeger
	// exporter at the lab's Jaeger OTLP gRPC address); spans are counted
	// through Jaeger's query API.
	StoreJaeger = "jaeger"
	// StoreCollector: the gateway exports to the lab collector's otlp
	// receiver (OTLP gRPC); spans are counted in that receiver's output
	// file.
	StoreCollector = "collector"
)

// DefaultGatewayWait is Gateway.Wait's default: deploy/collector/gateway.yaml's
// default decision_wait (10 s) and batch timeout (1 s), plus a second.
const DefaultGatewayWait = 12 * time.Second

// Gateway is an OpenTelemetry Collector gateway (docs/scale-out.md) compared
// as the backend named "gateway": the application sends OTLP/gRPC to it with
// TELEMETRY_BACKEND=otlp, and what the gateway keeps after tail sampling is
// counted where it exports in the lab. Fewer spans stored than sent is then
// the tail-sampled share, reported as such, not as a loss.
type Gateway struct {
	// Endpoint is the gateway's OTLP gRPC receiver: host:port, or a URL
	// with http:// (plaintext) or https://.
	Endpoint string
	// Store is where the gateway exports: StoreJaeger or StoreCollector.
	Store string
	// Wait is how long after a run the gateway may take to export the
	// run's last traces: its decision_wait plus its batch timeout. Counts
	// taken before then are not final. 0 means DefaultGatewayWait.
	Wait time.Duration
}

// gatewayStores are Gateway.Store's values.
var gatewayStores = []string{StoreJaeger, StoreCollector}

// GatewayStores lists the values Gateway.Store accepts.
func GatewayStores() []string { return append([]string(nil), gatewayStores...) }

func (g Gateway) url() (string, error) {
	u := g.Endpoint
	if !strings.Contains(u, "://") {
		u = "http://" + u
	}
	scheme, hostport, _ := strings.Cut(u, "://")
	if scheme != "http" && scheme != "https" {
		return "", fmt.Errorf("gateway endpoint %q: want host:port, http://host:port or https://host:port", g.Endpoint)
	}
	if _, _, err := net.SplitHostPort(strings.TrimSuffix(hostport, "/")); err != nil {
		return "", fmt.Errorf("gateway endpoint %q: want host:port, http://host:port or https://host:port: %w", g.Endpoint, err)
	}
	return u, nil
}

// Validate reports what is wrong with g: the endpoint, the store or the
// wait; Run reports the same.
func (g Gateway) Validate() error {
	_, err := g.backend()
	return err
}

// backend is the gateway as a compared backend.
func (g Gateway) backend() (backend, error) {
	u, err := g.url()
	if err != nil {
		return backend{}, err
	}
	if g.Wait < 0 {
		return backend{}, fmt.Errorf("gateway wait %s: want 0 (the default, %s) or more", g.Wait, DefaultGatewayWait)
	}
	b := backend{
		name: GatewayBackend, telemetry: "otlp", sampled: true,
		hold: g.Wait,
		env: func(*lab.Lab) map[string]string {
			return map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": u, "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}
		},
		noSignals: "not counted: the gateway's metrics and logs pipelines export to its own exporters",
	}
	if b.hold == 0 {
		b.hold = DefaultGatewayWait
	}
	switch g.Store {
	case StoreJaeger:
		b.store, b.counter = storeJaeger, newJaegerCounter
		b.standIn = "collector gateway at " + g.Endpoint + " (OTLP gRPC, tail sampling), exporting to the lab's Jaeger"
	case StoreCollector:
		b.store, b.counter = storeOTLPReceiver, countOTLPWithoutKey
		b.standIn = "collector gateway at " + g.Endpoint + " (OTLP gRPC, tail sampling), exporting to the lab collector's otlp receiver"
	default:
		return backend{}, fmt.Errorf("gateway store %q: want one of %s", g.Store, strings.Join(gatewayStores, ", "))
	}
	return b, nil
}
