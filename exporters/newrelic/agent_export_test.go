package newrelic

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"time"

	nr "github.com/newrelic/go-agent/v3/newrelic"

	"github.com/otelswitch/otelswitch/exporters"
)

// Serverless identities: serverless mode takes distributed trace headers
// only with an account and a trusted account key.
const (
	TestAccountID    = "1234567"
	TestTrustedKey   = "1234567"
	TestPrimaryAppID = "7654321"
)

// AgentServerlessFactory returns a Factory whose agent mode runs the Go
// agent in its serverless mode, writing the harvest to w at ForceFlush and
// Shutdown.
func AgentServerlessFactory(w io.Writer) Factory {
	return Factory{agent: &agentHooks{serverless: w, options: []nr.ConfigOption{func(cfg *nr.Config) {
		cfg.ServerlessMode.AccountID = TestAccountID
		cfg.ServerlessMode.TrustedAccountKey = TestTrustedKey
		cfg.ServerlessMode.PrimaryAppID = TestPrimaryAppID
	}}}}
}

// AgentFactory returns a Factory whose agent mode trusts roots for the
// collector's certificate and applies opts after its own options.
func AgentFactory(roots *x509.CertPool, opts ...nr.ConfigOption) Factory {
	return Factory{agent: &agentHooks{rootCAs: roots, options: opts}}
}

// WaitAgentConnected waits until b's agent has connected and the processor
// has seen it.
func WaitAgentConnected(ctx context.Context, b *exporters.Backend) error {
	p, ok := b.SpanProcessor.(*agentProcessor)
	if !ok {
		return errors.New("not an agent-mode backend")
	}
	for !p.connected.Load() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}
