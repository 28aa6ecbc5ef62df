//go:build !unix

package procmetrics

func cpuTime() (user, system float64, ok bool) { return 0, 0, false }
