package bootstrap_test

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestSamplingVariablesRejectBadValues(t *testing.T) {
	tests := []struct {
		env  env
		want string
	}{
		{env{"OTEL_TRACES_SAMPLER": "jaeger_remote", "OTEL_TRACES_SAMPLER_ARG": "endpoint=ftp://x"}, `OTEL_TRACES_SAMPLER_ARG="endpoint=ftp://x": endpoint "ftp://x" is not an http or https URL; want endpoint=<http URL>`},
		{env{"OTEL_TRACES_SAMPLER": "parentbased_jaeger_remote", "OTEL_TRACES_SAMPLER_ARG": "pollingIntervalMs=0"}, `pollingIntervalMs "0" is not a positive whole number`},
		{env{"OTEL_TRACES_SAMPLER": "jaeger_remote", "OTEL_TRACES_SAMPLER_ARG": "initialSamplingRate=2"}, `initialSamplingRate "2" is not a number from 0 to 1`},
		{env{"OTEL_TRACES_SAMPLER": "jaeger_remote", "OTEL_TRACES_SAMPLER_ARG": "rate=1"}, `unknown key "rate"`},
		{env{"TELEMETRY_SAMPLER_RATE_LIMIT": "0"}, `TELEMETRY_SAMPLER_RATE_LIMIT=0: want a positive number of traces per second`},
		{env{"TELEMETRY_SAMPLER_RATE_LIMIT": "many"}, `TELEMETRY_SAMPLER_RATE_LIMIT="many": want a number`},
	}
	for _, tt := range tests {
		if err := initErr(tt.env); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v; want it to contain %s", tt.env, err, tt.want)
		}
	}
}

// The sampling server is under the TLS policy of every endpoint: in
// staging and production plaintext goes to loopback only, unless
// TELEMETRY_ALLOW_INSECURE=true, and then with a warning.
func TestJaegerRemoteEndpointTLSPolicy(t *testing.T) {
	prod := func(arg string, more ...string) env {
		e := env{"ENVIRONMENT": "production", "OTEL_SERVICE_NAME": "books", "TELEMETRY_BACKEND": "none",
			"OTEL_TRACES_SAMPLER": "parentbased_jaeger_remote", "OTEL_TRACES_SAMPLER_ARG": arg, "TELEMETRY_LOG_FORMAT": "text"}
		for i := 0; i+1 < len(more); i += 2 {
			e[more[i]] = more[i+1]
		}
		return e
	}
	const refused = `OTEL_TRACES_SAMPLER_ARG="endpoint=http://sampling.internal:5778": plaintext to a host that is not loopback is refused in staging and production; use https, or set TELEMETRY_ALLOW_INSECURE=true`
	if err := initErr(prod("endpoint=http://sampling.internal:5778")); err == nil || !strings.Contains(err.Error(), refused) {
		t.Errorf("plaintext to another host in production: error %v; want %s", err, refused)
	}
	for _, e := range []env{
		prod("endpoint=https://sampling.internal:5778"),
		prod("endpoint=http://127.0.0.1:1"),
		prod(""), // the default, localhost:5778
		{"ENVIRONMENT": "development", "TELEMETRY_BACKEND": "none", "OTEL_TRACES_SAMPLER": "jaeger_remote", "OTEL_TRACES_SAMPLER_ARG": "endpoint=http://sampling.internal:5778"},
	} {
		_, logs := initEnv(t, e)
		if strings.Contains(logs.String(), "in plaintext") {
			t.Errorf("%v: warned about plaintext:\n%s", e, logs)
		}
	}
	_, logs := initEnv(t, prod("endpoint=http://sampling.internal:5778", "TELEMETRY_ALLOW_INSECURE", "true"))
	const warned = "sampler parentbased_jaeger_remote fetches its strategies in plaintext from http://sampling.internal:5778/sampling (OTEL_TRACES_SAMPLER_ARG), allowed by TELEMETRY_ALLOW_INSECURE=true"
	if !strings.Contains(logs.String(), warned) {
		t.Errorf("allowed plaintext without the warning %q:\n%s", warned, logs)
	}
}

// Without a sampling server, the remote sampler runs at its initial rate
// and Init does not wait for it.
func TestJaegerRemoteInitialRateWithoutServer(t *testing.T) {
	for _, tt := range []struct {
		rate string
		want bool
	}{{"0", false}, {"1", true}} {
		tel, _ := initEnv(t, env{"ENVIRONMENT": "test", "OTEL_TRACES_SAMPLER": "jaeger_remote",
			"OTEL_TRACES_SAMPLER_ARG": "endpoint=http://127.0.0.1:1/sampling,initialSamplingRate=" + tt.rate})
		_, span := tel.TracerProvider().Tracer("t").Start(context.Background(), "op")
		if span.SpanContext().IsSampled() != tt.want {
			t.Errorf("initialSamplingRate=%s: sampled %v", tt.rate, span.SpanContext().IsSampled())
		}
		span.End()
		if got := tel.Config().Sampler; got != "jaeger_remote" {
			t.Errorf("Config.Sampler %q", got)
		}
	}
}

// The rate limit composes with the sampler: a root the sampler drops stays
// dropped, and only roots count against the limit.
func TestRateLimitComposes(t *testing.T) {
	tel, _ := initEnv(t, env{"ENVIRONMENT": "test", "TELEMETRY_SAMPLER_RATE_LIMIT": "2", "OTEL_TRACES_SAMPLER": "always_on"})
	tr := tel.TracerProvider().Tracer("t")
	kept := 0
	start := time.Now()
	for range 50 {
		ctx, root := tr.Start(context.Background(), "root")
		for range 3 {
			_, c := tr.Start(ctx, "child")
			if c.SpanContext().IsSampled() != root.SpanContext().IsSampled() {
				t.Fatal("child decided apart from its root")
			}
			c.End()
		}
		if root.SpanContext().IsSampled() {
			kept++
		}
		root.End()
	}
	// The burst (2), plus what refilled meanwhile.
	if maxKept := 2 + int(time.Since(start).Seconds()*2) + 1; kept < 2 || kept > maxKept {
		t.Errorf("kept %d roots of 50 at 2 per second; want 2 to %d", kept, maxKept)
	}
	tel, _ = initEnv(t, env{"ENVIRONMENT": "test", "TELEMETRY_SAMPLER_RATE_LIMIT": "1000", "OTEL_TRACES_SAMPLER": "always_off"})
	_, span := tel.TracerProvider().Tracer("t").Start(context.Background(), "root")
	if span.SpanContext().IsSampled() {
		t.Error("the rate limit kept a root its sampler dropped")
	}
	span.End()
}
