package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// Outages on demand, for reliability tests: a backend that crashes, comes
// back, or hangs. None of these methods may run concurrently with each other,
// with Wait or with Close; a test calls them from its own goroutine.

// errAttached is returned for a lab this process did not start.
var errAttached = errors.New("lab: an attached lab's processes belong to another process")

// KillJaeger stops Jaeger as a crash would: SIGKILL to its process group,
// with no chance to flush or to answer what is in flight. Its in-memory
// storage goes with it. It returns once the process has exited, so its
// ports refuse connections. RestartJaeger brings it back.
func (l *Lab) KillJaeger() error { return kill(l.jaeger) }

// RestartJaeger starts Jaeger again after KillJaeger (or after it died), with
// the same configuration and on the same ports, and returns once it reports
// healthy; ctx bounds the wait (DefaultStartTimeout when it has no deadline).
// Its storage starts empty. The previous log is kept beside the new one as
// jaeger.1.log, jaeger.2.log, ...
func (l *Lab) RestartJaeger(ctx context.Context) error {
	return l.restart(ctx, &l.jaeger, "http://"+l.ports.addr(portJaegerHealth)+"/status", nil)
}

// KillCollector stops the collector as a crash would (see KillJaeger). What
// its file exporters had not flushed yet is lost; what they had written
// stays in the files, which RestartCollector appends to.
func (l *Lab) KillCollector() error { return kill(l.collector) }

// RestartCollector starts the collector again after KillCollector, with the
// same configuration, credentials and ports, and returns once it reports
// healthy (see RestartJaeger).
func (l *Lab) RestartCollector(ctx context.Context) error {
	// The file exporter truncates its file when it starts unless told to
	// append; --set overrides the rendered config without rewriting it.
	var appendArgs []string
	for _, src := range Sources {
		appendArgs = append(appendArgs, "--set=exporters::file/"+string(src)+"::append=true")
	}
	return l.restart(ctx, &l.collector, "http://"+l.ports.addr(portCollectorHealth)+"/", appendArgs)
}

// StopJaeger stops Jaeger as an orderly restart would: SIGTERM, so it
// finishes the requests in flight and refuses new connections, then SIGKILL
// after a grace period. RestartJaeger brings it back; only a store on disk
// (WithJaegerOnDisk) keeps what it had.
func (l *Lab) StopJaeger() error { return stopGracefully(l.jaeger) }

// StopCollector stops the collector gracefully (see StopJaeger): its file
// exporters flush what they were given, so nothing it accepted is lost.
func (l *Lab) StopCollector() error { return stopGracefully(l.collector) }

func stopGracefully(p *process) error {
	if p == nil {
		return errAttached
	}
	return p.stop()
}

// PauseJaeger freezes Jaeger with SIGSTOP: the kernel still accepts
// connections on its ports, but nothing reads or answers them, which is the
// backend that accepts and never answers. ResumeJaeger (SIGCONT) lets it go
// on; call it before Close, which would otherwise wait out its grace period
// before killing the frozen process.
func (l *Lab) PauseJaeger() error { return freeze(l.jaeger, true) }

// ResumeJaeger undoes PauseJaeger.
func (l *Lab) ResumeJaeger() error { return freeze(l.jaeger, false) }

// PauseCollector freezes the collector with SIGSTOP (see PauseJaeger).
func (l *Lab) PauseCollector() error { return freeze(l.collector, true) }

// ResumeCollector undoes PauseCollector.
func (l *Lab) ResumeCollector() error { return freeze(l.collector, false) }

func kill(p *process) error {
	if p == nil {
		return errAttached
	}
	if err := signalGroup(p.cmd.Process.Pid, true); err != nil {
		return fmt.Errorf("lab: killing %s: %w", p.name, err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(stopGrace):
		return fmt.Errorf("lab: %s (pid %d) did not exit after SIGKILL", p.name, p.cmd.Process.Pid)
	}
}

func freeze(p *process, stop bool) error {
	if p == nil {
		return errAttached
	}
	if done, why := p.exited(); done {
		return fmt.Errorf("lab: %s is not running (%v)", p.name, why)
	}
	if err := signalStop(p.cmd.Process.Pid, stop); err != nil {
		return fmt.Errorf("lab: pausing or resuming %s: %w", p.name, err)
	}
	return nil
}

// restart starts *pp's binary again with its arguments (plus extra, once)
// and environment, and replaces *pp, so Close and Logs see the new process.
func (l *Lab) restart(ctx context.Context, pp **process, healthURL string, extra []string) error {
	if *pp == nil {
		return errAttached
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultStartTimeout)
		defer cancel()
	}
	p, err := respawn(*pp, extra)
	if err != nil {
		return err
	}
	*pp = p
	return l.waitHealthy(ctx, p, healthURL)
}

// respawn starts old's binary again, once it has exited, with the same
// arguments (plus extra, once), environment and log path; the previous log
// is kept beside the new one as NAME.1.log, NAME.2.log, ...
func respawn(old *process, extra []string) (*process, error) {
	if done, _ := old.exited(); !done {
		return nil, fmt.Errorf("lab: %s is still running; kill it first", old.name)
	}
	base := strings.TrimSuffix(old.logPath, ".log")
	for n := 1; ; n++ {
		kept := fmt.Sprintf("%s.%d.log", base, n)
		if _, err := os.Stat(kept); err == nil {
			continue
		}
		if err := os.Rename(old.logPath, kept); err != nil {
			return nil, fmt.Errorf("lab: keeping %s's log: %w", old.name, err)
		}
		break
	}
	args := slices.Clone(old.cmd.Args[1:])
	for _, a := range extra {
		if !slices.Contains(args, a) {
			args = append(args, a)
		}
	}
	return startProcess(old.name, old.cmd.Path, args, old.cmd.Env, old.logPath)
}
