// Package load drives a books service with a bounded, reproducible mix of
// requests and measures what it sees.
//
// [Run] stops at Config.Requests requests or after Config.Duration, whichever
// comes first, with Config.Concurrency workers. Request number i is always the
// same kind of request for the same Config.Seed, whatever the concurrency, so
// two runs (say, with two telemetry backends) send the same mix; the one
// exception is a read, update or delete while no book is known yet, which
// becomes a create. While it
// runs, a progress line is rewritten on Config.Progress once per
// Config.ProgressInterval. The [Result] keeps every sample, so callers can
// compute their own statistics; [Result.Summary] and [Result.ByOp] give the
// usual ones (requests, errors, throughput, p50/p90/p99 latency).
//
// An error is a request that got no response or a 5xx. GET /error answers
// 500 by design, so the default mix reports a small, steady error rate; drop
// it with a Mix that leaves "error" out.
package load
