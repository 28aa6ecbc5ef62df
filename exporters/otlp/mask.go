package otlp

import (
	"context"
	"errors"
	"strings"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/otelswitch/otelswitch/internal/secret"
)

// Servers quote what they reject: the OpenTelemetry Collector's bearer-token
// authenticator answers "scheme or token does not match: Bearer <token>", and
// the OTLP exporters put the answer in their error. Those errors reach
// Stats().LastError, the library's log, ForceFlush and Shutdown, so every
// error an exporter returns passes through secret.Mask first.

// headerCredentials returns what to mask for headers: each value, and each word of
// a value long enough to be a credential on its own (the token of "Bearer
// <token>").
func headerCredentials(headers map[string]secret.String) []secret.String {
	var creds []secret.String
	for _, v := range headers {
		creds = append(creds, v)
		for _, w := range strings.Fields(string(v)) {
			if len(w) >= 8 && w != string(v) {
				creds = append(creds, secret.String(w))
			}
		}
	}
	return creds
}

// maskedError is err with the credentials taken out of its text. errors.Is
// still sees err's chain, so context.DeadlineExceeded and the like are
// recognised; errors.As and Unwrap do not, as they would hand out the
// unmasked text.
type maskedError struct {
	err error
	msg string
}

func (e *maskedError) Error() string        { return e.msg }
func (e *maskedError) Is(target error) bool { return errors.Is(e.err, target) }

func mask(err error, creds []secret.String) error {
	if err == nil || len(creds) == 0 {
		return err
	}
	msg := secret.Mask(err.Error(), creds...)
	if msg == err.Error() {
		return err
	}
	return &maskedError{err: err, msg: msg}
}

// maskingSpanExporter masks the errors of a span exporter.
type maskingSpanExporter struct {
	sdktrace.SpanExporter
	creds []secret.String
}

func maskSpanExporter(exp sdktrace.SpanExporter, err error, headers map[string]secret.String) (sdktrace.SpanExporter, error) {
	creds := headerCredentials(headers)
	switch {
	case err != nil:
		return nil, mask(err, creds)
	case len(creds) == 0:
		return exp, nil
	}
	return maskingSpanExporter{exp, creds}, nil
}

func (m maskingSpanExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	return mask(m.SpanExporter.ExportSpans(ctx, spans), m.creds)
}

func (m maskingSpanExporter) Shutdown(ctx context.Context) error {
	return mask(m.SpanExporter.Shutdown(ctx), m.creds)
}

// maskingMetricExporter masks the errors of a metric exporter, which the
// periodic reader hands to the global error handler and returns from
// ForceFlush and Shutdown.
type maskingMetricExporter struct {
	sdkmetric.Exporter
	creds []secret.String
}

func maskMetricExporter(exp sdkmetric.Exporter, err error, headers map[string]secret.String) (sdkmetric.Exporter, error) {
	creds := headerCredentials(headers)
	switch {
	case err != nil:
		return nil, mask(err, creds)
	case len(creds) == 0:
		return exp, nil
	}
	return maskingMetricExporter{exp, creds}, nil
}

func (m maskingMetricExporter) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	return mask(m.Exporter.Export(ctx, rm), m.creds)
}

func (m maskingMetricExporter) ForceFlush(ctx context.Context) error {
	return mask(m.Exporter.ForceFlush(ctx), m.creds)
}

func (m maskingMetricExporter) Shutdown(ctx context.Context) error {
	return mask(m.Exporter.Shutdown(ctx), m.creds)
}
