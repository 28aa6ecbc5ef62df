//go:build !linux

package reliability_test

import "time"

// Elsewhere the benchmarks report wall time only.
func threadCPU() time.Duration  { return 0 }
func processCPU() time.Duration { return 0 }
