package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	otellog "go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/otelswitch/otelswitch/bootstrap"
	"github.com/otelswitch/otelswitch/exporters"
)

// result is the outcome of one probe: one signal to one backend.
type result struct {
	Backend  string `json:"backend"`
	Signal   string `json:"signal"`
	Endpoint string `json:"endpoint,omitempty"`
	// Reached: something answered at the endpoint (even with a refusal).
	Reached bool `json:"reached"`
	// Accepted: the backend took the data.
	Accepted  bool    `json:"accepted"`
	LatencyMS float64 `json:"latency_ms"`
	// Problem is one of refused, timeout, dns, tls, plaintext, unauthorized,
	// not_found, rejected, failed; empty when accepted.
	Problem string `json:"problem,omitempty"`
	Error   string `json:"error,omitempty"`
	// Fix says, in terms of the variables the user set, what to change.
	Fix string `json:"fix,omitempty"`

	latency time.Duration
}

func (r result) summary() string {
	lat := r.latency.Round(time.Millisecond)
	switch {
	case r.Accepted:
		return fmt.Sprintf("accepted in %s", lat)
	case r.Reached:
		return fmt.Sprintf("reached but REJECTED after %s: %s", lat, r.Error)
	default:
		return fmt.Sprintf("NOT REACHED after %s: %s", lat, r.Error)
	}
}

// probe sends one span, one metric point where the backend takes metrics
// and one log record where it exports logs, through the backend's own processor and reader: the very path a
// service's data takes.
func probe(ctx context.Context, plan *bootstrap.Plan, b bootstrap.PlannedBackend, timeout time.Duration) []result {
	var out []result
	be := b.Backend
	if be.SpanProcessor != nil {
		out = append(out, probeSpans(ctx, plan, b, timeout))
	}
	if be.MetricReader != nil {
		out = append(out, probeMetrics(ctx, plan, b, timeout))
	}
	if be.LogProcessor != nil {
		out = append(out, probeLogs(ctx, plan, b, timeout))
	}
	return out
}

func probeSpans(ctx context.Context, plan *bootstrap.Plan, b bootstrap.PlannedBackend, timeout time.Duration) result {
	be := b.Backend
	var before exporters.Stats
	if be.Stats != nil {
		before = be.Stats.Snapshot()
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSampler(sdktrace.AlwaysSample()),
		sdktrace.WithResource(plan.Resource()),
		sdktrace.WithSpanProcessor(be.SpanProcessor),
	)
	_, span := tp.Tracer("github.com/otelswitch/otelswitch/cmd/otelswitch").Start(ctx, "otelswitch doctor probe")
	span.End()

	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	ferr := be.SpanProcessor.ForceFlush(pctx)
	took := time.Since(start)

	err := verdict(be.Stats != nil, before.Spans(), snapshot(be).Spans(), ferr, pctx.Err(), "span")
	return outcome(b, exporters.EndpointTraces, took, err, timeout)
}

func probeMetrics(ctx context.Context, plan *bootstrap.Plan, b bootstrap.PlannedBackend, timeout time.Duration) result {
	mp := sdkmetric.NewMeterProvider(
		sdkmetric.WithReader(b.Backend.MetricReader),
		sdkmetric.WithResource(plan.Resource()),
	)
	c, err := mp.Meter("github.com/otelswitch/otelswitch/cmd/otelswitch").Int64Counter("otelswitch.doctor.probe")
	if err == nil {
		c.Add(ctx, 1)
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	if err == nil {
		err = mp.ForceFlush(pctx)
	}
	return outcome(b, exporters.EndpointMetrics, time.Since(start), err, timeout)
}

// probeLogs emits one log record through the backend's log processor and
// flushes it, judging the outcome by the backend's log counters as
// probeSpans does by its span counters.
func probeLogs(ctx context.Context, plan *bootstrap.Plan, b bootstrap.PlannedBackend, timeout time.Duration) result {
	be := b.Backend
	before := snapshot(be).Logs
	res := plan.Resource()
	if be.LogResource != nil {
		res = be.LogResource
	}
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(be.LogProcessor), sdklog.WithResource(res))
	var rec otellog.Record
	rec.SetTimestamp(time.Now())
	rec.SetSeverity(otellog.SeverityInfo)
	rec.SetBody(attribute.StringValue("otelswitch doctor probe"))
	lp.Logger("github.com/otelswitch/otelswitch/cmd/otelswitch").Emit(ctx, rec)

	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	ferr := be.LogProcessor.ForceFlush(pctx)
	took := time.Since(start)

	err := verdict(be.Stats != nil, before, snapshot(be).Logs, ferr, pctx.Err(), "log record")
	return outcome(b, exporters.EndpointLogs, took, err, timeout)
}

// verdict judges a probe by the backend's counters for its signal, taken
// before and after the flush: an export counted means accepted, a failed
// export counted gives the backend's own error; without counters (counted
// is false), the flush's error or the deadline decides.
func verdict(counted bool, before, after exporters.SignalStats, flushErr, ctxErr error, what string) error {
	switch {
	case counted && after.Exported > before.Exported:
		return nil
	case counted && after.FailedExports > before.FailedExports:
		return errors.New(after.LastError)
	case flushErr != nil:
		return flushErr
	case ctxErr != nil:
		return ctxErr
	case counted:
		return fmt.Errorf("the %s was not exported and no error was reported", what)
	}
	return nil
}

func snapshot(b *exporters.Backend) exporters.Stats {
	if b.Stats == nil {
		return exporters.Stats{}
	}
	return b.Stats.Snapshot()
}

func outcome(b bootstrap.PlannedBackend, signal string, took time.Duration, err error, timeout time.Duration) result {
	ep := endpointFor(b, signal)
	r := result{Backend: b.Name, Signal: signal, Endpoint: ep.URL, latency: took, LatencyMS: float64(took.Microseconds()) / 1000}
	if err == nil {
		r.Reached, r.Accepted = true, true
		return r
	}
	r.Error = err.Error()
	r.Reached, r.Problem, r.Fix = diagnose(b.Name, r.Error, ep, timeout)
	return r
}

func endpointFor(b bootstrap.PlannedBackend, signal string) exporters.Endpoint {
	for _, e := range b.Endpoints {
		if e.Signal == signal {
			return e
		}
	}
	return exporters.Endpoint{Signal: signal}
}
