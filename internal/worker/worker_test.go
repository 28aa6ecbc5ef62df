package worker

import (
	"context"
	"errors"
	"testing"
)

func TestStopReturnsWhenTheWorkerStops(t *testing.T) {
	stop, done := make(chan struct{}), make(chan struct{})
	go func() { <-stop; close(done) }()
	abandoned := false
	if err := Stop(context.Background(), stop, done, func() { abandoned = true }); err != nil || abandoned {
		t.Fatalf("Stop = %v, abandoned %v; want nil, false", err, abandoned)
	}
}

func TestStopAbandonsAtTheDeadline(t *testing.T) {
	stop, done := make(chan struct{}), make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	abandoned := false
	err := Stop(ctx, stop, done, func() { abandoned = true })
	if !errors.Is(err, context.Canceled) || !abandoned {
		t.Fatalf("Stop = %v, abandoned %v; want context.Canceled, true", err, abandoned)
	}
	select {
	case <-stop:
	default:
		t.Fatal("stop was not closed")
	}
}

func TestFlushWaitsForTheAcknowledgement(t *testing.T) {
	flush, done := make(chan chan struct{}), make(chan struct{})
	acked := make(chan bool, 1)
	go func() { ack := <-flush; acked <- true; close(ack) }()
	if err := Flush(context.Background(), flush, done); err != nil {
		t.Fatalf("Flush = %v; want nil", err)
	}
	select {
	case <-acked:
	default:
		t.Fatal("Flush returned before the worker took the request")
	}
}

func TestFlushOfAStoppedWorkerReturns(t *testing.T) {
	done := make(chan struct{})
	close(done)
	if err := Flush(context.Background(), make(chan chan struct{}), done); err != nil {
		t.Fatalf("Flush = %v; want nil", err)
	}
}

func TestFlushGivesUpWithCtx(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Flush(ctx, make(chan chan struct{}), make(chan struct{})); !errors.Is(err, context.Canceled) {
		t.Fatalf("Flush = %v; want context.Canceled", err)
	}
}
