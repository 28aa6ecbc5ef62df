package lab

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"time"
)

// Proc is a program a test runs beside a lab, such as a further collector
// with a config of the test's own (the scale-out test's agent and gateways)
// or the sample app's binary. Like the lab's own processes it runs in a
// process group of its own, logs to a file, and goes with the test process
// if that dies. Its methods must not run concurrently with each other.
type Proc struct {
	p         *process
	healthURL string
	client    *http.Client
}

// CollectorBinary returns the path of the lab's collector binary: otelcol
// in the directory OTELSWITCH_BIN names, else in bin/ at the module root.
// A missing binary gives an error wrapping ErrNotBuilt.
func CollectorBinary() (string, error) {
	dir, err := binDir(os.Getenv(envBin))
	if err != nil {
		return "", err
	}
	return binaryPath(dir, collectorBinary)
}

// StartProc starts bin with args and exactly the environment env, with
// stdout and stderr in logPath, and returns once GET healthURL answers 200.
// ctx bounds the wait (DefaultStartTimeout when it has no deadline). If the
// process exits first or the wait ends, StartProc kills it and returns an
// error ending with its log's tail.
func StartProc(ctx context.Context, name, bin string, args, env []string, logPath, healthURL string) (*Proc, error) {
	p, err := startProcess(name, bin, args, env, logPath)
	if err != nil {
		return nil, err
	}
	pr := &Proc{p: p, healthURL: healthURL, client: &http.Client{Timeout: 10 * time.Second}}
	if err := pr.waitHealthy(ctx); err != nil {
		_ = p.stop()
		return nil, err
	}
	return pr, nil
}

func (pr *Proc) waitHealthy(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultStartTimeout)
		defer cancel()
	}
	return waitHealthy(ctx, pr.client, pr.p, pr.healthURL)
}

// Kill stops the process as a crash would: SIGKILL to its process group,
// nothing flushed. It returns once the process has exited.
func (pr *Proc) Kill() error { return kill(pr.p) }

// Restart starts the process again after Kill (or after it exited), with
// the same arguments, environment and log file (the previous log is kept as
// NAME.1.log, ...), and returns once it is healthy; see StartProc for ctx.
func (pr *Proc) Restart(ctx context.Context) error {
	p, err := respawn(pr.p, nil)
	if err != nil {
		return err
	}
	pr.p = p
	return pr.waitHealthy(ctx)
}

// Stop asks the process to exit (SIGTERM), kills its group after 5 s, and
// returns once it has gone. It is safe to call after Kill or Stop.
func (pr *Proc) Stop() error { return pr.p.stop() }

// Pid returns the process's ID (its process group's too).
func (pr *Proc) Pid() int { return pr.p.cmd.Process.Pid }

// Log returns about the last n lines of the process's log, for failure
// messages.
func (pr *Proc) Log(n int) string {
	return fmt.Sprintf("--- %s ---\n%s", pr.p.logPath, pr.p.logTail(n))
}
