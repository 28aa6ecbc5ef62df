package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"go.opentelemetry.io/otel"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/internal/tracer"
	"github.com/otelswitch/otelswitch/profiles"
)

// Init reads the environment, builds the telemetry pipeline it describes and,
// unless WithoutGlobals is given, installs it globally. It returns every
// configuration problem at once and leaves nothing running when it fails.
// It does not wait on the network: backends connect on their first export.
func Init(ctx context.Context, opts ...Option) (*Telemetry, error) {
	p, err := Resolve(ctx, opts...)
	if err != nil {
		return nil, err
	}
	if p.SDKDisabled {
		return disabled(p), nil
	}
	backends := make([]*exporters.Backend, 0, len(p.Backends))
	for _, b := range p.Backends {
		backends = append(backends, b.Backend)
	}
	t, err := assemble(p, backends)
	if err != nil {
		shutdownAll(ctx, backends)
		return nil, err
	}
	if p.cfg.globals {
		installGlobals(t)
	}
	// The startup line and warnings are about this process's telemetry,
	// not the service's logs: they go to the local output only, never to
	// the backends' log pipelines.
	logStartup(t.localLogger, p)
	t.logger.Debug("telemetry ready", "config", t.config)
	return t, nil
}

func buildBackends(ctx context.Context, c options, s exporters.Settings, names []string) ([]*exporters.Backend, error) {
	var backends []*exporters.Backend
	var errs []error
	for _, name := range names {
		f, ok := c.registry.Lookup(name)
		if !ok {
			continue // resolveBackends reported it
		}
		b, err := f.New(ctx, s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		backends = append(backends, b)
	}
	return backends, errors.Join(errs...)
}

// resolved is what settings works out before any backend is built: checked,
// but nothing in it runs yet.
type resolved struct {
	settings exporters.Settings
	names    []string // the backends
	sampler  samplerChoice
	logs     logPlan
	limits   sdktrace.SpanLimits
}

// settings resolves everything the backends share, the backend names, the
// sampler, the log plan and the span limits, with every problem in one error.
func settings(ctx context.Context, e EnvInput, c options, p profiles.Profile) (resolved, error) {
	var r resolved
	var errs []error
	var err error
	r.names, err = resolveBackends(e, c, p)
	errs = append(errs, err)
	r.settings, err = backendSettings(ctx, e, c, p)
	errs = append(errs, err)
	r.limits, err = spanLimits(e.StandardEnv)
	errs = append(errs, err)
	r.logs, err = resolveLogs(e, p.Logs)
	errs = append(errs, err)
	r.settings.Logs, r.settings.LogBatch, r.settings.LogExportTimeout = r.logs.toBackends(), r.logs.batch, r.logs.timeout
	r.sampler, err = resolveSampler(e, p)
	errs = append(errs, err, checkRateLimit(e.SamplingEnv))
	// The backends report through the local output without correlation: the
	// correlating handler needs the backends (assemble builds it).
	r.settings.Logger, err = newLogger(c.logOutput, firstNonEmpty(e.LogFormat, p.LogFormat), e.LogLevel, nil)
	errs = append(errs, err)
	return r, errors.Join(errs...)
}

// backendSettings is the resource, batching, timeouts and metrics settings
// every backend is built with.
func backendSettings(ctx context.Context, e EnvInput, c options, p profiles.Profile) (exporters.Settings, error) {
	res, name, version, err := newResource(ctx, e, c, p.Name)
	s := exporters.Settings{
		Environment:    p.Name,
		Lookup:         c.lookup,
		Resource:       res,
		ServiceName:    name,
		ServiceVersion: version,
		Strict:         p.Strict,
		AllowInsecure:  e.AllowInsecure,
		Batch:          exporters.Batch{Delay: p.BatchDelay, MaxQueue: p.MaxQueue, MaxExport: p.MaxExport},
		ExportTimeout:  p.ExportTimeout,
		Metrics:        e.Metrics,
		MetricInterval: p.MetricInterval,
		NoRetry:        c.noRetry,
		RuntimeMetrics: e.RuntimeMetrics,
	}
	if e.Metrics && e.RuntimeMetrics {
		s.MetricProducers = append(s.MetricProducers, runtimeProducer())
	}
	// The standard OTEL_* variables override the profile, and the
	// TELEMETRY_* ones below override them (docs/configuration.md).
	return s, errors.Join(err, applyBatching(e.StandardEnv, &s), applyTimeouts(e, &s))
}

// applyTimeouts checks TELEMETRY_EXPORT_TIMEOUT, which overrides the
// profile's, and TELEMETRY_SHUTDOWN_TIMEOUT.
func applyTimeouts(e EnvInput, s *exporters.Settings) error {
	var errs []error
	if e.ExportTimeout != nil {
		if *e.ExportTimeout <= 0 {
			errs = append(errs, fmt.Errorf("%s=%s: want a positive duration", envExportTimeout, *e.ExportTimeout))
		}
		s.ExportTimeout = *e.ExportTimeout
	}
	if e.ShutdownTimeout != nil && *e.ShutdownTimeout <= 0 {
		errs = append(errs, fmt.Errorf("%s=%s: want a positive duration", envShutdownTimeout, *e.ShutdownTimeout))
	}
	return errors.Join(errs...)
}

// resolveBackends turns TELEMETRY_BACKEND, or the profile's default, into
// backend names.
func resolveBackends(e EnvInput, c options, p profiles.Profile) ([]string, error) {
	known := c.registry.Names()
	if e.Backend != "" {
		names := splitList(e.Backend)
		var errs []error
		for i, n := range names {
			if _, ok := c.registry.Lookup(n); !ok {
				errs = append(errs, fmt.Errorf("%s=%q: unknown backend %q; want one of %s", envBackend, e.Backend, n, strings.Join(known, ", ")))
			}
			if slices.Contains(names[:i], n) {
				errs = append(errs, fmt.Errorf("%s=%q: %q is listed twice", envBackend, e.Backend, n))
			}
		}
		if len(names) == 0 {
			errs = append(errs, fmt.Errorf("%s=%q: no backend named; want one or more of %s", envBackend, e.Backend, strings.Join(known, ", ")))
		}
		if len(names) > 1 && slices.Contains(names, "none") {
			errs = append(errs, fmt.Errorf("%s=%q: none cannot be combined with other backends", envBackend, e.Backend))
		}
		return names, errors.Join(errs...)
	}
	std, err := standardBackends(e.StandardEnv, c.lookup, len(p.Backends) > 0)
	if err != nil || std.Backends != nil {
		return std.Backends, err
	}
	if len(p.Backends) > 0 {
		return p.Backends, nil
	}
	var found []string
	for _, n := range known {
		if f, _ := c.registry.Lookup(n); f.Detect(c.lookup) {
			found = append(found, n)
		}
	}
	switch len(found) {
	case 1:
		return found, nil
	case 0:
		return nil, fmt.Errorf("%s is unset and no vendor credentials are set for ENVIRONMENT=%s; set %s to one of %s, or set a vendor's variables (%s)", envBackend, p.Name, envBackend, strings.Join(known, ", "), orList(c.registry.DetectVars()))
	default:
		return nil, fmt.Errorf("%s is unset and credentials for several vendors are set (%s); set %s to choose, e.g. %s=%s, or list them to send to each", envBackend, strings.Join(found, ", "), envBackend, envBackend, strings.Join(found, ","))
	}
}

// assemble builds the providers around the backends: the logger provider
// and the handlers of slog, the tracer provider and the meter provider, each
// by its own function.
func assemble(p *Plan, backends []*exporters.Backend) (*Telemetry, error) {
	t, err := newLogging(p, backends)
	if err != nil {
		return nil, err
	}
	t.backends = backends
	t.propagator, t.config.Propagators = p.propagator, p.propagators
	t.config.Signals = signalRoutes(backends, p.settings)
	t.config.Detectors = detectorOutcomes(p.cfg.detectors)
	s := p.settings
	t.config.Tuning = Tuning{
		BatchDelay: Duration(s.Batch.Delay), MaxQueue: s.Batch.MaxQueue, MaxExport: s.Batch.MaxExport,
		MetricInterval: Duration(s.MetricInterval), MetricTimeout: Duration(s.MetricTimeout), SpanLimits: p.limits,
	}
	for _, b := range backends {
		t.config.Backends = append(t.config.Backends, b.Name)
		t.config.Exporters[b.Name] = b.Config
	}
	newTracerProvider(t, p, backends)
	if err := newMeterProvider(t, p, backends); err != nil {
		t.stopSampler()
		return nil, err
	}
	return t, nil
}

// newLogging builds the logger provider of TELEMETRY_LOGS=export or both and
// the handler slog logs through, and returns the handle around them.
func newLogging(p *Plan, backends []*exporters.Backend) (*Telemetry, error) {
	e, c, plan := p.env, p.cfg, p.logs
	local, level, err := newLocalHandler(c.logOutput, firstNonEmpty(e.LogFormat, p.profile.LogFormat), e.LogLevel, correlator(backends))
	if err != nil {
		return nil, err
	}
	lp, sdkLoggers, err := loggerProviders(plan, p.settings.Resource, backends, c.logOutput)
	if err != nil {
		return nil, err
	}
	if plan.mode == logsExport && lp == nil {
		return nil, fmt.Errorf("%s=export: none of the backends (%s) takes logs, so they would go nowhere; set %s=local or both, or add a backend that takes logs (newrelic, elastic, otlp, datadog with DATADOG_MODE=otlp)", envLogs, strings.Join(backendNames(backends), ","), envLogs)
	}
	var handlers teeHandler
	if lp != nil {
		handlers = append(handlers, exportHandler(lp, level))
	}
	if plan.local() {
		handlers = append(handlers, local)
	}
	var h slog.Handler = handlers
	if len(handlers) == 1 {
		h = handlers[0]
	}
	t := newTelemetry(p, slog.New(h))
	t.localLogger = slog.New(local)
	t.loggerProvider, t.sdkLoggers = lp, sdkLoggers
	t.config.Logs, t.config.LogsExporter = plan.mode, plan.exporter
	return t, nil
}

// newTracerProvider builds the tracer provider: the sampler, the resource,
// the span limits and every backend's span processor, the recorder of the
// test profile and the processors given as options.
func newTracerProvider(t *Telemetry, p *Plan, backends []*exporters.Backend) {
	sampler, name, ratio, stop := chooseSampler(p, backends)
	t.stopSampler = stop
	t.config.Sampler, t.config.SamplerRatio = name, ratio
	topts := []tracer.Option{
		tracer.WithSampler(sampler), tracer.WithResource(p.settings.Resource), tracer.WithRawSpanLimits(p.limits),
	}
	for _, b := range backends {
		if b.SpanProcessor != nil {
			t.processors = append(t.processors, b.SpanProcessor)
		}
	}
	if p.profile.Record {
		t.recorder = tracetest.NewSpanRecorder()
		t.processors = append(t.processors, t.recorder)
	}
	t.processors = append(t.processors, p.cfg.processors...)
	for _, sp := range t.processors {
		topts = append(topts, tracer.WithSpanProcessor(sp))
	}
	t.tracer = tracer.NewProvider(topts...)
	t.tracerProvider = t.tracer
}

// chooseSampler is the sampler a backend brings when its vendor's sampling
// variables are set, else the one OTEL_TRACES_SAMPLER chose, built now (a
// remote one starts polling); stop ends it.
func chooseSampler(p *Plan, backends []*exporters.Backend) (s sdktrace.Sampler, name string, ratio float64, stop func()) {
	if vs, name := vendorSampler(backends); vs != nil {
		return withRateLimit(vs, p.env.SamplingEnv), name, 0, func() {}
	}
	s, stop = p.sampler.build(p.settings.ServiceName, p.env.SamplingEnv)
	return s, p.sampler.name, p.sampler.ratio, stop
}

// newMeterProvider builds the meter provider over every backend's reader
// and the readers given as options. When no reader takes metrics (jaeger,
// none, stdout), the no-op provider stays: the SDK's, with no reader, still
// resolves the attributes of every measurement, for nothing
// (docs/performance.md).
func newMeterProvider(t *Telemetry, p *Plan, backends []*exporters.Backend) error {
	var readers []sdkmetric.Option
	if p.env.Metrics {
		for _, b := range backends {
			if b.MetricReader != nil {
				readers = append(readers, sdkmetric.WithReader(b.MetricReader))
			}
		}
	}
	for _, r := range p.cfg.metricReaders {
		readers = append(readers, sdkmetric.WithReader(r))
	}
	if len(readers) == 0 {
		return nil
	}
	t.sdkMeter = sdkmetric.NewMeterProvider(append(readers, sdkmetric.WithResource(p.settings.Resource))...)
	t.meterProvider = t.sdkMeter
	if p.env.Metrics && p.env.RuntimeMetrics {
		return startRuntimeMetrics(t.sdkMeter)
	}
	return nil
}

// newTelemetry fills what every handle has, enabled or not.
func newTelemetry(p *Plan, logger *slog.Logger) *Telemetry {
	e, s, profile := p.env, p.settings, p.profile
	shutdownTimeout := profile.ShutdownTimeout
	if e.ShutdownTimeout != nil {
		shutdownTimeout = *e.ShutdownTimeout
	}
	return &Telemetry{
		tracerProvider:  tracenoop.NewTracerProvider(),
		meterProvider:   metricnoop.NewMeterProvider(),
		logger:          logger,
		shutdownTimeout: shutdownTimeout,
		stopSampler:     func() {},
		config: ResolvedConfig{
			Environment:     profile.Name,
			ServiceName:     s.ServiceName,
			ServiceVersion:  s.ServiceVersion,
			Metrics:         e.Metrics,
			SDKDisabled:     e.SDKDisabled,
			AllowInsecure:   e.AllowInsecure,
			ExportTimeout:   Duration(s.ExportTimeout),
			ShutdownTimeout: Duration(shutdownTimeout),
			LogFormat:       firstNonEmpty(e.LogFormat, profile.LogFormat),
			Exporters:       map[string]any{},
		},
	}
}

// disabled returns the handle of OTEL_SDK_DISABLED=true: no-op providers, the
// propagator still set so context keeps flowing through the service.
func disabled(p *Plan) *Telemetry {
	t := newTelemetry(p, p.settings.Logger)
	t.propagator, t.config.Propagators = p.propagator, p.propagators
	t.config.Sampler = "always_off"
	if p.cfg.globals {
		installGlobals(t)
	}
	return t
}

func installGlobals(t *Telemetry) {
	otel.SetTracerProvider(t.tracerProvider)
	otel.SetMeterProvider(t.meterProvider)
	otel.SetTextMapPropagator(t.propagator)
	if t.loggerProvider != nil {
		otel.SetLoggerProvider(t.loggerProvider)
	}
	// The SDK's own errors go to the local output only: exported, a failing
	// export would report itself through the export that fails.
	logger := t.localLogger
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		logger.Warn("opentelemetry error", "error", err.Error())
	}))
	slog.SetDefault(t.logger)
}

func shutdownAll(ctx context.Context, backends []*exporters.Backend) {
	for _, b := range backends {
		_ = shutdownBackend(ctx, b)
	}
}

func shutdownBackend(ctx context.Context, b *exporters.Backend) error {
	var errs []error
	if b.SpanProcessor != nil {
		errs = append(errs, b.SpanProcessor.Shutdown(ctx))
	}
	if b.MetricReader != nil {
		errs = append(errs, b.MetricReader.Shutdown(ctx))
	}
	if b.LogProcessor != nil {
		errs = append(errs, b.LogProcessor.Shutdown(ctx))
	}
	return errors.Join(errs...)
}

func backendNames(backends []*exporters.Backend) []string {
	names := make([]string, len(backends))
	for i, b := range backends {
		names[i] = b.Name
	}
	return names
}

// signalRoutes says, for Config, where each backend sends each signal.
func signalRoutes(backends []*exporters.Backend, s exporters.Settings) map[string]Signals {
	out := make(map[string]Signals, len(backends))
	for _, b := range backends {
		r := Signals{Traces: "exported", Metrics: "exported", Logs: "exported"}
		if b.SpanProcessor == nil {
			r.Traces = "none"
		}
		switch {
		case b.MetricReader != nil:
		case !s.Metrics:
			r.Metrics = "off (" + envMetrics + "=false)"
		default:
			r.Metrics = "none: this backend takes no metrics"
		}
		switch {
		case b.LogProcessor != nil:
		case b.LogsVia != "":
			r.Logs = b.LogsVia
		default:
			r.Logs = "local output only (" + envLogs + ", " + envLogsExporter + ")"
		}
		out[b.Name] = r
	}
	return out
}
