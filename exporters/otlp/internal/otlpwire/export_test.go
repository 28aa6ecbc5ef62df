package otlpwire

// SharedHits is how many spans encoders took from s instead of encoding.
func SharedHits(s *Shared) int64 { return s.hits.Load() }

// SharedLen is how many spans s holds.
func SharedLen(s *Shared) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}
