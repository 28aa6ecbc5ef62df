package lab

import "syscall"

// setParentDeathSignal kills the child if the process that started it dies
// without calling Close (a test binary hitting its -timeout, say), so no
// lab outlives its owner.
func setParentDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
