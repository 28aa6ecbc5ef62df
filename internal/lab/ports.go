package lab

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"syscall"
)

// ErrPortInUse is wrapped by Start's error when a listener's port is taken.
var ErrPortInUse = errors.New("lab: port already in use")

// host is the only address the lab listens on: it is a local test rig.
const host = "127.0.0.1"

type portID int

const (
	portJaegerOTLPGRPC portID = iota
	portJaegerOTLPHTTP
	portJaegerUI
	portJaegerQueryGRPC
	portJaegerHealth
	portCollectorOTLPGRPC
	portCollectorOTLPHTTP
	portElasticBearerGRPC
	portElasticBearerHTTP
	portElasticAPIKeyGRPC
	portElasticAPIKeyHTTP
	portDatadog
	portDatadogReceiver
	portCollectorHealth
	portJaegerSamplingHTTP
	portJaegerSamplingGRPC
	portDogStatsD
	numPorts
)

// portInfo names each listener for error messages and gives its port under
// WithFixedPorts. Jaeger keeps its own well-known ports; the collector's are
// offset so both run side by side.
var portInfo = [numPorts]struct {
	name  string
	fixed int
}{
	portJaegerOTLPGRPC:     {"Jaeger OTLP gRPC", 4317},
	portJaegerOTLPHTTP:     {"Jaeger OTLP HTTP", 4318},
	portJaegerUI:           {"Jaeger UI and query API", 16686},
	portJaegerQueryGRPC:    {"Jaeger query gRPC", 16685},
	portJaegerHealth:       {"Jaeger health", 13133},
	portCollectorOTLPGRPC:  {"collector OTLP gRPC", 14317},
	portCollectorOTLPHTTP:  {"collector OTLP HTTP", 14318},
	portElasticBearerGRPC:  {"collector Elastic secret-token gRPC", 24317},
	portElasticBearerHTTP:  {"collector Elastic secret-token HTTP", 24318},
	portElasticAPIKeyGRPC:  {"collector Elastic API-key gRPC", 34317},
	portElasticAPIKeyHTTP:  {"collector Elastic API-key HTTP", 34318},
	portDatadog:            {"Datadog agent intake (lab proxy)", 8126},
	portDatadogReceiver:    {"collector Datadog receiver", 28126},
	portCollectorHealth:    {"collector health", 13134},
	portJaegerSamplingHTTP: {"Jaeger remote sampling HTTP", 5778},
	portJaegerSamplingGRPC: {"Jaeger remote sampling gRPC", 5779},
	portDogStatsD:          {"collector DogStatsD receiver (UDP)", 18125},
}

// PublicPort is a listener that applications and people use under
// WithFixedPorts (OTLP, the Jaeger UI, the Datadog intake), as opposed to
// health and internal ones. docker-compose.yml publishes the same ports, which
// the compose-file test in tools/compose checks against this list.
type PublicPort struct {
	Name string
	Port int
}

// PublicPorts returns the lab's public listeners and their fixed ports.
func PublicPorts() []PublicPort {
	var out []PublicPort
	for _, id := range []portID{portJaegerOTLPGRPC, portJaegerOTLPHTTP, portJaegerUI, portCollectorOTLPGRPC,
		portCollectorOTLPHTTP, portElasticBearerGRPC, portElasticBearerHTTP, portElasticAPIKeyGRPC,
		portElasticAPIKeyHTTP, portDatadog} {
		out = append(out, PublicPort{Name: portInfo[id].name, Port: portInfo[id].fixed})
	}
	return out
}

type portSet [numPorts]int

func (p portSet) addr(id portID) string {
	return net.JoinHostPort(host, strconv.Itoa(p[id]))
}

func fixedPorts() portSet {
	var p portSet
	for id := range numPorts {
		p[id] = portInfo[id].fixed
	}
	return p
}

// freePorts asks the kernel for distinct free ports. All listeners stay open
// until every port is chosen so that none is handed out twice; another
// process may still take one before the lab binds it, which Start handles
// by retrying.
func freePorts() (portSet, error) {
	var p portSet
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for id := range numPorts {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return p, fmt.Errorf("lab: choosing a free port for %s: %w", portInfo[id].name, err)
		}
		lns = append(lns, ln)
		p[id] = ln.Addr().(*net.TCPAddr).Port
	}
	return p, nil
}

// checkPorts reports, in one error wrapping ErrPortInUse, every port in p
// that cannot be bound right now, each named with its listener.
func checkPorts(p portSet) error {
	var taken []string
	for id := range numPorts {
		ln, err := net.Listen("tcp", p.addr(id))
		if err != nil {
			what := fmt.Sprintf("%s (%s)", p.addr(id), portInfo[id].name)
			if !errors.Is(err, syscall.EADDRINUSE) {
				what += ": " + err.Error()
			}
			taken = append(taken, what)
			continue
		}
		ln.Close()
	}
	if len(taken) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s; stop whatever holds them (another `make lab`?)", ErrPortInUse, strings.Join(taken, ", "))
}

// FreePorts returns n distinct ports on 127.0.0.1 that were free a moment
// ago, for processes a test starts beside a lab (StartProc). Another process
// may take one before it is bound; a test that cares retries.
func FreePorts(n int) ([]int, error) {
	var ports []int
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for range n {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return nil, fmt.Errorf("lab: choosing a free port: %w", err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
