package lab

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// stopGrace is how long a process gets to exit after SIGTERM before the
// lab kills its whole process group.
const stopGrace = 5 * time.Second

// process is one lab binary running in its own process group, with stdout
// and stderr going to a log file.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed when the process has exited
	waitErr error         // valid after done is closed
}

func startProcess(name, bin string, args, env []string, logPath string) (*process, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("lab: %s log: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("lab: starting %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has ended, and how.
func (p *process) exited() (bool, error) {
	select {
	case <-p.done:
		if p.waitErr == nil {
			return true, errors.New("exit status 0")
		}
		return true, p.waitErr
	default:
		return false, nil
	}
}

// stop asks the process group to terminate, then kills it after stopGrace.
// The group is killed in any case, so helpers a binary may have spawned go
// too.
func (p *process) stop() error {
	pgid := p.cmd.Process.Pid // Setpgid makes the child its group's leader
	if ok, _ := p.exited(); !ok {
		_ = signalGroup(pgid, false)
		select {
		case <-p.done:
		case <-time.After(stopGrace):
		}
	}
	_ = signalGroup(pgid, true)
	select {
	case <-p.done:
	case <-time.After(stopGrace):
		return fmt.Errorf("lab: %s (pid %d) did not exit after SIGKILL", p.name, pgid)
	}
	return nil
}

// logTail returns about the last n lines of the process's log.
func (p *process) logTail(n int) string {
	return tailFile(p.logPath, n)
}

func tailFile(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	const maxBytes = 16 << 10
	if fi, err := f.Stat(); err == nil && fi.Size() > maxBytes {
		if _, err := f.Seek(-maxBytes, io.SeekEnd); err != nil {
			return ""
		}
	}
	b, _ := io.ReadAll(f)
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.TrimSpace(string(bytes.Join(lines, []byte("\n"))))
}
