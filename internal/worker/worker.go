package worker

import "context"

// Stop closes stop and waits for done. When ctx is done first it calls
// abandon, which makes the worker give up what is in flight, and returns
// ctx's error; the caller wraps it with what was shutting down.
func Stop(ctx context.Context, stop chan struct{}, done <-chan struct{}, abandon func()) error {
	close(stop)
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		abandon()
		return ctx.Err()
	}
}

// Flush hands the worker an acknowledgement channel through flush and
// waits until it closes it. It returns nil at once when done is closed (a
// stopped worker has nothing queued) and ctx's error when ctx is done
// first; the caller wraps it with what was flushing.
func Flush(ctx context.Context, flush chan<- chan struct{}, done <-chan struct{}) error {
	ack := make(chan struct{})
	select {
	case flush <- ack:
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-ack:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
