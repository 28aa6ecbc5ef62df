package lab

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// DefaultWaitTimeout bounds WaitFor (and the WaitFor* methods) when the
// context has no deadline, so a missing span fails a test instead of
// hanging it.
const DefaultWaitTimeout = 20 * time.Second

// pollInterval is short because exports land within milliseconds on
// loopback, and long enough not to load the machine.
const pollInterval = 100 * time.Millisecond

// WaitFor calls check every 100ms until it returns true. An error from
// check does not stop the polling (the data may simply not have arrived);
// the last one is reported if the deadline passes. The deadline is ctx's,
// or DefaultWaitTimeout from now when ctx has none.
func WaitFor(ctx context.Context, check func(context.Context) (bool, error)) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultWaitTimeout)
		defer cancel()
	}
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	var last error
	for {
		ok, err := check(ctx)
		if ok {
			return nil
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			if last == nil {
				last = errors.New("condition never held")
			}
			return fmt.Errorf("lab: waiting: %w: %w", ctx.Err(), last)
		case <-tick.C:
		}
	}
}

// waitMatching polls fetch until at least n of its items satisfy match
// (nil matches all) and returns the matching ones; see WaitFor for the
// deadline. what and from name the items and their source in the error.
func waitMatching[T any](ctx context.Context, what, from string, n int, fetch func(context.Context) ([]T, error), match func(T) bool) ([]T, error) {
	var got []T
	err := WaitFor(ctx, func(ctx context.Context) (bool, error) {
		all, err := fetch(ctx)
		if err != nil {
			return false, err
		}
		got = got[:0]
		for _, x := range all {
			if match == nil || match(x) {
				got = append(got, x)
			}
		}
		if len(got) < n {
			return false, fmt.Errorf("%d matching %s from %s, want %d", len(got), what, from, n)
		}
		return true, nil
	})
	return got, err
}
