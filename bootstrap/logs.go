package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/contrib/bridges/otelslog"
	"go.opentelemetry.io/otel/exporters/stdout/stdoutlog"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/log/embedded"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/otelswitch/otelswitch/exporters"
)

// TELEMETRY_LOGS values: where the records of slog.Default and
// Telemetry.Logger go.
const (
	logsLocal  = "local"  // the local handler only (text or JSON)
	logsExport = "export" // the OpenTelemetry LoggerProvider only
	logsBoth   = "both"
)

// logPlan is what the log variables resolve to.
type logPlan struct {
	mode     string // logsLocal, logsExport or logsBoth
	exporter string // OTEL_LOGS_EXPORTER as given, lower-cased; "" means otlp
	// backends and console say what OTEL_LOGS_EXPORTER asks for: the
	// backends' log processors (otlp), the console exporter, or neither
	// (none).
	backends, console bool
	batch             exporters.Batch
	timeout           time.Duration // zero: the export timeout of the other signals
}

// local reports whether records go to the local handler.
func (p logPlan) local() bool { return p.mode != logsExport }

// export reports whether records go to the LoggerProvider.
func (p logPlan) export() bool { return p.mode != logsLocal && (p.backends || p.console) }

// toBackends reports whether the backends' log processors are wanted.
func (p logPlan) toBackends() bool { return p.export() && p.backends }

// resolveLogs reads TELEMETRY_LOGS, OTEL_LOGS_EXPORTER and OTEL_BLRP_*, each
// enum case-insensitively, with every problem in one error. The batch
// defaults are the specification's (1 s, 2048, 512); the export timeout
// defaults to the other signals', so Shutdown bounds all three alike.
func resolveLogs(e EnvInput, defaultMode string) (logPlan, error) {
	var errs []error
	p := logPlan{
		mode:     strings.ToLower(strings.TrimSpace(e.Logs)),
		exporter: strings.ToLower(strings.TrimSpace(e.StandardEnv.LogsExporter)),
		batch:    exporters.Batch{Delay: time.Second, MaxQueue: 2048, MaxExport: 512},
	}
	switch p.mode {
	case "":
		p.mode = defaultMode
	case logsLocal, logsExport, logsBoth:
	default:
		errs = append(errs, fmt.Errorf("%s=%q: unknown value; want local, export or both", envLogs, e.Logs))
		p.mode = logsLocal
	}
	// ParseExporters (exportervars.go) reports a bad value; here only what
	// it names matters.
	names, _ := ParseExporters(envLogsExporter, p.exporter)
	if p.exporter == "" {
		p.exporter, names = "otlp", []string{"otlp"}
	}
	p.backends = slices.Contains(names, "otlp")
	p.console = slices.Contains(names, "stdout")
	if p.mode == logsExport && !p.backends && !p.console {
		errs = append(errs, fmt.Errorf("%s=export with %s=none would write logs nowhere; set %s=local, or another exporter", envLogs, envLogsExporter, envLogs))
	}
	positive(&errs, envBLRPDelay, e.BLRPScheduleDelay, func(n int) { p.batch.Delay = millis(n) })
	positive(&errs, envBLRPTimeout, e.BLRPExportTimeout, func(n int) { p.timeout = millis(n) })
	positive(&errs, envBLRPMaxQueue, e.BLRPMaxQueueSize, func(n int) { p.batch.MaxQueue = n })
	positive(&errs, envBLRPMaxExport, e.BLRPMaxExportBatchSize, func(n int) { p.batch.MaxExport = n })
	if p.batch.MaxExport > p.batch.MaxQueue {
		errs = append(errs, fmt.Errorf("%s=%d is larger than %s=%d; want at most the queue size", envBLRPMaxExport, p.batch.MaxExport, envBLRPMaxQueue, p.batch.MaxQueue))
	}
	return p, errors.Join(errs...)
}

// loggerProviders builds the LoggerProviders behind the slog bridge: one
// with the service's resource for every backend that keeps it (and the
// console exporter), and one per backend that rewrites its resource, since
// a record's resource is its provider's. The returned provider fans out to
// all of them; it is nil when nothing takes logs.
func loggerProviders(p logPlan, res *resource.Resource, backends []*exporters.Backend, console io.Writer) (log.LoggerProvider, []*sdklog.LoggerProvider, error) {
	if !p.export() {
		return nil, nil, nil
	}
	var shared []sdklog.LoggerProviderOption
	var sdks []*sdklog.LoggerProvider
	for _, b := range backends {
		switch {
		case b.LogProcessor == nil:
		case b.LogResource != nil:
			sdks = append(sdks, sdklog.NewLoggerProvider(sdklog.WithResource(b.LogResource), sdklog.WithProcessor(b.LogProcessor)))
		default:
			shared = append(shared, sdklog.WithProcessor(b.LogProcessor))
		}
	}
	if p.console {
		exp, err := stdoutlog.New(stdoutlog.WithWriter(console))
		if err != nil {
			return nil, nil, fmt.Errorf("%s=console: %w", envLogsExporter, err)
		}
		shared = append(shared, sdklog.WithProcessor(sdklog.NewSimpleProcessor(exp)))
	}
	if len(shared) > 0 {
		sdks = append(sdks, sdklog.NewLoggerProvider(append(shared, sdklog.WithResource(res))...))
	}
	if len(sdks) == 0 {
		return nil, nil, nil
	}
	return queued(fanOut(sdks), p, res, backends), sdks, nil
}

// fanOut is the one provider the bridge writes to.
func fanOut(sdks []*sdklog.LoggerProvider) log.LoggerProvider {
	if len(sdks) == 1 {
		return sdks[0]
	}
	mp := multiProvider{}
	for _, s := range sdks {
		mp.providers = append(mp.providers, s)
	}
	return mp
}

// queued puts a logQueue in front of lp when every processor behind it
// only queues, so the conversion can leave the caller's goroutine. The
// console exporter writes as it is handed a record and the New Relic
// agent's processor records on the live transaction: with either, records
// are converted on the caller's goroutine, as they are written.
func queued(lp log.LoggerProvider, p logPlan, res *resource.Resource, backends []*exporters.Backend) log.LoggerProvider {
	if p.console {
		return lp
	}
	var drops []*exporters.SignalCounters
	for _, b := range backends {
		switch {
		case b.LogProcessor == nil:
		case !exporters.Deferrable(b.LogProcessor) || b.Stats == nil:
			return lp
		default:
			drops = append(drops, b.Stats.Logs())
		}
	}
	return &queuedProvider{lp, newLogQueue(p.batch.MaxQueue, drops, newWireSinks(res, backends))}
}

// multiProvider hands every record to several providers: the bridge turns
// a slog record into an OpenTelemetry one once, and each provider stamps it
// with its own resource.
type multiProvider struct {
	embedded.LoggerProvider
	providers []log.LoggerProvider
}

func (m multiProvider) Logger(name string, opts ...log.LoggerOption) log.Logger {
	l := multiLogger{}
	for _, p := range m.providers {
		l.loggers = append(l.loggers, p.Logger(name, opts...))
	}
	return l
}

type multiLogger struct {
	embedded.Logger
	loggers []log.Logger
}

func (m multiLogger) Emit(ctx context.Context, r log.Record) {
	for _, l := range m.loggers {
		l.Emit(ctx, r)
	}
}

func (m multiLogger) Enabled(ctx context.Context, p log.EnabledParameters) bool {
	for _, l := range m.loggers {
		if l.Enabled(ctx, p) {
			return true
		}
	}
	return false
}

// bridgeName is the instrumentation scope of records written through slog.
const bridgeName = "github.com/otelswitch/otelswitch/bootstrap"

// exportHandler is the slog handler that feeds lp, for records at level or
// above: the bridge alone would ask the provider, which takes every level.
// With a logQueue in front of lp, the bridge runs on the queue's goroutine.
func exportHandler(lp log.LoggerProvider, level slog.Leveler) slog.Handler {
	next := levelHandler{otelslog.NewHandler(bridgeName, otelslog.WithLoggerProvider(lp)), level}
	if qp, ok := lp.(*queuedProvider); ok {
		return queuedHandler{next: next, q: qp.q}
	}
	return next
}

type levelHandler struct {
	slog.Handler
	level slog.Leveler
}

func (h levelHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.level.Level() && h.Handler.Enabled(ctx, l)
}

func (h levelHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return levelHandler{h.Handler.WithAttrs(attrs), h.level}
}

func (h levelHandler) WithGroup(name string) slog.Handler {
	return levelHandler{h.Handler.WithGroup(name), h.level}
}

// teeHandler writes each record to every handler that wants it. The local
// handler comes last: it adds the correlation fields to the record, which
// the exported copy carries as trace and span IDs instead.
type teeHandler []slog.Handler

func (t teeHandler) Enabled(ctx context.Context, l slog.Level) bool {
	for _, h := range t {
		if h.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

// Handle joins the handlers' errors only when there are some: a slice of
// them was an allocation per record on the caller's goroutine.
func (t teeHandler) Handle(ctx context.Context, r slog.Record) error {
	var err error
	for i, h := range t {
		if !h.Enabled(ctx, r.Level) {
			continue
		}
		rec := r
		if i < len(t)-1 {
			rec = r.Clone()
		}
		if e := h.Handle(ctx, rec); e != nil {
			err = errors.Join(err, e)
		}
	}
	return err
}

func (t teeHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	out := make(teeHandler, len(t))
	for i, h := range t {
		out[i] = h.WithAttrs(attrs)
	}
	return out
}

func (t teeHandler) WithGroup(name string) slog.Handler {
	out := make(teeHandler, len(t))
	for i, h := range t {
		out[i] = h.WithGroup(name)
	}
	return out
}
