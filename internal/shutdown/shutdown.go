package shutdown

import "context"

// Await closes stop and waits for done. When ctx is done first it calls
// abandon, which makes the worker give up what is in flight, and returns
// ctx's error; the caller wraps it with what was shutting down.
func Await(ctx context.Context, stop chan struct{}, done <-chan struct{}, abandon func()) error {
	close(stop)
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		abandon()
		return ctx.Err()
	}
}
