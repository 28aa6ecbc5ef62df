package datadog

import (
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

func TestNames(t *testing.T) {
	str := attribute.String
	tests := []struct {
		name      string
		span      string
		kind      trace.SpanKind
		attrs     []attribute.KeyValue
		operation string
		resource  string
		typ       string
	}{
		{"HTTP server with route", "GET /books/{id}", trace.SpanKindServer,
			[]attribute.KeyValue{str("http.request.method", "GET"), str("http.route", "/books/{id}")},
			"http.server.request", "GET /books/{id}", "web"},
		{"HTTP server without route", "books", trace.SpanKindServer,
			[]attribute.KeyValue{str("http.request.method", "POST")},
			"http.server.request", "POST", "web"},
		{"no http.route: the method alone, whatever the span name (as the Agent)", "GET /books/{id}", trace.SpanKindServer,
			[]attribute.KeyValue{str("http.request.method", "GET")},
			"http.server.request", "GET", "web"},
		{"a name that is not METHOD /route", "GET books", trace.SpanKindServer,
			[]attribute.KeyValue{str("http.request.method", "GET")},
			"http.server.request", "GET", "web"},
		{"old HTTP conventions", "books", trace.SpanKindServer,
			[]attribute.KeyValue{str("http.method", "GET"), str("http.route", "/books")},
			"http.server.request", "GET /books", "web"},
		{"HTTP client: method only", "HTTP GET", trace.SpanKindClient,
			[]attribute.KeyValue{str("http.request.method", "GET"), str("http.route", "/ignored")},
			"http.client.request", "GET", "http"},
		{"unknown HTTP method", "HTTP", trace.SpanKindServer,
			[]attribute.KeyValue{str("http.request.method", "_OTHER")},
			"http.server.request", "HTTP", "web"},
		{"SQL client", "SELECT books", trace.SpanKindClient,
			[]attribute.KeyValue{str("db.system", "postgresql"), str("db.query.text", "SELECT * FROM books")},
			"postgresql.query", "SELECT * FROM books", "sql"},
		{"only db.system.name: the Agent reads db.system alone", "GET", trace.SpanKindClient,
			[]attribute.KeyValue{str("db.system.name", "redis"), str("db.query.text", "GET books")},
			"client.request", "GET", "http"},
		{"other database", "find", trace.SpanKindClient,
			[]attribute.KeyValue{str("db.system", "couchdb"), str("db.statement", "find books")},
			"couchdb.query", "find books", "db"},
		{"messaging", "publish books", trace.SpanKindProducer,
			[]attribute.KeyValue{str("messaging.system", "Kafka"), str("messaging.operation", "publish"), str("messaging.destination.name", "books")},
			"kafka.publish", "publish books", "custom"},
		{"gRPC server", "books.Shelf/Get", trace.SpanKindServer,
			[]attribute.KeyValue{str("rpc.system", "grpc"), str("rpc.service", "books.Shelf"), str("rpc.method", "Get")},
			"grpc.server.request", "Get books.Shelf", "web"},
		{"AWS client", "S3.GetObject", trace.SpanKindClient,
			[]attribute.KeyValue{str("rpc.system", "aws-api"), str("rpc.service", "S3")},
			"aws.s3.request", "S3.GetObject", "http"},
		{"GraphQL", "query", trace.SpanKindServer,
			[]attribute.KeyValue{str("graphql.operation.type", "query"), str("graphql.operation.name", "Books")},
			"graphql.server.request", "query Books", "web"},
		{"generic server with protocol", "serve", trace.SpanKindServer,
			[]attribute.KeyValue{str("network.protocol.name", "AMQP")},
			"amqp.server.request", "serve", "web"},
		{"generic client", "call", trace.SpanKindClient, nil, "client.request", "call", "http"},
		{"internal", "load book", trace.SpanKindInternal, nil, "Internal", "load book", "custom"},
		{"unspecified kind counts as internal", "load book", trace.SpanKindUnspecified, nil, "Internal", "load book", "custom"},
		{"consumer", "consume", trace.SpanKindConsumer, nil, "Consumer", "consume", "custom"},
		{"explicit Datadog names win", "GET /books", trace.SpanKindServer,
			[]attribute.KeyValue{str("http.request.method", "GET"), str("operation.name", "Web.Request"), str("resource.name", "BooksController#index"), str("span.type", "web-custom")},
			"web.request", "BooksController#index", "web-custom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := attrs(tt.attrs)
			if got := operationName(tt.kind, a); got != tt.operation {
				t.Errorf("operation = %q; want %q", got, tt.operation)
			}
			if got := resourceName(tt.span, tt.kind, a); got != tt.resource {
				t.Errorf("resource = %q; want %q", got, tt.resource)
			}
			if got := spanType(tt.kind, a); got != tt.typ {
				t.Errorf("type = %q; want %q", got, tt.typ)
			}
		})
	}
}

func TestResourceNameIsCut(t *testing.T) {
	long := make([]byte, 6000)
	for i := range long {
		long[i] = 'x'
	}
	if got := resourceName(string(long), trace.SpanKindInternal, nil); len(got) != maxResourceLen {
		t.Errorf("len = %d; want %d", len(got), maxResourceLen)
	}
}

func TestErrorOf(t *testing.T) {
	exception := func(msg, typ, stack string) sdktrace.Event {
		var kv []attribute.KeyValue
		for k, v := range map[string]string{"exception.message": msg, "exception.type": typ, "exception.stacktrace": stack} {
			if v != "" {
				kv = append(kv, attribute.String(k, v))
			}
		}
		return sdktrace.Event{Name: "exception", Attributes: kv}
	}
	tests := []struct {
		name   string
		status sdktrace.Status
		events []sdktrace.Event
		attrs  []attribute.KeyValue
		want   spanError
		ok     bool
	}{
		{"not an error", sdktrace.Status{Code: codes.Unset}, []sdktrace.Event{exception("boom", "*errors.errorString", "")}, nil, spanError{}, false},
		{"OK", sdktrace.Status{Code: codes.Ok}, nil, nil, spanError{}, false},
		{"status only", sdktrace.Status{Code: codes.Error, Description: "render failed"}, nil, nil, spanError{message: "render failed"}, true},
		{"exception event", sdktrace.Status{Code: codes.Error, Description: "render failed"},
			[]sdktrace.Event{exception("no such file", "*fs.PathError", "goroutine 1 [running]:")}, nil,
			spanError{"no such file", "*fs.PathError", "goroutine 1 [running]:"}, true},
		{"the last exception wins", sdktrace.Status{Code: codes.Error},
			[]sdktrace.Event{exception("first", "A", "s1"), {Name: "retry"}, exception("second", "B", "")}, nil,
			spanError{"second", "B", "s1"}, true},
		{"exception without message", sdktrace.Status{Code: codes.Error, Description: "failed"},
			[]sdktrace.Event{exception("", "E", "")}, nil, spanError{"failed", "E", ""}, true},
		{"an HTTP status string as the last resort", sdktrace.Status{Code: codes.Error}, nil,
			[]attribute.KeyValue{attribute.String("http.status_code", "503")}, spanError{message: "503"}, true},
		{"an integer HTTP status is no message (the Agent reads string tags only)", sdktrace.Status{Code: codes.Error}, nil,
			[]attribute.KeyValue{attribute.Int("http.response.status_code", 503)}, spanError{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tracetest.SpanStub{Status: tt.status, Events: tt.events, Attributes: tt.attrs}.Snapshot()
			got, ok := errorOf(s)
			if got != tt.want || ok != tt.ok {
				t.Errorf("errorOf = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestSpanKindName(t *testing.T) {
	for k, want := range map[trace.SpanKind]string{
		trace.SpanKindUnspecified: "internal", trace.SpanKindInternal: "internal", trace.SpanKindServer: "server",
		trace.SpanKindClient: "client", trace.SpanKindProducer: "producer", trace.SpanKindConsumer: "consumer",
	} {
		if got := spanKindName(k); got != want {
			t.Errorf("spanKindName(%v) = %q; want %q", k, got, want)
		}
	}
}

func TestRouteFromName(t *testing.T) {
	str := attribute.String
	get := []attribute.KeyValue{str("http.request.method", "GET")}
	for _, tt := range []struct {
		name  string
		span  string
		kind  trace.SpanKind
		attrs []attribute.KeyValue
		want  string
	}{
		{"otelhttp around a ServeMux", "GET /books/{id}", trace.SpanKindServer, get, "/books/{id}"},
		{"old conventions", "POST /books", trace.SpanKindServer, []attribute.KeyValue{str("http.method", "POST")}, "/books"},
		{"route already set", "GET /books/{id}", trace.SpanKindServer, append(get, str("http.route", "/x")), ""},
		{"name is not METHOD /route", "GET books", trace.SpanKindServer, get, ""},
		{"another method in the name", "POST /books", trace.SpanKindServer, get, ""},
		{"client span", "GET /books", trace.SpanKindClient, get, ""},
		{"no method", "GET /books", trace.SpanKindServer, nil, ""},
	} {
		if got := routeFromName(tt.span, tt.kind, attrs(tt.attrs)); got != tt.want {
			t.Errorf("%s: route %q; want %q", tt.name, got, tt.want)
		}
	}
}
