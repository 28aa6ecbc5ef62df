package newrelic_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/exporters/newrelic"
)

// agentSpans runs one server span with attrs through an agent-mode backend
// configured by e against a local collector, and returns the collector and
// the span events it received.
func agentSpans(t *testing.T, e env, attrs ...attribute.KeyValue) (*collector, []nrEvent) {
	t.Helper()
	c := newCollector(t)
	e["NEW_RELIC_HOST"] = c.Host
	s := settings(agentEnv(e))
	b, err := newrelic.AgentFactory(c.Roots).New(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(b.SpanProcessor))
	waitConnected(t, b)
	_, span := tp.Tracer("t").Start(context.Background(), "GET /books", trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...))
	span.End()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	posts := c.Posts("span_event_data")
	if len(posts) != 1 {
		t.Fatalf("span_event_data posts: %d, want 1", len(posts))
	}
	return c, events(t, posts[0].Body)
}

// TestAgentAttributeRules: NEW_RELIC_ATTRIBUTES_EXCLUDE and _INCLUDE filter
// span attributes before they become custom attributes, with the Go
// agent's precedence (the exact include wins over the wildcard exclude);
// NEW_RELIC_LABELS reach the collector in the connect payload.
func TestAgentAttributeRules(t *testing.T) {
	c, evs := agentSpans(t, env{
		"NEW_RELIC_ATTRIBUTES_EXCLUDE": "user.*,http.request.header.authorization",
		"NEW_RELIC_ATTRIBUTES_INCLUDE": "user.id",
		"NEW_RELIC_LABELS":             "Team:Books; DataCenter : East",
	},
		attribute.String("user.email", "a@example.com"),
		attribute.String("user.id", "42"),
		attribute.String("http.request.header.authorization", "Bearer x"),
		attribute.String("books.kept", "yes"),
	)
	if len(evs) != 1 {
		t.Fatalf("%d span events, want 1", len(evs))
	}
	u := evs[0].User
	for k, want := range map[string]bool{"user.email": false, "http.request.header.authorization": false, "user.id": true, "books.kept": true, "otel.span_id": true} {
		if _, got := u[k]; got != want {
			t.Errorf("custom attribute %s present = %v, want %v (all: %v)", k, got, want, u)
		}
	}
	var connect []struct {
		Labels []struct {
			Type  string `json:"label_type"`
			Value string `json:"label_value"`
		} `json:"labels"`
	}
	if err := json.Unmarshal(c.Posts("connect")[0].Body, &connect); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, l := range connect[0].Labels {
		got[l.Type] = l.Value
	}
	if len(got) != 2 || got["Team"] != "Books" || got["DataCenter"] != "East" {
		t.Errorf("connect labels %v, want Team:Books and DataCenter:East", got)
	}
}

// TestAgentHighSecurity: with NEW_RELIC_HIGH_SECURITY=true the agent
// connects in high-security mode and no span attribute becomes a custom
// attribute.
func TestAgentHighSecurity(t *testing.T) {
	c, evs := agentSpans(t, env{"NEW_RELIC_HIGH_SECURITY": "true"}, attribute.String("user.email", "a@example.com"))
	if len(evs) != 1 || len(evs[0].User) != 0 {
		t.Errorf("span events %+v; want one without custom attributes", evs)
	}
	if body := string(c.Posts("connect")[0].Body); !strings.Contains(body, `"high_security":true`) {
		t.Errorf("connect payload without high_security: %s", body)
	}
}

// TestAgentSecurityPoliciesToken: the token goes to the collector in
// preconnect, as the Go agent sends it.
func TestAgentSecurityPoliciesToken(t *testing.T) {
	c := newCollector(t)
	s := settings(agentEnv(env{"NEW_RELIC_HOST": c.Host, "NEW_RELIC_SECURITY_POLICIES_TOKEN": "ffff-token"}))
	b, err := newrelic.AgentFactory(c.Roots).New(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.SpanProcessor.Shutdown(context.Background()) }()
	deadline := time.Now().Add(10 * time.Second)
	for len(c.Posts("preconnect")) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	pre := c.Posts("preconnect")
	if len(pre) == 0 || !strings.Contains(string(pre[0].Body), `"security_policies_token":"ffff-token"`) {
		t.Fatalf("preconnect posts %v; want the token", pre)
	}
	raw, _ := json.Marshal(b.Config)
	if strings.Contains(string(raw), "ffff-token") {
		t.Errorf("the token shows in the config: %s", raw)
	}
}
