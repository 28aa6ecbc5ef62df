//go:build !otelswitch_nojaegerremote

package bootstrap

import (
	"go.opentelemetry.io/contrib/samplers/jaegerremote"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// remoteSamplerBuilt is nil: this binary has the Jaeger remote sampler
// (remotesampler_nojaeger.go replaces it under otelswitch_nojaegerremote).
func remoteSamplerBuilt(string) error { return nil }

// newRemoteSampler starts polling the strategies for service. The first
// fetch happens in the background; until it answers, initialSamplingRate
// applies, so Init never waits on the sampling server.
func newRemoteSampler(service string, a remoteArgs) remoteSampler {
	return jaegerremote.New(service,
		jaegerremote.WithSamplingServerURL(a.endpoint),
		jaegerremote.WithSamplingRefreshInterval(a.polling),
		jaegerremote.WithInitialSampler(sdktrace.TraceIDRatioBased(a.initial)),
	)
}
