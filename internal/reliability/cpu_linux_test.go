//go:build linux

package reliability_test

import (
	"syscall"
	"time"
)

// rusageThread is Linux's RUSAGE_THREAD: the calling thread's usage.
const rusageThread = 1

// threadCPU is the user and system CPU time of the calling thread; with
// runtime.LockOSThread, of the calling goroutine.
func threadCPU() time.Duration { return rusage(rusageThread) }

// processCPU is the user and system CPU time of the whole process.
func processCPU() time.Duration { return rusage(syscall.RUSAGE_SELF) }

func rusage(who int) time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(who, &u); err != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
