package newrelic

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Collector hosts of the Go agent by region, from New Relic's "New Relic
// endpoints" page (APM agent data). The US host is left to the agent, which
// picks it from the licence key (collector.newrelic.com, or the region a key
// such as eu01xx... names).
var agentRegionHosts = map[string]string{
	"us":      "",
	"eu":      "collector.eu01.nr-data.net",
	"fedramp": "gov-collector.newrelic.com",
}

// maxAppNames is how many semicolon-separated names the Go agent accepts in
// its app name: the app's own and two rollups.
const maxAppNames = 3

// validateAgent reports every problem with an agent-mode configuration. The
// NEW_RELIC_OTLP_ variables do not apply and are not checked.
func (c Config) validateAgent() error {
	errs := c.licenseKeyErrors()
	if n := len(c.LicenseKey); len(errs) == 0 && n != licenseKeyLen {
		errs = append(errs, fmt.Errorf("%s is %d characters long; NEW_RELIC_MODE=agent needs a %d-character licence (Ingest - License) key, the only kind the Go agent accepts", envLicenseKey, n, licenseKeyLen))
	}
	if _, err := c.resolveRegion(); err != nil {
		errs = append(errs, err)
	}
	if c.Host != "" {
		if err := checkAgentHost(c.Host); err != nil {
			errs = append(errs, err)
		}
	}
	if _, err := parseLabels(c.Labels); err != nil {
		errs = append(errs, err)
	}
	if c.HighSecurity && c.SecurityPoliciesToken != "" {
		errs = append(errs, fmt.Errorf("%s=true and %s are both set; the Go agent takes one or the other: security policies replace high-security mode", envHighSecurity, envSecurityPolicies))
	}
	if strings.Count(c.AppName, ";") >= maxAppNames {
		errs = append(errs, fmt.Errorf("%s=%q: at most %d names separated by semicolons", envAppName, c.AppName, maxAppNames))
	}
	return errors.Join(errs...)
}

// checkAgentHost accepts what the Go agent puts in its collector URL,
// https://HOST/agent_listener/...: a host name or IP address, with an
// optional port, and nothing else.
func checkAgentHost(h string) error {
	bad := func(why string) error {
		return fmt.Errorf("%s=%q: %s; want a host name or host:port, such as collector.newrelic.com or 127.0.0.1:8443 (the agent always uses https)", envHost, h, why)
	}
	if strings.Contains(h, "://") {
		return bad("a scheme is not allowed")
	}
	if strings.ContainsAny(h, "/?#@ \t\r\n") {
		return bad("a path, user or space is not allowed")
	}
	host, port := h, ""
	if strings.Contains(h, ":") {
		var err error
		if host, port, err = net.SplitHostPort(h); err != nil {
			if net.ParseIP(h) == nil {
				return bad("malformed host:port")
			}
			host, port = h, "" // a bare IPv6 address
		}
	}
	if host == "" {
		return bad("no host")
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return bad("bad port")
		}
	}
	return nil
}

// agentHost is the collector host the Go agent is given: NEW_RELIC_HOST,
// else the region's. Empty means the agent's own choice from the key.
func (c Config) agentHost() string {
	if c.Host != "" {
		return c.Host
	}
	r, _ := c.resolveRegion()
	return r.agentHost
}

// agentCollector is the collector host the agent connects to first, for
// Telemetry.Config: agentHost, else the agent's default for a key that
// names no region.
func (c Config) agentCollector() string {
	return cmp.Or(c.agentHost(), "collector.newrelic.com")
}

// agentWarnings returns doubts about an agent-mode configuration: variables
// that only the otlp mode reads.
func (c Config) agentWarnings() []string {
	if c.Endpoint != "" {
		return []string{fmt.Sprintf("%s is set but NEW_RELIC_MODE=agent does not use it; the Go agent sends to New Relic's collector (%s overrides it)", envEndpoint, envHost)}
	}
	return nil
}

// agentOnlyWarnings names the Go agent's variables set in otlp mode, where
// they do nothing: a user relying on high-security mode or an attribute
// exclude must know that it is not applied.
func (c Config) agentOnlyWarnings() []string {
	var set []string
	for _, v := range []struct {
		name string
		on   bool
	}{
		{envHost, c.Host != ""},
		{envHighSecurity, c.HighSecurity},
		{envSecurityPolicies, c.SecurityPoliciesToken != ""},
		{envLabels, c.Labels != ""},
		{envAttributesExclude, len(c.AttributesExclude) > 0},
		{envAttributesInclude, len(c.AttributesInclude) > 0},
	} {
		if v.on {
			set = append(set, fmt.Sprintf("%s is set but applies to NEW_RELIC_MODE=agent only; it is ignored", v.name))
		}
	}
	return set
}
