//go:build unix && !linux

package lab

import "syscall"

// setParentDeathSignal is a no-op where the kernel has no parent-death
// signal; Close still stops everything.
func setParentDeathSignal(*syscall.SysProcAttr) {}
