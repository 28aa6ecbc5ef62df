package bootstrap

import (
	"fmt"
	"math"
	"sync/atomic"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/time/rate"
)

const envRateLimit = "TELEMETRY_SAMPLER_RATE_LIMIT"

// SamplingEnv holds otelswitch's own sampling variables.
type SamplingEnv struct {
	RateLimit *float64 `envconfig:"TELEMETRY_SAMPLER_RATE_LIMIT" desc:"Most new traces per second this process keeps, on top of whatever sampler decides (OTEL_TRACES_SAMPLER, remote, Datadog rules): a trace the sampler keeps beyond the limit is dropped. Only a trace's local root is limited, so a kept trace keeps all its spans here. Default unlimited."`
}

// checkRateLimit validates TELEMETRY_SAMPLER_RATE_LIMIT.
func checkRateLimit(se SamplingEnv) error {
	if r := se.RateLimit; r != nil && (*r <= 0 || math.IsInf(*r, 0) || math.IsNaN(*r)) {
		return fmt.Errorf("%s=%v: want a positive number of traces per second", envRateLimit, *r)
	}
	return nil
}

// rateLimited caps the traces next keeps at a rate, with a burst of one
// second's worth. It limits local roots only: a span whose parent is in
// this process is kept only if its parent was, so traces are never cut in
// half.
type rateLimited struct {
	next    sdktrace.Sampler
	limiter *rate.Limiter
	limit   float64
	dropped atomic.Int64
}

func withRateLimit(next sdktrace.Sampler, se SamplingEnv) sdktrace.Sampler {
	if se.RateLimit == nil {
		return next
	}
	r := *se.RateLimit
	return &rateLimited{next: next, limiter: rate.NewLimiter(rate.Limit(r), max(1, int(math.Ceil(r)))), limit: r}
}

func (s *rateLimited) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	res := s.next.ShouldSample(p)
	if res.Decision != sdktrace.RecordAndSample {
		return res
	}
	if psc := trace.SpanContextFromContext(p.ParentContext); psc.IsValid() && !psc.IsRemote() {
		if !psc.IsSampled() {
			// The root may have been dropped here: its children go with it.
			res.Decision, res.Attributes = sdktrace.Drop, nil
		}
		return res
	}
	if !s.limiter.Allow() {
		s.dropped.Add(1)
		res.Decision = sdktrace.Drop
		res.Attributes = nil
	}
	return res
}

func (s *rateLimited) Description() string {
	return fmt.Sprintf("RateLimited{%g/s,%s}", s.limit, s.next.Description())
}
