package bootstrap

import (
	"fmt"
	"strconv"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/profiles"
)

const samplerNames = "always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio, jaeger_remote, parentbased_jaeger_remote"

// newSampler resolves OTEL_TRACES_SAMPLER and its argument over the
// profile's defaults. It returns the sampler's name and ratio for Config.
// With start false it only checks: a remote sampler would start polling.
// stop, never nil, ends what the sampler started.
func newSampler(e EnvInput, p profiles.Profile, service string, start bool) (s sdktrace.Sampler, name string, ratio float64, stop func(), err error) {
	stop = func() {}
	name, ratio = p.Sampler, p.SamplerArg
	if e.Sampler != "" {
		name, ratio = e.Sampler, 1
	}
	if e.SamplerArg != "" && (name == "traceidratio" || name == "parentbased_traceidratio") {
		r, err := strconv.ParseFloat(e.SamplerArg, 64)
		if err != nil || r < 0 || r > 1 {
			return nil, "", 0, stop, fmt.Errorf("%s=%q: want a number from 0 to 1", envSamplerArg, e.SamplerArg)
		}
		ratio = r
	}
	switch name {
	case "always_on":
		s = sdktrace.AlwaysSample()
	case "always_off":
		s = sdktrace.NeverSample()
	case "traceidratio":
		s = sdktrace.TraceIDRatioBased(ratio)
	case "parentbased_always_on":
		s = sdktrace.ParentBased(sdktrace.AlwaysSample())
	case "parentbased_always_off":
		s = sdktrace.ParentBased(sdktrace.NeverSample())
	case "parentbased_traceidratio":
		s = sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))
	case "jaeger_remote", "parentbased_jaeger_remote":
		args, err := parseRemoteArgs(e.SamplerArg)
		if err != nil {
			return nil, "", 0, stop, err
		}
		s = sdktrace.AlwaysSample() // stands in while only checking
		if start {
			remote := newRemoteSampler(service, args)
			s, stop = remote, remote.Close
		}
		if name == "parentbased_jaeger_remote" {
			s = sdktrace.ParentBased(s)
		}
	default:
		return nil, "", 0, stop, fmt.Errorf("%s=%q: unknown sampler; want one of %s", envSampler, name, samplerNames)
	}
	if name != "traceidratio" && name != "parentbased_traceidratio" {
		ratio = 0
	}
	return withRateLimit(s, e.SamplingEnv), name, ratio, stop, nil
}

// vendorSampler returns the sampler a backend brings when its vendor's
// sampling variables are set (DD_TRACE_SAMPLE_RATE, DD_TRACE_SAMPLING_RULES
// in Datadog native mode); it wins over OTEL_TRACES_SAMPLER.
func vendorSampler(backends []*exporters.Backend) (sdktrace.Sampler, string) {
	for _, b := range backends {
		if b.Sampler != nil {
			return b.Sampler, b.Name + "_rules"
		}
	}
	return nil, ""
}
