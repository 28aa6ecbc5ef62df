package bootstrap_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	httptrace "github.com/DataDog/dd-trace-go/contrib/net/http/v2"
	"github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/bootstrap"
	"github.com/otelswitch/otelswitch/internal/lab"
	"github.com/otelswitch/otelswitch/internal/otlptest"
	"github.com/otelswitch/otelswitch/internal/testutil"
)

// The tests in this file run the datadog backend in native mode, which
// owns dd-trace-go's process-wide tracer: none of them runs in parallel.

type lockedBuffer = testutil.SyncBuffer

// initDatadog calls Init with e, no globals, and logs into the returned
// buffer; the handle is shut down at the end of the test.
func initDatadog(t *testing.T, e env) (*bootstrap.Telemetry, *lockedBuffer) {
	t.Helper()
	logs := &lockedBuffer{}
	tel, err := bootstrap.Init(context.Background(),
		bootstrap.WithLookupEnv(e.Lookup), bootstrap.WithoutGlobals(), bootstrap.WithLogOutput(logs))
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	t.Cleanup(func() {
		_ = tel.Shutdown(context.Background())
		if t.Failed() {
			t.Logf("telemetry log:\n%s", logs)
		}
	})
	return tel, logs
}

// okAgent answers every Datadog Agent request with 200.
func okAgent(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, `{}`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// spanTree is the lab tests' workload: a server root, an internal child, a
// database client under it and a failing span.
type spanTree struct{ root, internal, client, failed trace.Span }

func makeTree(tp trace.TracerProvider) spanTree {
	tr := tp.Tracer("bootstrap_test")
	ctx, root := tr.Start(context.Background(), "GET /books/{id}", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(semconv.HTTPRequestMethodGet, semconv.HTTPRoute("/books/{id}")))
	ictx, internal := tr.Start(ctx, "load book")
	_, client := tr.Start(ictx, "SELECT books", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("db.system", "sqlite"), semconv.DBQueryText("SELECT * FROM books WHERE id = ?")))
	client.End()
	_, failed := tr.Start(ictx, "render book")
	failed.RecordError(errors.New("no template"))
	failed.SetStatus(codes.Error, "render failed")
	failed.End()
	internal.End()
	root.SetAttributes(semconv.HTTPResponseStatusCode(200))
	root.End()
	return spanTree{root, internal, client, failed}
}

func TestDatadogDefaultPropagators(t *testing.T) {
	agent := okAgent(t)
	for _, tt := range []struct {
		env  env
		want []string
	}{
		{env{"TELEMETRY_BACKEND": "datadog", "DD_TRACE_AGENT_URL": agent}, []string{"tracecontext", "baggage", "datadog"}},
		{env{"TELEMETRY_BACKEND": "jaeger,datadog", "DD_TRACE_AGENT_URL": agent}, []string{"tracecontext", "baggage", "datadog"}},
		{env{"TELEMETRY_BACKEND": "datadog", "DATADOG_MODE": "otlp", "TELEMETRY_METRICS": "false"}, []string{"tracecontext", "baggage", "datadog"}},
		{env{"TELEMETRY_BACKEND": "datadog", "DD_TRACE_AGENT_URL": agent, "OTEL_PROPAGATORS": "tracecontext"}, []string{"tracecontext"}},
		{env{"TELEMETRY_BACKEND": "jaeger", "OTEL_PROPAGATORS": "datadog,tracecontext"}, []string{"datadog", "tracecontext"}},
		{env{"TELEMETRY_BACKEND": "jaeger"}, []string{"tracecontext", "baggage"}},
	} {
		tel, _ := initDatadog(t, tt.env)
		if got := tel.Config().Propagators; !slices.Equal(got, tt.want) {
			t.Errorf("%v: propagators %v; want %v", tt.env, got, tt.want)
		}
		if slices.Contains(tt.want, "datadog") && !slices.Contains(tel.Propagator().Fields(), "x-datadog-trace-id") {
			t.Errorf("%v: propagator fields %v lack x-datadog-trace-id", tt.env, tel.Propagator().Fields())
		}
		_ = tel.Shutdown(context.Background())
	}
}

func TestDatadogSelectedInProduction(t *testing.T) {
	for _, tt := range []struct {
		name    string
		env     env
		wantErr string
	}{
		{"local Agent", env{"ENVIRONMENT": "production", "DD_AGENT_HOST": "127.0.0.1"}, ""},
		{"Agent socket", env{"ENVIRONMENT": "production", "DD_TRACE_AGENT_URL": "unix:///var/run/datadog/apm.socket"}, ""},
		{"Agent on the node, plaintext", env{"ENVIRONMENT": "production", "DD_AGENT_HOST": "10.0.0.7"},
			`DD_AGENT_HOST="http://10.0.0.7:8126": plaintext to a host that is not loopback is refused in staging and production`},
		{"Agent on the node, allowed", env{"ENVIRONMENT": "production", "DD_AGENT_HOST": "10.0.0.7", "TELEMETRY_ALLOW_INSECURE": "true"}, ""},
		{"API key alone: agentless is not supported", env{"ENVIRONMENT": "production", "DD_API_KEY": "abc"},
			"TELEMETRY_BACKEND is unset and no vendor credentials are set"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tel, err := bootstrap.Init(context.Background(), bootstrap.WithLookupEnv(tt.env.Lookup), bootstrap.WithoutGlobals(), bootstrap.WithLogOutput(io.Discard))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err = %v; want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer tel.Shutdown(context.Background())
			if got := tel.Config().Backends; !slices.Equal(got, []string{"datadog"}) {
				t.Errorf("backends %v; want [datadog]", got)
			}
		})
	}
}

// TestDatadogLogCorrelation: records logged with the trace-correlated
// logger carry Datadog's fields, with the identity's precedence.
func TestDatadogLogCorrelation(t *testing.T) {
	tel, logs := initDatadog(t, env{
		"TELEMETRY_BACKEND":    "datadog",
		"DD_TRACE_AGENT_URL":   okAgent(t),
		"TELEMETRY_LOG_FORMAT": "json",
		"OTEL_SERVICE_NAME":    "books-otel",
		"SERVICE_VERSION":      "1.4.0",
		"DD_SERVICE":           "books",
		"DD_TAGS":              "env:staging-eu",
	})
	ctx, span := tel.TracerProvider().Tracer("t").Start(context.Background(), "GET /books")
	tel.Logger().InfoContext(ctx, "book loaded")
	span.End()

	var rec map[string]any
	for line := range strings.SplitSeq(logs.String(), "\n") {
		if strings.Contains(line, `"book loaded"`) {
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatal(err)
			}
		}
	}
	tid, sid := span.SpanContext().TraceID(), span.SpanContext().SpanID()
	// DD_TRACE_128_BIT_TRACEID_LOGGING_ENABLED defaults to true, as in
	// dd-trace-go v2: the 32-hex ID when its upper 64 bits are set.
	traceID := strconv.FormatUint(binary.BigEndian.Uint64(tid[8:]), 10)
	if binary.BigEndian.Uint64(tid[:8]) != 0 {
		traceID = tid.String()
	}
	want := map[string]any{
		"dd.trace_id": traceID,
		"dd.span_id":  strconv.FormatUint(binary.BigEndian.Uint64(sid[:]), 10),
		"dd.service":  "books",      // DD_SERVICE over OTEL_SERVICE_NAME
		"dd.env":      "staging-eu", // env in DD_TAGS over ENVIRONMENT
		"dd.version":  "1.4.0",      // the OTel service.version, nothing Datadog-specific set
	}
	for k, v := range want {
		if rec[k] != v {
			t.Errorf("%s = %v; want %v (record %v)", k, rec[k], v, rec)
		}
	}
}

// TestDatadogInitAndShutdownAgainstAHungAgent: against an Agent that
// accepts connections and never answers, dd-trace-go's tracer.Start and
// tracer.Stop each wait for seconds; Init still returns at once and
// Shutdown keeps TELEMETRY_SHUTDOWN_TIMEOUT, counting what it lost.
func TestDatadogInitAndShutdownAgainstAHungAgent(t *testing.T) {
	agent, gaveUp := otlptest.BlackholeGiveUps(t)
	e := env{
		"TELEMETRY_BACKEND":          "jaeger,datadog",
		"DD_TRACE_AGENT_URL":         "http://" + agent,
		"JAEGER_ENDPOINT":            otlptest.Blackhole(t),
		"TELEMETRY_SHUTDOWN_TIMEOUT": "1s",
		"TELEMETRY_EXPORT_TIMEOUT":   "10s",
	}
	start := time.Now()
	tel, err := bootstrap.Init(context.Background(), bootstrap.WithLookupEnv(e.Lookup), bootstrap.WithoutGlobals(), bootstrap.WithLogOutput(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	initTook := time.Since(start)
	// dd-trace-go's Start gives up on the Agent's /info after 500ms; had
	// Init waited for it, that connection would be closed by now.
	if n := gaveUp(); n != 0 {
		t.Errorf("Init returned after dd-trace-go gave up on the Agent (%d connections closed): it waited", n)
	}
	makeTree(tel.TracerProvider())
	time.Sleep(700 * time.Millisecond) // dd-trace-go has started by now (its /info probe gives up after 500ms)
	makeTree(tel.TracerProvider())

	start = time.Now()
	err = tel.Shutdown(context.Background())
	shutdownTook := time.Since(start)
	if shutdownTook > 1300*time.Millisecond || err == nil {
		t.Errorf("Shutdown: %v after %v; want a deadline error after about 1s", err, shutdownTook)
	}
	t.Logf("Init %v, Shutdown %v (%v)", initTook, shutdownTook, err)
	for _, st := range tel.Stats() {
		if st.Backend == "datadog" && (st.SpansDropped != 8 || st.SpansExported != 0 || st.SpansQueued != 0) {
			t.Errorf("datadog stats %+v; want all 8 spans dropped", st)
		}
	}
}

// TestDatadogFanOutWithJaeger: with TELEMETRY_BACKEND=jaeger,datadog both
// backends show the same 128-bit trace ID, span IDs, parents and timings,
// and Datadog's fields are those of datadog alone.
func TestDatadogFanOutWithJaeger(t *testing.T) {
	l := lab.ForTest(t)
	tel, _ := initDatadog(t, env{
		"TELEMETRY_BACKEND":  "jaeger,datadog",
		"JAEGER_ENDPOINT":    l.JaegerOTLPGRPC,
		"DD_TRACE_AGENT_URL": "http://" + l.DatadogAgent,
		"OTEL_SERVICE_NAME":  "books-fanout",
		// Native mode's metrics go to the Agent's OTLP ingest.
		"DATADOG_OTLP_ENDPOINT": "http://" + l.CollectorOTLPHTTP,
		"DATADOG_OTLP_PROTOCOL": "http/protobuf",
	})
	tree := makeTree(tel.TracerProvider())
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	traceID := tree.root.SpanContext().TraceID().String()
	dd, err := l.WaitForSpans(context.Background(), lab.SourceDatadog, 4, func(s lab.Span) bool { return s.TraceID == traceID })
	if err != nil {
		t.Fatalf("%v; stats %+v", err, tel.Stats())
	}
	// The lab's collector forwards what its receivers take to Jaeger too;
	// the jaeger backend's own spans are those without lab.receiver.
	jt, err := l.WaitForDirectJaegerTrace(context.Background(), traceID, 4)
	if err != nil {
		t.Fatal(err)
	}
	direct := map[string]lab.JaegerSpan{}
	for _, s := range jt.Spans {
		direct[s.SpanID] = s
	}
	ddByID := map[string]lab.Span{}
	for _, s := range dd {
		ddByID[s.SpanID] = s
	}
	id := func(s trace.Span) string { return s.SpanContext().SpanID().String() }
	for _, c := range []struct {
		name           string
		span           trace.Span
		parent         string
		operation, res string
	}{
		{"root", tree.root, "", "http.server.request", "GET /books/{id}"},
		{"internal", tree.internal, id(tree.root), "Internal", "load book"},
		{"client", tree.client, id(tree.internal), "sqlite.query", "SELECT * FROM books WHERE id = ?"},
		{"failed", tree.failed, id(tree.internal), "Internal", "render book"},
	} {
		j, okJ := direct[id(c.span)]
		d, okD := ddByID[id(c.span)]
		if !okJ || !okD {
			t.Errorf("%s: in Jaeger %v, in Datadog %v; want both", c.name, okJ, okD)
			continue
		}
		if j.TraceID != traceID || d.TraceID != traceID || j.ParentSpanID != c.parent || d.ParentSpanID != c.parent {
			t.Errorf("%s: Jaeger %s/%s, Datadog %s/%s; want %s/%s", c.name, j.TraceID, j.ParentSpanID, d.TraceID, d.ParentSpanID, traceID, c.parent)
		}
		// Jaeger keeps microseconds.
		if !j.Start.Equal(d.Start.Truncate(time.Microsecond)) || j.Duration != d.End.Sub(d.Start).Truncate(time.Microsecond) {
			t.Errorf("%s: Jaeger %v+%v, Datadog %v+%v", c.name, j.Start, j.Duration, d.Start, d.End.Sub(d.Start))
		}
		if d.Resource["service.name"] != "books-fanout" || j.Service != "books-fanout" {
			t.Errorf("%s: services %v and %v; want books-fanout", c.name, d.Resource["service.name"], j.Service)
		}
		if j.Operation != c.span.(sdktrace.ReadOnlySpan).Name() || d.Name != c.operation || d.Attributes["dd.span.Resource"] != c.res {
			t.Errorf("%s: Jaeger operation %q, Datadog operation %q resource %v; want %q, %q, %q",
				c.name, j.Operation, d.Name, d.Attributes["dd.span.Resource"], c.span.(sdktrace.ReadOnlySpan).Name(), c.operation, c.res)
		}
	}
	if f := ddByID[id(tree.failed)]; f.Status != codes.Error || f.Attributes["error.message"] != "no template" || f.Attributes["error.type"] != "*errors.errorString" {
		t.Errorf("failed span in Datadog: status %v, error.message %v, error.type %v", f.Status, f.Attributes["error.message"], f.Attributes["error.type"])
	}
	if strings.HasPrefix(traceID, "0000000000000000") {
		t.Errorf("trace ID %s is not 128-bit", traceID)
	}
	for _, st := range tel.Stats() {
		if st.SpansExported != 4 || st.SpansDropped != 0 {
			t.Errorf("%s stats %+v; want 4 exported", st.Backend, st)
		}
	}
}

// Variables that hand the dd-trace-go client process its work.
const (
	envClientURL   = "OTELSWITCH_TEST_DD_CLIENT_URL"
	envClientAgent = "OTELSWITCH_TEST_DD_CLIENT_AGENT"
)

// TestDDTraceGoClientProcess is not a test on its own: TestDatadogJoinsATrace
// runs the test binary again with it, as a separate service traced by plain
// dd-trace-go (its tracer is process-wide, so it cannot share this process
// with the native backend). It calls the URL through dd-trace-go's net/http
// integration inside a root span and prints that span's IDs.
func TestDDTraceGoClientProcess(t *testing.T) {
	target, agent := os.Getenv(envClientURL), os.Getenv(envClientAgent)
	if target == "" {
		t.Skip("helper process for TestDatadogJoinsATrace")
	}
	if err := tracer.Start(tracer.WithAgentAddr(agent), tracer.WithService("dd-client"), tracer.WithEnv("lab"), tracer.WithLogStartup(false)); err != nil {
		t.Fatal(err)
	}
	defer tracer.Stop()
	root, ctx := tracer.StartSpanFromContext(context.Background(), "checkout", tracer.ResourceName("checkout"))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := httptrace.WrapClient(&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	root.Finish()
	fmt.Printf("DDCLIENT trace=%s root=%016x status=%d\n", root.Context().TraceID(), root.Context().SpanID(), resp.StatusCode)
	tracer.Flush()
}

// TestDatadogJoinsATrace: a request from a service traced by plain
// dd-trace-go (its net/http integration, in its own process) reaches an
// otelswitch-instrumented server; the server span joins the client's trace,
// 128-bit ID included, with the client span as its parent. dd-trace-go
// sends Datadog and W3C headers by default; with only Datadog's, the
// datadog propagator alone carries the trace.
func TestDatadogJoinsATrace(t *testing.T) {
	l := lab.ForTest(t)
	for _, style := range []string{"datadog", "datadog,tracecontext,baggage"} {
		t.Run(style, func(t *testing.T) { joinsATrace(t, l, style) })
	}
}

func joinsATrace(t *testing.T, l *lab.Lab, injectStyle string) {
	tel, _ := initDatadog(t, env{
		"TELEMETRY_BACKEND":     "datadog",
		"DD_TRACE_AGENT_URL":    "http://" + l.DatadogAgent,
		"OTEL_SERVICE_NAME":     "books",
		"DATADOG_OTLP_ENDPOINT": "http://" + l.CollectorOTLPHTTP,
		"DATADOG_OTLP_PROTOCOL": "http/protobuf",
	})
	var mu sync.Mutex
	var gotHeaders http.Header
	mux := http.NewServeMux()
	mux.HandleFunc("GET /books/{id}", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		gotHeaders = r.Header.Clone()
		mu.Unlock()
		_, _ = io.WriteString(w, `{"id":42}`)
	})
	srv := httptest.NewServer(otelhttp.NewHandler(mux, "books",
		otelhttp.WithTracerProvider(tel.TracerProvider()), otelhttp.WithPropagators(tel.Propagator())))
	defer srv.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^TestDDTraceGoClientProcess$", "-test.v")
	cmd.Env = append(os.Environ(),
		envClientURL+"="+srv.URL+"/books/42",
		envClientAgent+"="+l.DatadogAgent,
		// dd-trace-go reads these only from its process's environment.
		"DD_TRACE_PROPAGATION_STYLE_INJECT="+injectStyle,
		"DD_REMOTE_CONFIGURATION_ENABLED=false",
		"DD_INSTRUMENTATION_TELEMETRY_ENABLED=false",
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("dd-trace-go client: %v\n%s", err, out)
	}
	var clientTrace, clientRoot string
	var status int
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if _, err := fmt.Sscanf(sc.Text(), "DDCLIENT trace=%s root=%s status=%d", &clientTrace, &clientRoot, &status); err == nil {
			break
		}
	}
	if clientTrace == "" || status != http.StatusOK {
		t.Fatalf("no result from the dd-trace-go client (status %d):\n%s", status, out)
	}
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	t.Logf("headers from dd-trace-go: x-datadog-trace-id=%s x-datadog-parent-id=%s x-datadog-tags=%s traceparent=%q",
		gotHeaders.Get("x-datadog-trace-id"), gotHeaders.Get("x-datadog-parent-id"), gotHeaders.Get("x-datadog-tags"), gotHeaders.Get("traceparent"))
	if w3c := gotHeaders.Get("traceparent") != ""; w3c != strings.Contains(injectStyle, "tracecontext") {
		t.Errorf("traceparent sent: %v; the client was asked for %s", w3c, injectStyle)
	}
	mu.Unlock()

	spans, err := l.WaitForSpans(context.Background(), lab.SourceDatadog, 3, func(s lab.Span) bool { return s.TraceID == clientTrace })
	if err != nil {
		t.Fatal(err)
	}
	var server, client *lab.Span
	for i, s := range spans {
		switch s.Resource["service.name"] {
		case "books":
			server = &spans[i]
		case "dd-client":
			if s.ParentSpanID == clientRoot {
				client = &spans[i]
			}
		}
	}
	if server == nil || client == nil {
		t.Fatalf("trace %s: server span %v, dd-trace-go client span %v; want both", clientTrace, server != nil, client != nil)
	}
	if strings.HasPrefix(clientTrace, "0000000000000000") {
		t.Errorf("the client's trace ID %s is not 128-bit", clientTrace)
	}
	if server.TraceID != clientTrace || server.ParentSpanID != client.SpanID || server.Kind != trace.SpanKindServer {
		t.Errorf("server span: trace %s parent %s kind %v; want trace %s, parent the client span %s, server",
			server.TraceID, server.ParentSpanID, server.Kind, clientTrace, client.SpanID)
	}
	if server.Attributes["dd.span.Resource"] != "GET /books/{id}" || server.Attributes["_dd.top_level"] == nil ||
		fmt.Sprint(server.Attributes["_sampling_priority_v1"]) != fmt.Sprint(client.Attributes["_sampling_priority_v1"]) {
		t.Errorf("server span: resource %v, top level %v, priority %v; want GET /books/{id}, top-level, the client's priority %v",
			server.Attributes["dd.span.Resource"], server.Attributes["_dd.top_level"], server.Attributes["_sampling_priority_v1"], client.Attributes["_sampling_priority_v1"])
	}
}
