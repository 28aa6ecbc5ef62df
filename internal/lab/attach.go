package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrNotRunning is wrapped by Attach's error when no lab answers on the
// ports.
var ErrNotRunning = errors.New("lab: no lab is running")

// Attach returns a Lab for one that is already running on the fixed ports
// (`make lab`, or Start with WithFixedPorts in another process) once both
// Jaeger's and the collector's health checks answer; otherwise an error
// wrapping ErrNotRunning.
//
// Attach cannot learn what the running lab was started with, so the
// options say it: WithDir is required and names the lab's directory (`make
// lab` uses lab-data/ at the module root), which Attach checks holds the
// config of a collector on these ports; WithSecretToken and WithAPIKey give
// the Elastic credentials `make lab` printed (SecretToken and APIKey stay
// empty otherwise). Other options are ignored.
//
// The returned Lab reads back like a started one. Close stops nothing and
// removes nothing; Wait must not be called on it.
func Attach(ctx context.Context, opts ...Option) (*Lab, error) {
	c := newConfig(opts)
	if c.dir == "" {
		return nil, errors.New("lab: Attach needs WithDir: the running lab's directory (make lab: lab-data/ at the module root)")
	}
	p := fixedPorts()
	if c.ports != nil {
		p = *c.ports
	}
	l := newLab(p, c)
	for _, h := range []struct{ name, url string }{
		{"Jaeger", "http://" + p.addr(portJaegerHealth) + "/status"},
		{"the collector", "http://" + p.addr(portCollectorHealth) + "/"},
	} {
		if err := probe(ctx, l.httpClient, h.url); err != nil {
			return nil, fmt.Errorf("%w: %s does not answer at %s: %v", ErrNotRunning, h.name, h.url, err)
		}
	}
	// The collector writes where its config says; make sure that is Dir.
	cfg := filepath.Join(c.dir, "otelcol.yaml")
	b, err := os.ReadFile(cfg)
	if err != nil {
		return nil, fmt.Errorf("lab: attaching: %w (WithDir must name the running lab's directory)", err)
	}
	if !strings.Contains(string(b), p.addr(portCollectorHealth)) || !strings.Contains(string(b), collectorFile(c.dir, SourceOTLP)) {
		return nil, fmt.Errorf("lab: attaching: %s is not the config of the collector running on %s", cfg, p.addr(portCollectorHealth))
	}
	return l, nil
}
