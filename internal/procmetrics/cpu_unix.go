//go:build unix

package procmetrics

import "syscall"

// cpuTime returns the process's user and system CPU seconds.
func cpuTime() (user, system float64, ok bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0, false
	}
	seconds := func(tv syscall.Timeval) float64 { return float64(tv.Sec) + float64(tv.Usec)/1e6 }
	return seconds(ru.Utime), seconds(ru.Stime), true
}
