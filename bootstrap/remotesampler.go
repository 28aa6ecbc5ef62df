package bootstrap

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/otelswitch/otelswitch/exporters/otlp"
)

// Defaults of the specification's jaeger_remote arguments. The Go sampler
// fetches strategies over HTTP, from Jaeger's remote_sampling extension or
// an OpenTelemetry Collector's jaegerremotesampling extension (port 5778).
const (
	defaultRemoteEndpoint = "http://localhost:5778/sampling"
	defaultRemotePolling  = time.Minute
	defaultRemoteInitial  = 0.001
)

// remoteArgs are OTEL_TRACES_SAMPLER_ARG's keys for jaeger_remote.
type remoteArgs struct {
	endpoint string
	polling  time.Duration
	initial  float64
}

// parseRemoteArgs reads endpoint=...,pollingIntervalMs=...,initialSamplingRate=...
// as the specification spells them; every key is optional. The endpoint is
// under the TLS policy of every other endpoint (checkRemoteEndpoint).
func parseRemoteArgs(arg string, strict, allowInsecure bool) (remoteArgs, error) {
	a := remoteArgs{endpoint: defaultRemoteEndpoint, polling: defaultRemotePolling, initial: defaultRemoteInitial}
	bad := func(why string) error {
		return fmt.Errorf("%s=%q: %s; want endpoint=<http URL>,pollingIntervalMs=<positive whole number>,initialSamplingRate=<0 to 1>", envSamplerArg, arg, why)
	}
	for _, item := range strings.Split(arg, ",") {
		if strings.TrimSpace(item) == "" {
			continue
		}
		k, v, ok := strings.Cut(item, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok {
			return a, bad(fmt.Sprintf("%q is not key=value", item))
		}
		if why := a.set(k, v); why != "" {
			return a, bad(why)
		}
	}
	return a, checkRemoteEndpoint(arg, a.endpoint, strict, allowInsecure)
}

// set sets key k to v, or says why it cannot.
func (a *remoteArgs) set(k, v string) (why string) {
	switch k {
	case "endpoint":
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Sprintf("endpoint %q is not an http or https URL", v)
		}
		if u.Path == "" || u.Path == "/" {
			u.Path = "/sampling" // the specification's examples give host:port only
		}
		a.endpoint = u.String()
	case "pollingIntervalMs":
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return fmt.Sprintf("pollingIntervalMs %q is not a positive whole number", v)
		}
		a.polling = time.Duration(n) * time.Millisecond
	case "initialSamplingRate":
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r < 0 || r > 1 {
			return fmt.Sprintf("initialSamplingRate %q is not a number from 0 to 1", v)
		}
		a.initial = r
	default:
		return fmt.Sprintf("unknown key %q", k)
	}
	return ""
}

// checkRemoteEndpoint applies the exporters' TLS policy to the sampling
// server: strategies decide what is recorded, so in staging and production
// they come over https unless the server is this machine or the user set
// TELEMETRY_ALLOW_INSECURE=true. The rule and its wording are the OTLP
// targets' (otlp.Target.CheckTransport), not a copy.
func checkRemoteEndpoint(arg, endpoint string, strict, allowInsecure bool) error {
	u, err := url.Parse(endpoint)
	if err != nil {
		return err // parseRemoteArgs built it from a parsed URL
	}
	value := arg
	if value == "" {
		value = "endpoint=" + endpoint
	}
	t := otlp.Target{URL: u, EndpointVar: envSamplerArg, EndpointValue: value}
	return t.CheckTransport(strict, allowInsecure)
}

// remoteSampler is a sampler polling a sampling server; Close stops it.
type remoteSampler interface {
	sdktrace.Sampler
	Close()
}

// remoteEndpoint is the sampling server e's sampler polls, or "" when the
// sampler is not a remote one (or its argument is wrong: Init reports it).
func remoteEndpoint(e EnvInput) string {
	if !strings.HasSuffix(strings.ToLower(e.Sampler), "jaeger_remote") {
		return ""
	}
	a, err := parseRemoteArgs(e.SamplerArg, false, true)
	if err != nil {
		return ""
	}
	return a.endpoint
}
