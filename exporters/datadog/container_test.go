package datadog_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/otelswitch/otelswitch/exporters/datadog"
)

// In native mode the trace payloads carry the resource's container.id as
// Datadog-Container-ID, which the Agent tags the spans by, also where
// dd-trace-go finds no ID itself (cgroup v2 with a private namespace).
func TestNativeSendsContainerIDHeader(t *testing.T) {
	const cid = "3f4e2b1a0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f"
	var mu sync.Mutex
	var got []string
	agent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/info":
			_, _ = io.WriteString(w, `{"version":"7.70.0","endpoints":["/v0.4/traces"]}`)
		case "/v0.4/traces":
			mu.Lock()
			got = append(got, r.Header.Get("Datadog-Container-ID"))
			mu.Unlock()
			_, _ = io.WriteString(w, `{"rate_by_service":{}}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer agent.Close()
	s := settings(t, map[string]string{"DD_TRACE_AGENT_URL": agent.URL})
	s.Resource = resource.NewWithAttributes(semconv.SchemaURL, semconv.ServiceName("books"), semconv.ContainerID(cid))
	b, err := datadog.Factory{}.New(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(b.SpanProcessor), sdktrace.WithResource(s.Resource))
	waitStarted(t, b)
	_, span := tp.Tracer("t").Start(context.Background(), "op")
	span.End()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) == 0 {
		t.Fatal("no trace payload reached the agent")
	}
	for _, h := range got {
		// dd-trace-go's own reading of /proc/self/cgroup would win if it
		// found an ID; on a host that is not a container it finds none.
		if h != cid {
			t.Errorf("Datadog-Container-ID %q; want %q", h, cid)
		}
	}
}
