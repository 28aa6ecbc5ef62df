package shutdown

import (
	"context"
	"errors"
	"testing"
)

func TestAwaitReturnsWhenTheWorkerStops(t *testing.T) {
	stop, done := make(chan struct{}), make(chan struct{})
	go func() { <-stop; close(done) }()
	abandoned := false
	if err := Await(context.Background(), stop, done, func() { abandoned = true }); err != nil || abandoned {
		t.Fatalf("Await = %v, abandoned %v; want nil, false", err, abandoned)
	}
}

func TestAwaitAbandonsAtTheDeadline(t *testing.T) {
	stop, done := make(chan struct{}), make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	abandoned := false
	err := Await(ctx, stop, done, func() { abandoned = true })
	if !errors.Is(err, context.Canceled) || !abandoned {
		t.Fatalf("Await = %v, abandoned %v; want context.Canceled, true", err, abandoned)
	}
	select {
	case <-stop:
	default:
		t.Fatal("stop was not closed")
	}
}
