package datadog_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sort"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/exporters/datadog"
	"github.com/otelswitch/otelswitch/internal/testutil"
)

func ExampleConfig_Validate() {
	port := 0
	c := datadog.Config{Mode: "agentless", AgentPort: &port, Tags: "team:books,:web"}
	fmt.Println(c.Validate(false))
	// Output:
	// DATADOG_MODE="agentless": unknown mode; want native or otlp
	// DD_TRACE_AGENT_PORT=0: want a port from 1 to 65535
	// DD_TAGS="team:books,:web": entry ":web" has no key; want key:value
}

func ExampleConfig_Agent() {
	for _, env := range []map[string]string{
		{},
		{"DD_AGENT_HOST": "10.0.0.7"},
		{"DD_AGENT_HOST": "10.0.0.7", "DD_TRACE_AGENT_URL": "unix:///var/run/datadog/apm.socket"},
	} {
		c, _ := fromEnv(testutil.Env(env).Lookup)
		a, _ := c.Agent()
		fmt.Println(a.URL)
	}
	// Output:
	// http://localhost:8126
	// http://10.0.0.7:8126
	// unix:///var/run/datadog/apm.socket
}

func ExampleResolveIdentity() {
	c, _ := fromEnv(testutil.Env(map[string]string{
		"DD_ENV":  "prod",
		"DD_TAGS": "version:2.0.1,team:shelf",
	}).Lookup)
	id := datadog.ResolveIdentity(c, exporters.Settings{
		Environment:    "production",
		ServiceName:    "books",
		ServiceVersion: "1.4.0",
	})
	fmt.Printf("service=%s env=%s version=%s tags=%v\n", id.Service, id.Env, id.Version, id.Tags)
	// Output:
	// service=books env=prod version=2.0.1 tags=[{team shelf}]
}

func ExampleCorrelate() {
	tid, _ := trace.TraceIDFromHex("6b0445ae00000000475f43d67920d18f")
	sid, _ := trace.SpanIDFromHex("5f359d6be9dbbf56")
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled})

	correlate := datadog.Correlate(datadog.Identity{Service: "books", Env: "prod", Version: "1.4.0"})
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	logger.LogAttrs(context.Background(), slog.LevelInfo, "book loaded", correlate(sc)...)
	// Output:
	// level=INFO msg="book loaded" dd.trace_id=5142903887914652047 dd.span_id=6860562694179372886 dd.service=books dd.env=prod dd.version=1.4.0
}

func ExamplePropagator() {
	tid, _ := trace.TraceIDFromHex("6b0445ae00000000475f43d67920d18f")
	sid, _ := trace.SpanIDFromHex("5f359d6be9dbbf56")
	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled,
	}))

	headers := propagation.MapCarrier{}
	datadog.Propagator{}.Inject(ctx, headers)
	keys := headers.Keys()
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("%s: %s\n", k, headers.Get(k))
	}

	back := trace.SpanContextFromContext(datadog.Propagator{}.Extract(context.Background(), headers))
	fmt.Println(back.TraceID(), back.SpanID(), back.IsSampled())
	// Output:
	// x-datadog-parent-id: 6860562694179372886
	// x-datadog-sampling-priority: 1
	// x-datadog-tags: _dd.p.tid=6b0445ae00000000
	// x-datadog-trace-id: 5142903887914652047
	// 6b0445ae00000000475f43d67920d18f 5f359d6be9dbbf56 true
}
