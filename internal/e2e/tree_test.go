package e2e_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/bootstrap"
	"github.com/otelswitch/otelswitch/internal/testutil"
)

type env = testutil.Env

// tree is the known span tree every backend must store as sent.
type tree struct {
	TraceID                      string
	Root, Internal, Client, Fail string // span IDs
}

const (
	rootName     = "GET /books/{id}"
	internalName = "load book"
	clientName   = "SELECT books"
	failName     = "render book"
	failMessage  = "template: missing field title"
)

// emit calls Init with e alone, sends the tree and shuts down, which must
// deliver everything.
func emit(t *testing.T, e env) tree {
	t.Helper()
	tel, err := bootstrap.Init(context.Background(), bootstrap.WithLookupEnv(e.Lookup), bootstrap.WithoutGlobals(), bootstrap.WithLogOutput(io.Discard))
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	tr := tel.TracerProvider().Tracer("otelswitch/e2e")
	ctx, root := tr.Start(context.Background(), rootName, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(
			attribute.String("http.request.method", "GET"),
			attribute.String("http.route", "/books/{id}"),
			attribute.Int("http.response.status_code", 500)))
	ictx, internal := tr.Start(ctx, internalName, trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(attribute.Int("book.id", 42)))
	_, client := tr.Start(ictx, clientName, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("db.system.name", "sqlite"),
			attribute.String("db.query.text", "SELECT id, title FROM books WHERE id = ?"),
			attribute.StringSlice("book.tags", []string{"go", "otel"})))
	client.End()
	internal.End()
	_, fail := tr.Start(ctx, failName)
	fail.RecordError(errors.New(failMessage), trace.WithStackTrace(true))
	fail.SetStatus(codes.Error, failMessage)
	fail.End()
	root.SetStatus(codes.Error, "internal error")
	root.End()

	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	for _, s := range tel.Stats() {
		if s.SpansExported != 4 || s.SpansDropped != 0 {
			t.Errorf("%s stats = %+v, want 4 exported and none dropped", s.Backend, s)
		}
	}
	return tree{
		TraceID:  root.SpanContext().TraceID().String(),
		Root:     root.SpanContext().SpanID().String(),
		Internal: internal.SpanContext().SpanID().String(),
		Client:   client.SpanContext().SpanID().String(),
		Fail:     fail.SpanContext().SpanID().String(),
	}
}

// resourceEnv is the resource every test sets through the environment.
func resourceEnv(service string) env {
	return env{
		"ENVIRONMENT":                "development",
		"OTEL_SERVICE_NAME":          service,
		"SERVICE_VERSION":            "1.4.2",
		"OTEL_RESOURCE_ATTRIBUTES":   "team=books",
		"TELEMETRY_METRICS":          "false",
		"TELEMETRY_SHUTDOWN_TIMEOUT": "20s",
	}
}
