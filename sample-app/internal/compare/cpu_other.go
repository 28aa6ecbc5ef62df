//go:build !unix

package compare

import "time"

// processCPU is not measured here: CPU per request shows as "-".
func processCPU() time.Duration { return 0 }
