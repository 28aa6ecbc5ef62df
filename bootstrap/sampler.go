package bootstrap

import (
	"fmt"
	"strconv"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/otelswitch/otelswitch/profiles"
)

const samplerNames = "always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio"

// newSampler resolves OTEL_TRACES_SAMPLER and its argument over the
// profile's defaults. It returns the sampler's name and ratio for Config.
func newSampler(e Env, p profiles.Profile) (sdktrace.Sampler, string, float64, error) {
	name, ratio := p.Sampler, p.SamplerArg
	if e.Sampler != "" {
		name, ratio = e.Sampler, 1
	}
	if e.SamplerArg != "" && (name == "traceidratio" || name == "parentbased_traceidratio") {
		r, err := strconv.ParseFloat(e.SamplerArg, 64)
		if err != nil || r < 0 || r > 1 {
			return nil, "", 0, fmt.Errorf("%s=%q: want a number from 0 to 1", envSamplerArg, e.SamplerArg)
		}
		ratio = r
	}
	var s sdktrace.Sampler
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
	default:
		return nil, "", 0, fmt.Errorf("%s=%q: unknown sampler; want one of %s", envSampler, name, samplerNames)
	}
	if name != "traceidratio" && name != "parentbased_traceidratio" {
		ratio = 0
	}
	return s, name, ratio, nil
}
