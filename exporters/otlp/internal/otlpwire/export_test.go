package otlpwire

// SharedHits is how many spans encoders took from s instead of encoding.
func SharedHits(s *Shared) int64 { return s.hits.Load() }

// SharedLen is how many spans s holds, alone or in requests.
func SharedLen(s *Shared) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.m)
	for _, b := range s.batches {
		n += len(b.spans)
	}
	return n
}

// SharedBySpan says whether s shares span by span (batches do not line up).
func SharedBySpan(s *Shared) bool { return s.bySpan.Load() }

// SharedRingHeld is how many span keys s's ring holds.
func SharedRingHeld(s *Shared) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, k := range s.ring {
		if k != nil {
			n++
		}
	}
	return n
}
