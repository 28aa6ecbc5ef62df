package newrelic

import (
	"fmt"
	"strings"
)

// keyRegion returns the region a licence key names, read as New Relic's
// agents read it: what comes before the key's first 'x' (go-agent v3's
// preconnectRegionLicenseRegex, `(^.+?)x`, in newrelic/config.go), such as
// "eu01" for an eu01xx... key. US keys are hexadecimal and hold no 'x', so
// they name none and "" is returned.
func keyRegion(key string) string {
	i := strings.IndexByte(key, 'x')
	if i <= 0 {
		return ""
	}
	return key[:i]
}

// regionKeyPrefix is the key region each NEW_RELIC_REGION value goes with;
// "" means keys that name no region.
var regionKeyPrefix = map[string]string{
	"us":      "",
	"eu":      "eu01",
	"fedramp": "",
}

// resolvedRegion is where a configuration sends: a NEW_RELIC_REGION name
// (us, eu, fedramp) or, for a key naming a region that variable has no name
// for, that region (such as eu02), whose hosts the agents derive the same
// way.
type resolvedRegion struct {
	name      string // us, eu, fedramp, or "" when only key is set
	key       string // the key's region, such as eu01
	otlpHost  string
	agentHost string // "" leaves the choice to the Go agent, which reads the key
}

// resolveRegion reconciles NEW_RELIC_REGION with the licence key's region.
// Unset, the key decides, as it does for New Relic's agents; set, it must
// agree with a key that names a region, or the error names both. A key that
// names no region goes wherever NEW_RELIC_REGION says.
func (c Config) resolveRegion() (resolvedRegion, error) {
	kr := strings.ToLower(keyRegion(string(c.LicenseKey)))
	if kr != "" && !isHostLabel(kr) {
		// Not a region: not the format New Relic documents. Left to the
		// region variable rather than turned into a host name.
		kr = ""
	}
	if c.Region == "" {
		switch kr {
		case "":
			return resolvedRegion{name: "us", otlpHost: regionHosts["us"]}, nil
		case regionKeyPrefix["eu"]:
			return resolvedRegion{name: "eu", key: kr, otlpHost: regionHosts["eu"], agentHost: agentRegionHosts["eu"]}, nil
		}
		return resolvedRegion{key: kr, otlpHost: "otlp." + kr + ".nr-data.net", agentHost: "collector." + kr + ".nr-data.net"}, nil
	}
	name := c.region()
	want, ok := regionKeyPrefix[name]
	if !ok {
		return resolvedRegion{}, fmt.Errorf("%s=%q: unknown region; want %s", envRegion, c.Region, regionNames)
	}
	if kr != "" && kr != want {
		return resolvedRegion{}, fmt.Errorf("%s=%q contradicts %s, whose region is %q (the key's prefix before its first x, which New Relic's agents send to); unset %s to follow the key, or use the key of the account in %s",
			envRegion, c.Region, envLicenseKey, kr, envRegion, name)
	}
	return resolvedRegion{name: name, key: kr, otlpHost: regionHosts[name], agentHost: agentRegionHosts[name]}, nil
}

// isHostLabel reports whether s can stand as one label of a host name.
func isHostLabel(s string) bool {
	if len(s) == 0 || len(s) > 63 {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return false
		}
	}
	return s[0] != '-' && s[len(s)-1] != '-'
}
