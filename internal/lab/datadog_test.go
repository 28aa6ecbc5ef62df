package lab

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/DataDog/dd-trace-go/v2/ddtrace/ext"
	"github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// bufLogger keeps dd-trace-go's log for failure messages: its goroutines
// may log after the test has returned, when t.Logf would panic.
type bufLogger struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *bufLogger) Log(msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(msg + "\n")
}

func (l *bufLogger) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestDatadogReceiver posts a two-span trace with dd-trace-go v2 to the
// lab's Datadog Agent intake and reads it back, 128-bit trace ID included.
// It is the recipe for checking the datadog exporter; docs/lab.md lists the
// attribute names asserted here.
func TestDatadogReceiver(t *testing.T) {
	l := ForTest(t)
	// Remote configuration and instrumentation telemetry have no option;
	// the receiver does not serve them, so they would only log errors.
	t.Setenv("DD_REMOTE_CONFIGURATION_ENABLED", "false")
	t.Setenv("DD_INSTRUMENTATION_TELEMETRY_ENABLED", "false")

	logs := &bufLogger{}
	if err := tracer.Start(
		tracer.WithAgentAddr(l.DatadogAgent),
		tracer.WithService("books"),
		tracer.WithEnv("lab"),
		tracer.WithServiceVersion("1.2.3"),
		tracer.WithLogger(logs),
		tracer.WithLogStartup(false),
	); err != nil {
		t.Fatal(err)
	}
	root := tracer.StartSpan("http.request",
		tracer.ResourceName("GET /books"),
		tracer.SpanType(ext.SpanTypeWeb),
		tracer.Tag(ext.SpanKind, ext.SpanKindServer),
		tracer.Tag(ext.HTTPCode, "500"),
	)
	child := root.StartChild("sql.query",
		tracer.ResourceName("SELECT * FROM books"),
		tracer.Tag(ext.SpanKind, ext.SpanKindClient),
	)
	child.Finish(tracer.WithError(errors.New("no such table")))
	root.Finish()
	traceID := root.Context().TraceID()
	rootID := fmt.Sprintf("%016x", root.Context().SpanID())
	childID := fmt.Sprintf("%016x", child.Context().SpanID())
	tracer.Flush()
	tracer.Stop()
	defer func() {
		if t.Failed() {
			t.Logf("dd-trace-go log:\n%s", logs)
		}
	}()

	if len(traceID) != 32 || strings.HasPrefix(traceID, "00000000") {
		t.Fatalf("dd-trace-go made trace ID %q; want 128 bits", traceID)
	}
	spans, err := l.WaitForSpans(context.Background(), SourceDatadog, 2, func(s Span) bool {
		return s.SpanID == rootID || s.SpanID == childID
	})
	if err != nil {
		t.Fatal(err)
	}
	var r, c Span
	for _, s := range spans {
		if s.SpanID == rootID {
			r = s
		} else {
			c = s
		}
	}
	t.Log(r)
	t.Log(c)

	// With the Enable128BitTraceID gate both spans keep the upper 64 bits,
	// the child through the receiver's cache (only the root carries _dd.p.tid).
	for _, s := range []Span{r, c} {
		if s.TraceID != traceID {
			t.Errorf("span %s has trace ID %s; want %s", s.Name, s.TraceID, traceID)
		}
	}
	if c.ParentSpanID != rootID || r.ParentSpanID != "" {
		t.Errorf("parents: root %q, child %q; want \"\" and %q", r.ParentSpanID, c.ParentSpanID, rootID)
	}
	for _, want := range []struct {
		what string
		got  any
		want any
	}{
		{"root name", r.Name, "http.request"},
		{"root kind", r.Kind, trace.SpanKindServer},
		{"child kind", c.Kind, trace.SpanKindClient},
		{"resource service.name", r.Resource["service.name"], "books"},
		{"resource service.version", r.Resource["service.version"], "1.2.3"},
		{"resource telemetry.sdk.name", r.Resource["telemetry.sdk.name"], "Datadog"},
		{"resource telemetry.sdk.language", r.Resource["telemetry.sdk.language"], "go"},
		{"scope", r.Scope, "Datadog"},
		// env arrives per span, not on the resource.
		{"deployment.environment.name", r.Attributes["deployment.environment.name"], "lab"},
		{"span service.version", r.Attributes["service.version"], "1.2.3"},
		{"span.kind attribute", r.Attributes["span.kind"], "server"},
		{"dd.span.Resource", r.Attributes["dd.span.Resource"], "GET /books"},
		{"child dd.span.Resource", c.Attributes["dd.span.Resource"], "SELECT * FROM books"},
		// http.status_code is renamed to the OTel semantic convention.
		{"http.response.status_code", r.Attributes["http.response.status_code"], "500"},
		{"sampling.priority", r.Attributes["sampling.priority"], "1.000000"},
		{"_sampling_priority_v1", r.Attributes["_sampling_priority_v1"], 1.0},
		{"_dd.p.tid (upper 64 bits)", r.Attributes["_dd.p.tid"], traceID[:16]},
		{"datadog.trace.id (low 64 bits, decimal)", r.Attributes["datadog.trace.id"], fmt.Sprint(root.Context().TraceIDLower())},
		{"datadog.span.id (decimal)", r.Attributes["datadog.span.id"], fmt.Sprint(root.Context().SpanID())},
		// The receiver marks every span Ok unless Datadog's error flag is set.
		{"root status", r.Status, codes.Ok},
		{"child status", c.Status, codes.Error},
		{"child error.message", c.Attributes["error.message"], "no such table"},
		{"child error.type", c.Attributes["error.type"], "*errors.errorString"},
		{"receiver", r.Attributes[AttrReceiver], string(SourceDatadog)},
	} {
		if want.got != want.want {
			t.Errorf("%s = %#v; want %#v", want.what, want.got, want.want)
		}
	}
	// dd-trace-go v2 sets error.stack only for errors that carry a stack
	// (printed with %+v); otherwise it records where WithError was called.
	if s, _ := c.Attributes["error.handling_stack"].(string); !strings.Contains(s, "TestDatadogReceiver") {
		t.Errorf("child error.handling_stack = %q; want a stack naming this test", s)
	}
	// span.type is not kept: the receiver uses it only to guess the kind
	// when the span.kind tag is missing.
	if v, ok := r.Attributes["span.type"]; ok {
		t.Errorf("span.type = %#v; the receiver used to drop it, update docs/lab.md", v)
	}
}
