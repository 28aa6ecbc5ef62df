package bootstrap

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"

	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/exporters"
)

// correlator merges the fields every chosen backend correlates on, so a
// fanned-out service logs what each vendor needs, each key once. A backend
// without fields of its own links on the default hex IDs. It returns nil
// when those are all there is: correlatingHandler adds them itself.
func correlator(backends []*exporters.Backend) func(trace.SpanContext) []slog.Attr {
	var fns []func(trace.SpanContext) []slog.Attr
	hex := false
	for _, b := range backends {
		switch {
		case b.Correlate != nil:
			fns = append(fns, b.Correlate)
		case !hex:
			hex = true
			fns = append(fns, exporters.HexCorrelation)
		}
	}
	switch {
	case len(fns) == 0 || len(fns) == 1 && hex:
		return nil // the default, which correlatingHandler adds itself
	case len(fns) == 1:
		return fns[0]
	}
	return func(sc trace.SpanContext) []slog.Attr {
		var out []slog.Attr
		for _, fn := range fns {
			for _, a := range fn(sc) {
				if !slices.ContainsFunc(out, func(b slog.Attr) bool { return b.Key == a.Key }) {
					out = append(out, a)
				}
			}
		}
		return out
	}
}

// correlatingHandler adds the active span's correlation fields to every
// record logged with a context.
type correlatingHandler struct {
	slog.Handler
	// correlate returns the fields; nil means exporters.HexCorrelation's, which Handle
	// adds without the slice exporters.HexCorrelation allocates on every record.
	correlate func(trace.SpanContext) []slog.Attr
}

func (h correlatingHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		if h.correlate == nil {
			r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
		} else {
			r.AddAttrs(h.correlate(sc)...)
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h correlatingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return correlatingHandler{h.Handler.WithAttrs(attrs), h.correlate}
}

func (h correlatingHandler) WithGroup(name string) slog.Handler {
	return correlatingHandler{h.Handler.WithGroup(name), h.correlate}
}

func newLogger(w io.Writer, format, level string, correlate func(trace.SpanContext) []slog.Attr) (*slog.Logger, error) {
	h, _, err := newLocalHandler(w, format, level, correlate)
	if err != nil {
		return nil, err
	}
	return slog.New(h), nil
}

// newLocalHandler returns the handler of the local output, text or JSON,
// with the correlation fields, and the level it logs from.
func newLocalHandler(w io.Writer, format, level string, correlate func(trace.SpanContext) []slog.Attr) (slog.Handler, slog.Level, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, 0, fmt.Errorf("%s=%q: unknown level; want debug, info, warn or error", envLogLevel, level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	var h slog.Handler
	switch format {
	case "json":
		h = slog.NewJSONHandler(w, opts)
	case "text":
		h = slog.NewTextHandler(w, opts)
	default:
		return nil, 0, fmt.Errorf("%s=%q: unknown format; want text or json", envLogFormat, format)
	}
	return correlatingHandler{h, correlate}, lv, nil
}
