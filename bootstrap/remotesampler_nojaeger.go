//go:build otelswitch_nojaegerremote

package bootstrap

import (
	"fmt"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Built with otelswitch_nojaegerremote (docs/performance.md, "Slim builds"):
// the contrib Jaeger remote sampler, and the gogo protobuf and jaeger-idl
// packages it decodes strategies with (about 3 MB of binary), are left out.
// The sampler names stay known; choosing one is an Init error naming the tag.
func remoteSamplerBuilt(name string) error {
	return fmt.Errorf("%s=%s: the Jaeger remote sampler is not in this binary: it was built with -tags otelswitch_nojaegerremote, which leaves go.opentelemetry.io/contrib/samplers/jaegerremote out; rebuild without that tag to use %s",
		envSampler, name, name)
}

// newRemoteSampler is never called: remoteSamplerBuilt fails first.
func newRemoteSampler(string, remoteArgs) remoteSampler {
	return neverRemote{sdktrace.NeverSample()}
}

type neverRemote struct{ sdktrace.Sampler }

func (neverRemote) Close() {}
