package compare

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/otelswitch/otelswitch/bootstrap"
	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/internal/lab"
	"github.com/otelswitch/otelswitch/sample-app/internal/app"
	"github.com/otelswitch/otelswitch/sample-app/internal/load"
)

// Run compares the backends against the lab l: a warm-up and a baseline
// with telemetry off, a run per backend alone, then one with every backend
// at once. It fails only on bad options, or when the baseline cannot run;
// a backend that fails is reported in its Delivery. When ctx ends early it
// returns what it measured so far, marked Interrupted, with ctx's error.
func Run(ctx context.Context, l *lab.Lab, opts ...Option) (*Report, error) {
	c, bs, err := prepare(opts)
	if err != nil {
		return nil, fmt.Errorf("compare: %w", err)
	}
	dir, cleanup, err := runDir(c.logDir)
	if err != nil {
		return nil, fmt.Errorf("compare: %w", err)
	}
	defer cleanup()

	r := &runner{c: c, l: l, dir: dir, total: runs(bs)}
	rep := newReport(c, l)
	if err := r.warmup(ctx); err != nil {
		return nil, fmt.Errorf("compare: %w", err)
	}
	r.say("run 1/%d: off, the baseline (OTEL_SDK_DISABLED=true)", r.total)
	rep.Baseline = r.run(ctx, "off", nil, c.duration)
	if ctx.Err() != nil {
		return interrupted(ctx, rep)
	}
	if rep.Baseline.Err != "" {
		return nil, fmt.Errorf("compare: baseline: %s", rep.Baseline.Err)
	}
	fan := r.alone(ctx, rep, bs)
	if ctx.Err() != nil {
		return interrupted(ctx, rep)
	}
	r.fanOut(ctx, rep, fan)
	if ctx.Err() != nil {
		return interrupted(ctx, rep)
	}
	return rep, nil
}

// prepare applies opts and checks them, returning the backends to compare.
func prepare(opts []Option) (config, []backend, error) {
	c := newConfig(opts)
	bs, err := lookupBackends(c)
	if err != nil {
		return c, nil, err
	}
	var errs []error
	if c.duration <= 0 {
		errs = append(errs, fmt.Errorf("duration %s: want more than 0", c.duration))
	}
	if c.concurrency <= 0 {
		errs = append(errs, fmt.Errorf("concurrency %d: want at least 1", c.concurrency))
	}
	for name := range c.backendEnv {
		if !slices.ContainsFunc(bs, func(b backend) bool { return b.name == name }) {
			errs = append(errs, fmt.Errorf("variables for backend %q, which is not compared", name))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return c, nil, err
	}
	if c.mix == nil {
		c.mix = load.DefaultMix
	}
	if c.runID == "" {
		b := make([]byte, 2)
		_, _ = rand.Read(b)
		c.runID = hex.EncodeToString(b)
	}
	return c, bs, nil
}

// runDir returns the directory for the runs' logs and databases: logDir,
// or a temporary one that cleanup removes.
func runDir(logDir string) (dir string, cleanup func(), err error) {
	if logDir != "" {
		return logDir, func() {}, os.MkdirAll(logDir, 0o755)
	}
	dir, err = os.MkdirTemp("", "sample-app-compare-")
	if err != nil {
		return "", nil, err
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}

func newReport(c config, l *lab.Lab) *Report {
	where := "Jaeger " + l.JaegerUI + ", collector output in " + l.Dir
	if c.gateway != nil {
		where += "; gateway " + c.gateway.Endpoint + " exporting to the lab's " + c.gateway.Store
	}
	return &Report{
		Started: time.Now().UTC().Truncate(time.Second),
		Settings: Settings{
			Backends: c.backends, Duration: c.duration, Concurrency: c.concurrency, Seed: c.seed,
			Mix: c.mix.String(), Environment: c.environment, Version: c.version, RunID: c.runID,
			Lab: where,
		},
		Machine: thisMachine(),
	}
}

// interrupted returns what rep measured before ctx ended.
func interrupted(ctx context.Context, rep *Report) (*Report, error) {
	rep.Interrupted = true
	return rep, fmt.Errorf("compare: %w", ctx.Err())
}

// warmup runs the workload with telemetry off, unreported.
func (r *runner) warmup(ctx context.Context) error {
	if r.c.warmup <= 0 {
		return nil
	}
	r.say("warm-up: %s with telemetry off, not reported", r.c.warmup)
	if w := r.run(ctx, "warmup", nil, r.c.warmup); w.Err != "" {
		return fmt.Errorf("warm-up: %s", w.Err)
	}
	return nil
}

// alone runs each backend by itself and returns the ones the fan-out takes:
// those that started, one per TELEMETRY_BACKEND value (one process runs one
// Datadog mode) and one per store (two counted in one place would each count
// the other's spans).
func (r *runner) alone(ctx context.Context, rep *Report, bs []backend) []backend {
	var fan []backend
	for i, b := range bs {
		r.say("run %d/%d: %s alone, to %s", i+2, r.total, b.name, b.standIn)
		run := r.run(ctx, b.name, []backend{b}, r.c.duration)
		run.Cost = costOf(run.Requests, rep.Baseline.Requests)
		rep.Alone = append(rep.Alone, run)
		if ctx.Err() != nil {
			return nil
		}
		if run.Deliveries[0].StartErr == "" && fanOutTakes(fan, b) {
			fan = append(fan, b)
		}
	}
	return fan
}

// runs counts the reported runs: the baseline, each backend alone, and the
// fan-out when at least two backends can join it.
func runs(bs []backend) int {
	var fan []backend
	for _, b := range bs {
		if fanOutTakes(fan, b) {
			fan = append(fan, b)
		}
	}
	if len(fan) > 1 {
		return len(bs) + 2
	}
	return len(bs) + 1
}

// fanOutTakes reports whether b can join fan: one backend per
// TELEMETRY_BACKEND value and one per store.
func fanOutTakes(fan []backend, b backend) bool {
	return !slices.ContainsFunc(fan, func(f backend) bool { return f.telemetry == b.telemetry || f.store == b.store })
}

// fanOut runs the backends of fan at once from one process, when there are
// at least two.
func (r *runner) fanOut(ctx context.Context, rep *Report, fan []backend) {
	if len(fan) < 2 {
		return
	}
	names := make([]string, len(fan))
	for i, b := range fan {
		names[i] = b.name
	}
	r.say("run %d/%d: fan-out to %s at once", r.total, r.total, strings.Join(names, ", "))
	run := r.run(ctx, "fanout", fan, r.c.duration)
	run.Name = "fan-out"
	run.Cost = costOf(run.Requests, rep.Baseline.Requests)
	rep.FanOut = &run
}

type runner struct {
	c   config
	l   *lab.Lab
	dir string
	// total is how many reported runs there are, for progress lines.
	total int
}

func (r *runner) say(format string, args ...any) {
	fmt.Fprintf(r.c.progress, "compare: "+format+"\n", args...)
}

// env is the environment of a run with members fanned out, or telemetry
// off without any.
func (r *runner) env(service string, members []backend) map[string]string {
	env := map[string]string{
		"ENVIRONMENT":       r.c.environment,
		"OTEL_SERVICE_NAME": service,
		"SERVICE_VERSION":   r.c.version,
		// Every signal, as a service moving to a vendor would send them.
		"TELEMETRY_LOGS":    "both",
		"TELEMETRY_METRICS": "true",
		app.EnvAddr:         "127.0.0.1:0",
		app.EnvDatabaseURL:  "sqlite:" + filepath.Join(r.dir, service+".db"),
	}
	if len(members) == 0 {
		// Off means off: no-op providers, not an SDK exporting nowhere
		// (TELEMETRY_BACKEND=none alone still records every span). Strict
		// profiles want a backend named even so.
		env["OTEL_SDK_DISABLED"] = "true"
		env["TELEMETRY_BACKEND"] = "none"
	}
	var names []string
	for _, b := range members {
		names = append(names, b.telemetry)
		maps.Copy(env, b.env(r.l))
	}
	if len(names) > 0 {
		env["TELEMETRY_BACKEND"] = strings.Join(names, ",")
	}
	maps.Copy(env, r.c.env)
	for _, b := range members {
		maps.Copy(env, r.c.backendEnv[b.name])
	}
	return env
}

// run starts an instance with members, drives it for d, shuts it down and
// counts what each member stored.
func (r *runner) run(ctx context.Context, name string, members []backend, d time.Duration) Pass {
	service := fmt.Sprintf("compare-%s-%s", r.c.runID, name)
	run := Pass{Name: name, Service: service}
	for _, b := range members {
		run.Backends = append(run.Backends, b.name)
		run.Deliveries = append(run.Deliveries, Delivery{Backend: b.name, StoredExact: true, Sampled: b.sampled})
	}
	// Count only what arrives from now on.
	counters, err := startCounters(r.l, &run, members)
	if err != nil {
		return run.failed(err)
	}
	made := &spanCounter{}
	inst, closeLog, err := r.start(ctx, service, members, made)
	if err != nil {
		return run.failed(err)
	}
	shutdownTook := r.drive(ctx, &run, inst, d)
	closeLog()
	for _, cnt := range counters {
		if j, ok := cnt.(*jaegerCounter); ok {
			j.expect(run.Requests.Count)
		}
	}
	run.SpansMade = made.n.Load()
	sentBy(run.Deliveries, members, inst.Telemetry.Stats())

	settleStart := time.Now()
	if len(members) > 0 {
		r.settle(ctx, run.Deliveries, counters, members)
	}
	for i, b := range members {
		r.countSignals(ctx, &run.Deliveries[i], b, service)
	}
	settleTook := time.Since(settleStart)
	for i := range run.Deliveries {
		run.Deliveries[i].judge(run.SpansMade)
	}
	r.say("  %d requests, %.0f req/s, p50 %s, p99 %s; %d spans made%s; shutdown took %s, counting %s", run.Requests.Count, run.Requests.RPS,
		fmtDuration(run.Requests.P50), fmtDuration(run.Requests.P99), run.SpansMade, summarize(run.Deliveries),
		shutdownTook.Round(time.Millisecond), settleTook.Round(time.Millisecond))
	return run
}

// failed marks the run and each of its deliveries as not started.
func (run Pass) failed(err error) Pass {
	run.Err = err.Error()
	for i := range run.Deliveries {
		run.Deliveries[i].StartErr = err.Error()
		run.Deliveries[i].judge(0)
	}
	return run
}

// startCounters starts a counter per member, noting in run where each
// counts.
func startCounters(l *lab.Lab, run *Pass, members []backend) ([]counter, error) {
	counters := make([]counter, len(members))
	for i, b := range members {
		cnt, err := b.counter(l, run.Service)
		if err != nil {
			return nil, err
		}
		counters[i] = cnt
		run.Deliveries[i].StoredFrom = cnt.from()
	}
	return counters, nil
}

// start starts the run's instance of the books service, logging to a file
// that closeLog closes.
func (r *runner) start(ctx context.Context, service string, members []backend, made *spanCounter) (inst *app.Instance, closeLog func(), err error) {
	env := r.env(service, members)
	logFile, err := os.Create(filepath.Join(r.dir, service+".log"))
	if err != nil {
		return nil, nil, err
	}
	inst, err = app.Start(ctx, func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		bootstrap.WithoutGlobals(), bootstrap.WithLogOutput(logFile), bootstrap.WithSpanProcessor(made))
	if err != nil {
		logFile.Close()
		return nil, nil, err
	}
	return inst, func() { logFile.Close() }, nil
}

// drive runs the workload against inst for d and shuts it down, noting the
// requests and any error in run. It returns how long the shutdown took.
func (r *runner) drive(ctx context.Context, run *Pass, inst *app.Instance, d time.Duration) time.Duration {
	cpuStart := processCPU()
	var progress io.Writer
	if r.c.progress != io.Discard {
		progress = r.c.progress
	}
	res, lerr := load.Run(ctx, load.Config{
		URL: inst.URL, Duration: d, Concurrency: r.c.concurrency, Seed: r.c.seed, Mix: r.c.mix,
		Progress: progress,
	})
	cpu := processCPU() - cpuStart
	// Shutdown flushes telemetry within TELEMETRY_SHUTDOWN_TIMEOUT.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	shutdownStart := time.Now()
	serr := inst.Shutdown(sctx)
	shutdownTook := time.Since(shutdownStart)
	if lerr != nil {
		run.Err = lerr.Error()
	} else if serr != nil {
		run.Err = "shutting down: " + serr.Error()
	}
	run.Requests = requestsOf(res.Summary())
	if run.Requests.Count > 0 {
		run.Requests.CPU = cpu / time.Duration(run.Requests.Count)
	}
	return shutdownTook
}

// sentBy copies what the sender saw for each member into its delivery.
func sentBy(ds []Delivery, members []backend, stats []exporters.Stats) {
	for i, b := range members {
		dl := &ds[i]
		for _, s := range stats {
			if s.Backend == b.telemetry {
				dl.Sent, dl.Dropped, dl.Queued = s.SpansExported, s.SpansDropped, s.SpansQueued
				dl.Exports, dl.FailedExports, dl.Bytes = s.Exports, s.FailedExports, s.BytesSent
				dl.ExportP50, dl.ExportP99, dl.LastError = s.ExportLatencyP50, s.ExportLatencyP99, s.LastError
				dl.Logs = SignalDelivery{Sent: s.Logs.Exported, Dropped: s.Logs.Dropped, Bytes: s.Logs.BytesSent, Stored: -1}
				dl.Metrics = SignalDelivery{Sent: s.Metrics.Exported, Dropped: s.Metrics.Dropped, Bytes: s.Metrics.BytesSent, Stored: -1}
			}
		}
	}
}

// countSignals reads back the log records and metric points b's stand-in
// stored. The collector writes each export as it takes it, and Shutdown has
// flushed every signal, so one read after the spans have settled suffices.
func (r *runner) countSignals(ctx context.Context, d *Delivery, b backend, service string) {
	if b.signals == nil {
		d.Logs.Where = cmp.Or(b.noSignals, "none: "+b.name+" takes no logs or metrics")
		d.Metrics.Where = d.Logs.Where
		return
	}
	logs, points, err := b.signals.count(ctx, r.l, service)
	where := "collector receiver " + string(b.signals.src) + " (its output file)"
	if err != nil {
		where = "could not count: " + err.Error()
	}
	d.Logs.Stored, d.Logs.Where = logs, where
	d.Metrics.Stored, d.Metrics.Where = points, where
	if b.name == "datadog" {
		d.Logs.Stored, d.Logs.Where = -1, "stdout JSON with dd.* fields, for the Agent to tail"
	}
}

func summarize(ds []Delivery) string {
	var b strings.Builder
	for _, d := range ds {
		fmt.Fprintf(&b, "; %s sent %d, stored %d (%s)", d.Backend, d.Sent, d.Stored, d.Status)
	}
	return b.String()
}

// settleRounds is how many polls in a row must see the same count before a
// count that is short of what was sent is taken as final.
const settleRounds = 4

// settlePoll is the time between polls.
const settlePoll = 500 * time.Millisecond

// settle polls the counters until each count reaches what its backend
// sent, or stops changing, or WithSettle's bound (plus the longest hold)
// passes. A member's count is not taken before its hold has passed.
func (r *runner) settle(ctx context.Context, ds []Delivery, counters []counter, members []backend) {
	var hold time.Duration
	for _, b := range members {
		hold = max(hold, b.hold)
	}
	ctx, cancel := context.WithTimeout(ctx, r.c.settle+hold)
	defer cancel()
	start := time.Now()
	polls := make([]settlePoller, len(ds))
	for i := range polls {
		polls[i] = settlePoller{d: &ds[i], cnt: counters[i], hold: members[i].hold, last: -1}
	}
	for {
		pending := 0
		for i := range polls {
			if !polls[i].poll(ctx, time.Since(start)) {
				pending++
			}
		}
		if pending == 0 {
			return
		}
		select {
		case <-ctx.Done():
			// Still changing: what was counted is a lower bound.
			for i := range polls {
				if !polls[i].done() && ds[i].StoreErr == "" {
					ds[i].StoredExact = false
				}
			}
			return
		case <-time.After(settlePoll):
		}
	}
}

// settlePoller follows one delivery's count while it settles.
type settlePoller struct {
	d    *Delivery
	cnt  counter
	hold time.Duration
	// same is how many polls in a row saw the count last.
	same int
	last int64
}

func (p *settlePoller) done() bool { return p.same >= settleRounds }

// poll counts once, elapsed after the settling began, and reports whether
// the count is final.
func (p *settlePoller) poll(ctx context.Context, elapsed time.Duration) bool {
	if p.done() {
		return true
	}
	if elapsed < p.hold {
		return false
	}
	n, exact, seen, err := p.cnt.count(ctx)
	if err != nil {
		if ctx.Err() != nil {
			p.d.StoreErr = "still changing when the wait ended: " + err.Error()
			return true
		}
		p.d.StoreErr = err.Error()
		return false
	}
	d := p.d
	d.StoreErr = ""
	d.Stored, d.StoredExact, d.Seen = n, exact, seen
	switch {
	case n >= d.Sent && n > 0 && d.Queued == 0 && d.FailedExports == 0:
		p.same = settleRounds // everything sent is there
	case n == p.last:
		p.same++
	default:
		p.same = 0
	}
	p.last = n
	return p.done()
}

// spanCounter counts the spans the application ends.
type spanCounter struct{ n atomic.Int64 }

func (c *spanCounter) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (c *spanCounter) OnEnd(sdktrace.ReadOnlySpan)                     { c.n.Add(1) }
func (c *spanCounter) Shutdown(context.Context) error                  { return nil }
func (c *spanCounter) ForceFlush(context.Context) error                { return nil }
