package datadog_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/resource"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/exporters/datadog"
	"github.com/otelswitch/otelswitch/internal/lab"
	"github.com/otelswitch/otelswitch/internal/testutil"
)

// fromEnv reads the variables and validates them (strict or not is the
// same to Datadog's variables).
func fromEnv(lookup func(string) (string, bool)) (datadog.Config, error) {
	c, err := datadog.ConfigFromEnv(lookup)
	if err != nil {
		return c, err
	}
	return c, c.Validate(false)
}

type syncBuffer = testutil.SyncBuffer

// settings are what bootstrap would resolve for the books service in the
// test environment, reading env instead of the process environment.
func settings(t testing.TB, env map[string]string) exporters.Settings {
	t.Helper()
	logs := &syncBuffer{}
	t.Cleanup(func() {
		if t.Failed() && logs.String() != "" {
			t.Logf("library log:\n%s", logs)
		}
	})
	return exporters.Settings{
		Environment: "test",
		Lookup:      testutil.Env(env).Lookup,
		Resource: resource.NewWithAttributes(semconv.SchemaURL,
			semconv.ServiceName("books"),
			semconv.ServiceVersion("1.2.3"),
			semconv.DeploymentEnvironmentNameKey.String("test"),
		),
		ServiceName:    "books",
		ServiceVersion: "1.2.3",
		Batch:          exporters.Batch{Delay: 50 * time.Millisecond, MaxQueue: 2048, MaxExport: 512},
		ExportTimeout:  2 * time.Second,
		Logger:         slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
}

// spanTree is the workload of the lab tests: a server root, an internal
// child, a database client child and a failing span under the internal one.
type spanTree struct {
	TraceID                            string
	Root, Internal, Client, Failed     string // span IDs
	RootSpan, InternalSpan, ClientSpan trace.Span
	FailedSpan                         trace.Span
}

var errRender = errors.New("template books.html: no such file")

// makeTree records the workload through tp and ends every span.
func makeTree(tp trace.TracerProvider) spanTree {
	tr := tp.Tracer("github.com/otelswitch/otelswitch/exporters/datadog_test")
	ctx, root := tr.Start(context.Background(), "GET /books/{id}",
		trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(
			semconv.HTTPRequestMethodGet,
			semconv.HTTPRoute("/books/{id}"),
			semconv.URLPath("/books/42"),
			semconv.URLScheme("http"),
		))
	ictx, internal := tr.Start(ctx, "load book", trace.WithAttributes(attribute.Int("book.id", 42)))
	_, client := tr.Start(ictx, "SELECT books", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("db.system", "sqlite"),
			semconv.DBQueryText("SELECT * FROM books WHERE id = ?"),
		))
	time.Sleep(2 * time.Millisecond)
	client.End()
	_, failed := tr.Start(ictx, "render book")
	failed.RecordError(errRender, trace.WithStackTrace(true))
	failed.SetStatus(codes.Error, "render failed")
	failed.End()
	internal.End()
	root.SetAttributes(semconv.HTTPResponseStatusCode(500))
	root.SetStatus(codes.Error, "")
	root.End()
	return spanTree{
		TraceID:      root.SpanContext().TraceID().String(),
		Root:         root.SpanContext().SpanID().String(),
		Internal:     internal.SpanContext().SpanID().String(),
		Client:       client.SpanContext().SpanID().String(),
		Failed:       failed.SpanContext().SpanID().String(),
		RootSpan:     root,
		InternalSpan: internal,
		ClientSpan:   client,
		FailedSpan:   failed,
	}
}

// byID indexes received spans of the trace by span ID.
func byID(spans []lab.Span, traceID string) map[string]lab.Span {
	m := map[string]lab.Span{}
	for _, s := range spans {
		if s.TraceID == traceID {
			m[s.SpanID] = s
		}
	}
	return m
}
