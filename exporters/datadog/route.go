package datadog

import (
	"context"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/exporters/otlp"
)

// otelhttp wrapping a ServeMux learns the route only after the span has
// started: it names the server span "GET /books/{id}" but sets no
// http.route. The Agent's OTLP mapping would then call the resource "GET".
// Both modes add the route the name carries as http.route, so the Agent
// (otlp mode) and the native mapping both name the resource
// "GET /books/{id}" and tag http.route alike.

// routeFromName returns the route in the name of an HTTP server span that
// has a method but no http.route, when the name is "METHOD /route"; else "".
func routeFromName(name string, kind trace.SpanKind, a attrs) string {
	if kind != trace.SpanKindServer || a.str(attrHTTPRoute) != "" {
		return ""
	}
	m := a.str(attrHTTPRequestMethod, attrHTTPMethodOld)
	if m == "" {
		return ""
	}
	// name is "METHOD /route": compared in place, without building the
	// prefix.
	if rest, ok := strings.CutPrefix(name, m); ok && strings.HasPrefix(rest, " /") {
		return rest[1:]
	}
	return ""
}

// withRoute returns the attributes with http.route added from the span
// name (routeFromName), or a unchanged.
func withRoute(name string, kind trace.SpanKind, a attrs) attrs {
	route := routeFromName(name, kind, a)
	if route == "" {
		return a
	}
	return append(a[:len(a):len(a)], attribute.String(attrHTTPRoute, route))
}

// routeExporter is otlp mode's side: it sends spans with the route from
// their name added as http.route.
type routeExporter struct{ next sdktrace.SpanExporter }

func (e routeExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	return e.next.ExportSpans(ctx, otlp.MapSpans(spans, func(s sdktrace.ReadOnlySpan) (sdktrace.ReadOnlySpan, bool) {
		a := attrs(s.Attributes())
		routed := withRoute(s.Name(), s.SpanKind(), a)
		if len(routed) == len(a) {
			return s, false
		}
		return routedSpan{s, routed}, true
	}))
}

func (e routeExporter) Shutdown(ctx context.Context) error { return e.next.Shutdown(ctx) }

// routedSpan is a span with http.route added. It embeds the interface, not
// a concrete span, so no wrapper's SpanKey (otlpwire.Keyed) is promoted:
// its encoding differs from the wrapped span's.
type routedSpan struct {
	sdktrace.ReadOnlySpan
	attrs []attribute.KeyValue
}

func (s routedSpan) Attributes() []attribute.KeyValue { return s.attrs }
