package datadog

import (
	"context"
	"errors"

	"github.com/otelswitch/otelswitch/exporters"
)

// WaitStarted waits until b's dd-trace-go tracer has started, so a test can
// exercise the mirroring of spans that start after it.
func WaitStarted(ctx context.Context, b *exporters.Backend) error {
	p, ok := b.SpanProcessor.(*nativeProcessor)
	if !ok {
		return errors.New("not a native-mode backend")
	}
	select {
	case <-p.started:
		return p.startErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

// UseMirror makes the next native backends mirror every span into
// dd-trace-go, the path before the wire encoder, for the differential test.
func UseMirror(on bool) { mirrorPath.Store(on) }
