package newrelic

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"strings"

	nr "github.com/newrelic/go-agent/v3/newrelic"

	"github.com/otelswitch/otelswitch/exporters"
)

// agentHooks adjust agent mode for tests.
type agentHooks struct {
	// serverless runs the agent in its serverless mode, which connects to
	// nothing and writes each harvest to this writer at ForceFlush and
	// Shutdown.
	serverless io.Writer
	// rootCAs are trusted for the collector's certificate.
	rootCAs *x509.CertPool
	// options are applied after the backend's own.
	options []nr.ConfigOption
}

// agentResolved is the configuration Telemetry.Config shows in agent mode.
type agentResolved struct {
	Config
	// Application is the app name the agent reports under.
	Application string `json:"application"`
	// Collector is the host the agent connects to first: NEW_RELIC_HOST,
	// the region's, or the one it picks from the licence key.
	Collector string `json:"collector"`
}

// agentAppName is the app name the agent reports under: the service name,
// unless it is OpenTelemetry's unknown_service default and
// NEW_RELIC_APP_NAME is set, whose names (up to three, separated by
// semicolons: the app's and rollups) are then used as the Go agent uses
// them.
func agentAppName(c Config, s exporters.Settings) string {
	name := s.ServiceName
	if (name == "" || strings.HasPrefix(name, "unknown_service")) && c.ServiceName() != "" {
		parts := strings.Split(c.AppName, ";")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		return strings.Join(parts, ";")
	}
	if name == "" {
		return "unknown_service:go"
	}
	return name
}

// agentOptions configure the Go agent: the application, the licence key,
// log forwarding, and the agent's own variables as it reads them.
func agentOptions(c Config, s exporters.Settings, appName string, logger *slog.Logger, transport *agentTransport, hooks *agentHooks) []nr.ConfigOption {
	host := c.agentHost()
	labels, _ := parseLabels(c.Labels) // validateAgent has checked them
	return []nr.ConfigOption{
		nr.ConfigAppName(appName),
		nr.ConfigLicense(string(c.LicenseKey)),
		nr.ConfigDistributedTracerEnabled(true),
		// Code-level metrics would name the processor's code, not the
		// application's.
		nr.ConfigCodeLevelMetricsEnabled(false),
		// With TELEMETRY_LOGS=export or both, records go through the
		// agent's own log forwarding, linked to their transaction; else
		// they stay local, carrying trace.id and span.id.
		nr.ConfigAppLogForwardingEnabled(s.Logs),
		nr.ConfigLogger(agentLogger{logger}),
		func(cfg *nr.Config) {
			cfg.Host = host
			cfg.Transport = transport
			// The Go agent's own variables, read as it reads them.
			cfg.HighSecurity = c.HighSecurity
			cfg.SecurityPoliciesToken = string(c.SecurityPoliciesToken)
			if len(labels) > 0 {
				cfg.Labels = labels
			}
			cfg.Attributes.Include = c.AttributesInclude
			cfg.Attributes.Exclude = c.AttributesExclude
			if hooks.serverless != nil {
				cfg.ServerlessMode.Enabled = true
			}
		},
	}
}

// newAgent builds the agent-mode backend: a span processor feeding a New
// Relic Go agent. The agent connects in the background; nothing here waits
// on the network.
func newAgent(c Config, s exporters.Settings, hooks *agentHooks) (*exporters.Backend, error) {
	if hooks == nil {
		hooks = &agentHooks{}
	}
	logger := s.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if s.Metrics {
		logger.Debug("newrelic agent mode sends no OpenTelemetry metrics; the agent reports its own",
			"backend", Name, "error", fmt.Errorf("metrics: %w", exporters.ErrSignalNotSupported).Error())
	}
	stats := exporters.NewCounters(Name)
	acct := &agentAccounting{stats: stats, logger: logger}
	ctx, cancel := context.WithCancel(context.Background())
	transport := newAgentTransport(ctx, s.ExportTimeout, hooks.rootCAs, acct)
	appName := agentAppName(c, s)
	opts := agentOptions(c, s, appName, logger, transport, hooks)
	opts = append(opts, hooks.options...)
	app, err := nr.NewApplication(opts...)
	if err != nil {
		cancel()
		// The agent's own checks; Validate has made them unlikely.
		return nil, fmt.Errorf("newrelic: NEW_RELIC_MODE=agent: %w", err)
	}
	ca := customAttributes{off: c.HighSecurity, filter: newAttributeFilter(c.AttributesInclude, c.AttributesExclude)}
	p := newAgentProcessor(app, ca, acct, logger, cancel, hooks.serverless)
	b := &exporters.Backend{
		Name:          Name,
		Config:        agentResolved{Config: c, Application: appName, Collector: c.agentCollector()},
		SpanProcessor: p,
		Correlate:     exporters.ECSCorrelation,
		Stats:         stats,
	}
	if s.Logs {
		b.LogProcessor = agentLogProcessor{p}
	}
	return b, nil
}
