//go:build unix

package lab

import (
	"errors"
	"syscall"
)

// signalStop freezes (SIGSTOP) or thaws (SIGCONT) a process group.
func signalStop(pgid int, stop bool) error {
	sig := syscall.SIGCONT
	if stop {
		sig = syscall.SIGSTOP
	}
	err := syscall.Kill(-pgid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}
