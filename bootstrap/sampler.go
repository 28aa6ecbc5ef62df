package bootstrap

import (
	"fmt"
	"strconv"
	"strings"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/profiles"
)

const samplerNames = "always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio, jaeger_remote, parentbased_jaeger_remote"

// samplerChoice is OTEL_TRACES_SAMPLER and its argument over the profile's
// defaults, checked but not built: building a remote sampler starts polling.
type samplerChoice struct {
	name   string
	ratio  float64    // for the traceidratio samplers; 0 for the others
	remote remoteArgs // for the jaeger_remote samplers
}

// resolveSampler checks OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG.
func resolveSampler(e EnvInput, p profiles.Profile) (samplerChoice, error) {
	ch := samplerChoice{name: p.Sampler, ratio: p.SamplerArg}
	if e.Sampler != "" {
		ch.name, ch.ratio = e.Sampler, 1
	}
	switch ch.name {
	case "traceidratio", "parentbased_traceidratio":
		if e.SamplerArg == "" {
			return ch, nil
		}
		r, err := strconv.ParseFloat(e.SamplerArg, 64)
		if err != nil || r < 0 || r > 1 {
			return samplerChoice{}, fmt.Errorf("%s=%q: want a number from 0 to 1", envSamplerArg, e.SamplerArg)
		}
		ch.ratio = r
		return ch, nil
	case "jaeger_remote", "parentbased_jaeger_remote":
		var err error
		ch.ratio = 0
		ch.remote, err = parseRemoteArgs(e.SamplerArg, p.Strict, e.AllowInsecure)
		if err == nil {
			err = remoteSamplerBuilt(ch.name)
		}
		return ch, err
	case "always_on", "always_off", "parentbased_always_on", "parentbased_always_off":
		ch.ratio = 0
		return ch, nil
	}
	return samplerChoice{}, fmt.Errorf("%s=%q: unknown sampler; want one of %s", envSampler, ch.name, samplerNames)
}

// build makes the chosen sampler for service, under the rate limit of se. A
// remote sampler starts polling here; stop, never nil, ends it.
func (ch samplerChoice) build(service string, se SamplingEnv) (s sdktrace.Sampler, stop func()) {
	stop = func() {}
	switch strings.TrimPrefix(ch.name, "parentbased_") {
	case "always_on":
		s = sdktrace.AlwaysSample()
	case "always_off":
		s = sdktrace.NeverSample()
	case "traceidratio":
		s = sdktrace.TraceIDRatioBased(ch.ratio)
	case "jaeger_remote":
		remote := newRemoteSampler(service, ch.remote)
		s, stop = remote, remote.Close
	}
	if strings.HasPrefix(ch.name, "parentbased_") {
		s = sdktrace.ParentBased(s)
	}
	return withRateLimit(s, se), stop
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
