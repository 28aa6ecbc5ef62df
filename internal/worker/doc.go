// Package worker holds the two requests the library's queues answer from
// their one goroutine: Flush, which asks it to send what is queued and
// waits for its acknowledgement, and Stop, which closes its stop channel
// and waits for it to finish, abandoning the work in flight when the
// caller's deadline comes first.
package worker
