// Package shutdown holds the one way the library's queues stop: close the
// stop channel, then wait for the worker to finish or for the caller's
// deadline, abandoning the work in flight when the deadline comes first.
package shutdown
