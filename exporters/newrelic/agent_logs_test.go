package newrelic_test

import (
	"context"
	"encoding/json"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/otelswitch/otelswitch/exporters/newrelic"
)

// In agent mode with logs exported, a record written inside a mirrored
// span goes through the agent's log forwarding with the transaction's trace
// and span IDs, and is counted once the collector accepts it.
func TestAgentForwardsLogsLinkedToTheTransaction(t *testing.T) {
	c := newCollector(t)
	s := settings(agentEnv(env{"NEW_RELIC_HOST": c.Host}))
	s.Logs = true
	b, err := newrelic.AgentFactory(c.Roots).New(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if b.LogProcessor == nil {
		t.Fatal("agent mode with logs exported has no log processor")
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithResource(s.Resource), sdktrace.WithSpanProcessor(b.SpanProcessor))
	lp := sdklog.NewLoggerProvider(sdklog.WithResource(s.Resource), sdklog.WithProcessor(b.LogProcessor))
	waitConnected(t, b)

	ctx, span := tp.Tracer("t").Start(context.Background(), "GET /books")
	var rec log.Record
	rec.SetBody(attribute.StringValue("book not found"))
	rec.SetSeverity(log.SeverityWarn)
	rec.SetSeverityText("WARN")
	rec.AddAttributes(attribute.Int("book.id", 42))
	lp.Logger("t").Emit(ctx, rec)
	span.End()
	if err := lp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	posts := c.Posts("log_event_data")
	if len(posts) != 1 {
		t.Fatalf("%d log_event_data posts, want 1", len(posts))
	}
	var payload []struct {
		Logs []map[string]any `json:"logs"`
	}
	if err := json.Unmarshal(posts[0].Body, &payload); err != nil || len(payload) != 1 || len(payload[0].Logs) != 1 {
		t.Fatalf("log_event_data %s (%v)", posts[0].Body, err)
	}
	got := payload[0].Logs[0]
	sc := span.SpanContext()
	if got["message"] != "book not found" || got["level"] != "WARN" || got["trace.id"] != sc.TraceID().String() || got["span.id"] == nil {
		t.Errorf("forwarded record %v; want the message, WARN and the span's trace.id %s", got, sc.TraceID())
	}
	if st := b.Stats.Snapshot().Logs; st.Exported != 1 || st.Queued != 0 || st.Dropped != 0 {
		t.Errorf("Stats().Logs = %+v, want 1 exported", st)
	}
}
