// Package testutil holds the helpers that tests across the repository's
// modules share, so each exists once: Env, a set of environment variables
// read through a lookup function; SeqIDs, trace and span IDs that come out
// the same run after run; SyncBuffer, a log buffer that goroutines
// may write to after a test has returned; and MarkdownTable, a doc's table
// for tests that hold it to the code.
package testutil

import (
	"bytes"
	"maps"
	"sync"
)

// Env is a test's environment: bootstrap.WithLookupEnv(env.Lookup) and
// Settings.Lookup read it as os.LookupEnv reads the process's, so tests never
// mutate the process environment.
type Env map[string]string

// Lookup returns the value of k and whether it is set.
func (e Env) Lookup(k string) (string, bool) { v, ok := e[k]; return v, ok }

// SyncBuffer collects log output that goroutines may write while, or after,
// a test reads it (t.Log would panic after the test returned).
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write implements io.Writer.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// With returns a copy of e with more's variables added, more winning.
func (e Env) With(more Env) Env {
	out := make(Env, len(e)+len(more))
	maps.Copy(out, e)
	maps.Copy(out, more)
	return out
}
