package bootstrap

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/internal/detect"
	"github.com/otelswitch/otelswitch/internal/tracer"
)

// Telemetry is the handle Init returns.
type Telemetry struct {
	tracerProvider trace.TracerProvider
	meterProvider  metric.MeterProvider
	propagator     propagation.TextMapPropagator
	logger         *slog.Logger
	localLogger    *slog.Logger // the local output alone, for the SDK's own errors
	loggerProvider log.LoggerProvider
	config         ResolvedConfig
	stopSampler    func() // stops a remote sampler's polling
	recorder       *tracetest.SpanRecorder

	tracer     *tracer.Provider         // nil when the SDK is disabled
	sdkMeter   *sdkmetric.MeterProvider // nil when metrics are off
	sdkLoggers []*sdklog.LoggerProvider // empty when logs are not exported
	backends   []*exporters.Backend
	processors []sdktrace.SpanProcessor // every processor, the backends' included

	shutdownTimeout time.Duration
	stopped         atomic.Bool
}

// TracerProvider returns the provider every span goes through.
func (t *Telemetry) TracerProvider() trace.TracerProvider { return t.tracerProvider }

// MeterProvider returns the provider whose metrics the backends export.
func (t *Telemetry) MeterProvider() metric.MeterProvider { return t.meterProvider }

// Propagator returns the propagator OTEL_PROPAGATORS selected.
func (t *Telemetry) Propagator() propagation.TextMapPropagator { return t.propagator }

// Logger returns the trace-correlated logger: records logged with a context
// carry the active span's IDs in the fields the chosen vendors link on.
func (t *Telemetry) Logger() *slog.Logger { return t.logger }

// LoggerProvider returns the provider the logger's records are exported
// through, for other log bridges (otelzap, otellogrus...), or nil when
// logs are not exported (TELEMETRY_LOGS=local, or no backend takes logs).
// Init also installs it as the global LoggerProvider.
func (t *Telemetry) LoggerProvider() log.LoggerProvider { return t.loggerProvider }

// Recorder returns the in-memory recorder of the test profile, which holds
// every ended span, or nil in other environments.
func (t *Telemetry) Recorder() *tracetest.SpanRecorder { return t.recorder }

// Config returns the resolved configuration. Credentials print as
// [REDACTED] under every printer and encoder.
func (t *Telemetry) Config() ResolvedConfig { return t.config }

// Format prints the handle as its resolved configuration, credentials
// redacted, under every verb. Without it fmt would print the handle's
// unexported fields, where a credential prints in full: fmt does not call
// the redacting methods of a value it reaches through an unexported field.
func (t *Telemetry) Format(f fmt.State, _ rune) {
	if t == nil {
		_, _ = io.WriteString(f, "<nil>")
		return
	}
	b, err := json.Marshal(t.config)
	if err != nil {
		_, _ = fmt.Fprintf(f, "Telemetry(config: %v)", err)
		return
	}
	_, _ = fmt.Fprintf(f, "Telemetry(%s)", b)
}

// Stats returns, for each backend, what it exported and what it lost.
func (t *Telemetry) Stats() []exporters.Stats {
	out := make([]exporters.Stats, 0, len(t.backends))
	for _, b := range t.backends {
		out = append(out, b.Stats.Snapshot())
	}
	return out
}

// ForceFlush sends everything queued to every backend at once, so a slow
// one does not eat the others' time, and waits for them or for ctx.
func (t *Telemetry) ForceFlush(ctx context.Context) error {
	return t.everyComponent(ctx, (*logQueue).Flush, component.ForceFlush)
}

// everyComponent runs queueStep on the log queue, when there is one, and
// then step on every component side by side: the queue first, for its
// records go to the processors. ForceFlush and Shutdown share it.
func (t *Telemetry) everyComponent(ctx context.Context, queueStep func(*logQueue, context.Context) error, step func(component, context.Context) error) error {
	fns := make([]func(context.Context) error, 0, len(t.processors)+1+len(t.sdkLoggers))
	for _, c := range t.components() {
		fns = append(fns, func(ctx context.Context) error { return step(c, ctx) })
	}
	var err error
	if q := t.logQueue(); q != nil {
		err = queueStep(q, ctx)
	}
	return errors.Join(err, concurrently(ctx, fns))
}

// logQueue is the hand-off in front of the log pipeline, nil without one.
func (t *Telemetry) logQueue() *logQueue {
	if qp, ok := t.loggerProvider.(*queuedProvider); ok {
		return qp.q
	}
	return nil
}

// component is what ForceFlush and Shutdown reach: a span processor, the
// meter provider or a logger provider.
type component interface {
	ForceFlush(context.Context) error
	Shutdown(context.Context) error
}

// components lists them, each once.
func (t *Telemetry) components() []component {
	cs := make([]component, 0, len(t.processors)+1+len(t.sdkLoggers))
	for _, p := range t.processors {
		cs = append(cs, p)
	}
	if t.sdkMeter != nil {
		cs = append(cs, t.sdkMeter)
	}
	for _, lp := range t.sdkLoggers {
		cs = append(cs, lp)
	}
	return cs
}

// Shutdown flushes and stops every backend, once. It returns by ctx's
// deadline or TELEMETRY_SHUTDOWN_TIMEOUT, whichever comes first; what is
// still queued then is dropped and counted in Stats.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	if !t.stopped.CompareAndSwap(false, true) {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, t.shutdownTimeout)
	defer cancel()
	// The tracer provider, as the SDK's, shuts processors down one after
	// another with one deadline, so a dead backend would leave the others
	// none. Shut them down side by side first; its own pass then finds
	// them stopped.
	err := t.everyComponent(ctx, (*logQueue).Close, component.Shutdown)
	if t.tracer != nil {
		err = errors.Join(err, t.tracer.Shutdown(ctx))
	}
	if t.stopSampler != nil {
		t.stopSampler()
	}
	if err != nil {
		return fmt.Errorf("telemetry shutdown: %w", err)
	}
	return nil
}

func concurrently(ctx context.Context, fns []func(context.Context) error) error {
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Go(func() { errs[i] = fn(ctx) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// ResolvedConfig is the result: the configuration Init resolved from the
// EnvInput and the options, which Telemetry.Config returns and the startup
// line and `otelswitch config` print. It prints as text and encodes as JSON;
// credentials show as [REDACTED].
type ResolvedConfig struct {
	Environment     string         `json:"environment"`
	Backends        []string       `json:"backends"`
	ServiceName     string         `json:"service_name"`
	ServiceVersion  string         `json:"service_version,omitempty"`
	Sampler         string         `json:"sampler"`
	SamplerRatio    float64        `json:"sampler_ratio,omitempty"`
	Propagators     []string       `json:"propagators"`
	Metrics         bool           `json:"metrics"`
	SDKDisabled     bool           `json:"sdk_disabled"`
	AllowInsecure   bool           `json:"allow_insecure"`
	ExportTimeout   Duration       `json:"export_timeout"`
	ShutdownTimeout Duration       `json:"shutdown_timeout"`
	LogFormat       string         `json:"log_format"`
	Exporters       map[string]any `json:"exporters"`
	Tuning          Tuning         `json:"tuning"`
	// Detectors tells what each cloud detector of OTEL_RESOURCE_DETECTORS
	// did; failures and timeouts are also logged once.
	Detectors []DetectorOutcome `json:"detectors,omitempty"`
	// Logs is TELEMETRY_LOGS (local, export or both), LogsExporter
	// OTEL_LOGS_EXPORTER.
	Logs         string `json:"logs"`
	LogsExporter string `json:"logs_exporter"`
	// Signals says, per backend, where its traces, metrics and logs go.
	Signals map[string]Signals `json:"signals"`
}

// Signals says where one backend sends each signal: "exported", or why not
// and where instead, such as "none: Jaeger stores traces only; logs stay on
// the local output".
type Signals struct {
	Traces  string `json:"traces"`
	Metrics string `json:"metrics"`
	Logs    string `json:"logs"`
}

// String renders c as indented JSON, the one text form that also shows each
// backend's settings.
func (c ResolvedConfig) String() string {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Sprintf("config: %v", err)
	}
	return string(b)
}

// Duration prints and encodes as Go's duration text, such as "10s".
type Duration time.Duration

func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// DetectorOutcome is what one cloud detector of OTEL_RESOURCE_DETECTORS did
// at Init. It is declared here, not taken from the internal package that
// runs the detectors, so that code outside the module can name it.
type DetectorOutcome struct {
	Name string `json:"name"`
	// Result is "detected", "not detected" (ran, found nothing: not on that
	// cloud), "failed" or "timed out".
	Result string   `json:"result"`
	Took   Duration `json:"took"`
	Error  string   `json:"error,omitempty"`
}

func detectorOutcomes(in []detect.Outcome) []DetectorOutcome {
	var out []DetectorOutcome
	for _, o := range in {
		out = append(out, DetectorOutcome{Name: o.Name, Result: o.Result, Took: Duration(o.Took), Error: o.Error})
	}
	return out
}
