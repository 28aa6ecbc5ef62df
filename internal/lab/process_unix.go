//go:build unix

package lab

import (
	"errors"
	"syscall"
)

// sysProcAttr puts the child in a process group of its own, so that Close
// can signal everything it spawned and a Ctrl-C in the terminal (sent to the
// foreground group) reaches only the launcher, which then stops the lab in
// order.
func sysProcAttr() *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true}
	setParentDeathSignal(a)
	return a
}

func signalGroup(pgid int, kill bool) error {
	sig := syscall.SIGTERM
	if kill {
		sig = syscall.SIGKILL
	}
	err := syscall.Kill(-pgid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// groupAlive reports whether any process of the group is still running.
func groupAlive(pgid int) bool {
	return syscall.Kill(-pgid, 0) == nil
}
