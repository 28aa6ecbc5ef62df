package store

import (
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Option configures [Open].
type Option interface{ apply(config) config }

type optionFunc func(config) config

func (f optionFunc) apply(c config) config { return f(c) }

type config struct {
	tracerProvider trace.TracerProvider
	meterProvider  metric.MeterProvider
}

func newConfig(opts []Option) config {
	c := config{tracerProvider: otel.GetTracerProvider(), meterProvider: otel.GetMeterProvider()}
	for _, o := range opts {
		c = o.apply(c)
	}
	return c
}

// WithTracerProvider sets where SQL spans go; the default is the global one.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(c config) config { c.tracerProvider = tp; return c })
}

// WithMeterProvider sets where connection-pool and SQL metrics go; the default
// is the global one.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c config) config { c.meterProvider = mp; return c })
}
