package lab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	grpccodes "google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// sent is what sendTrace exported: a server span and its child.
type sent struct {
	traceID, rootID, childID string
}

// sendTrace records a two-span trace with the plain SDK and exports it
// synchronously with exp, so that a rejected export is seen as an error.
func sendTrace(t *testing.T, exp sdktrace.SpanExporter, service string) (sent, error) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSpanProcessor(rec),
		sdktrace.WithResource(resource.NewSchemaless(
			attribute.String("service.name", service),
			attribute.String("deployment.environment.name", "test"),
		)),
	)
	tr := tp.Tracer("lab-test", trace.WithInstrumentationVersion("0.0.1"))
	ctx, root := tr.Start(context.Background(), "GET /books", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.Int("http.response.status_code", 500)))
	_, child := tr.Start(ctx, "SELECT books")
	child.AddEvent("cache.miss", trace.WithAttributes(attribute.String("cache.key", "books")))
	child.End()
	root.SetStatus(codes.Error, "boom")
	root.End()
	s := sent{
		traceID: root.SpanContext().TraceID().String(),
		rootID:  root.SpanContext().SpanID().String(),
		childID: child.SpanContext().SpanID().String(),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := exp.ExportSpans(ctx, rec.Ended())
	if serr := exp.Shutdown(ctx); err == nil && serr != nil {
		t.Errorf("exporter shutdown: %v", serr)
	}
	return s, err
}

func grpcExporter(t *testing.T, addr string, headers map[string]string) sdktrace.SpanExporter {
	t.Helper()
	exp, err := otlptracegrpc.New(context.Background(), otlptracegrpc.WithEndpoint(addr),
		otlptracegrpc.WithInsecure(), otlptracegrpc.WithHeaders(headers),
		otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: false}))
	if err != nil {
		t.Fatal(err)
	}
	return exp
}

func httpExporter(t *testing.T, addr string, headers map[string]string) sdktrace.SpanExporter {
	t.Helper()
	exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpoint(addr),
		otlptracehttp.WithInsecure(), otlptracehttp.WithHeaders(headers),
		otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}))
	if err != nil {
		t.Fatal(err)
	}
	return exp
}

// TestOTLPRoundTrip sends a trace over OTLP gRPC and HTTP to Jaeger and to
// every OTLP receiver of the collector, with the right and the wrong
// credentials, and reads back what arrived.
func TestOTLPRoundTrip(t *testing.T) {
	l := ForTest(t)
	const licenseKey = "nr-license-key-for-the-lab"

	tests := []struct {
		name     string
		grpcAddr string
		httpAddr string
		headers  map[string]string
		src      Source // "" means Jaeger
		// wantHeader is the recorded header attribute and its value.
		wantHeader [2]string
		wantReject bool
	}{
		{name: "jaeger", grpcAddr: l.JaegerOTLPGRPC, httpAddr: l.JaegerOTLPHTTP},
		{
			name: "newrelic", grpcAddr: l.CollectorOTLPGRPC, httpAddr: l.CollectorOTLPHTTP,
			headers: map[string]string{"api-key": licenseKey}, src: SourceOTLP,
			wantHeader: [2]string{AttrAPIKey, licenseKey},
		},
		{
			name: "elastic-bearer", grpcAddr: l.ElasticBearerGRPC, httpAddr: l.ElasticBearerHTTP,
			headers: map[string]string{"Authorization": "Bearer " + l.SecretToken}, src: SourceElasticBearer,
			wantHeader: [2]string{AttrAuthorization, "Bearer " + l.SecretToken},
		},
		{
			name: "elastic-apikey", grpcAddr: l.ElasticAPIKeyGRPC, httpAddr: l.ElasticAPIKeyHTTP,
			headers: map[string]string{"Authorization": "ApiKey " + l.APIKey}, src: SourceElasticAPIKey,
			wantHeader: [2]string{AttrAuthorization, "ApiKey " + l.APIKey},
		},
		{
			name: "elastic-bearer-wrong-token", grpcAddr: l.ElasticBearerGRPC, httpAddr: l.ElasticBearerHTTP,
			headers: map[string]string{"Authorization": "Bearer not-" + l.SecretToken}, src: SourceElasticBearer,
			wantReject: true,
		},
		{
			name: "elastic-bearer-no-header", grpcAddr: l.ElasticBearerGRPC, httpAddr: l.ElasticBearerHTTP,
			src: SourceElasticBearer, wantReject: true,
		},
		{
			name: "elastic-apikey-sent-as-bearer", grpcAddr: l.ElasticAPIKeyGRPC, httpAddr: l.ElasticAPIKeyHTTP,
			headers: map[string]string{"Authorization": "Bearer " + l.APIKey}, src: SourceElasticAPIKey,
			wantReject: true,
		},
	}
	var rejected []string
	for _, tt := range tests {
		for _, proto := range []string{"grpc", "http"} {
			t.Run(tt.name+"/"+proto, func(t *testing.T) {
				service := "lab-test-" + tt.name + "-" + proto
				var exp sdktrace.SpanExporter
				if proto == "grpc" {
					exp = grpcExporter(t, tt.grpcAddr, tt.headers)
				} else {
					exp = httpExporter(t, tt.httpAddr, tt.headers)
				}
				s, err := sendTrace(t, exp, service)
				if tt.wantReject {
					if err == nil {
						t.Fatal("export succeeded; want it rejected")
					}
					if proto == "grpc" && status.Code(err) != grpccodes.Unauthenticated {
						t.Errorf("export error = %v; want gRPC code Unauthenticated", err)
					}
					if proto == "http" && !strings.Contains(err.Error(), "401") {
						t.Errorf("export error = %v; want HTTP 401", err)
					}
					rejected = append(rejected, s.traceID)
					return
				}
				if err != nil {
					t.Fatalf("export: %v", err)
				}
				if tt.src == "" {
					checkJaeger(t, l, s, service)
					return
				}
				checkCollector(t, l, tt.src, s, service, tt.wantHeader)
			})
		}
	}

	// Rejected exports must leave nothing behind; the accepted ones above
	// were read back from the same files, so these had their chance.
	for _, src := range Sources {
		spans, err := l.CollectorSpans(context.Background(), src)
		if err != nil {
			t.Fatal(err)
		}
		for _, sp := range spans {
			if slices.Contains(rejected, sp.TraceID) {
				t.Errorf("%s recorded span %q of a rejected export", src, sp.Name)
			}
		}
	}
}

func checkJaeger(t *testing.T, l *Lab, s sent, service string) {
	t.Helper()
	ctx := context.Background()
	tr, err := l.WaitForJaegerTrace(ctx, s.traceID, 2)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]JaegerSpan{}
	for _, sp := range tr.Spans {
		byID[sp.SpanID] = sp
	}
	root, child := byID[s.rootID], byID[s.childID]
	if tr.TraceID != s.traceID || root.Operation != "GET /books" || child.Operation != "SELECT books" {
		t.Fatalf("trace %s has spans %+v; want GET /books and SELECT books", tr.TraceID, tr.Spans)
	}
	if root.Service != service || root.ProcessTags["deployment.environment.name"] != "test" {
		t.Errorf("process = %q %v; want %q with deployment.environment.name=test", root.Service, root.ProcessTags, service)
	}
	if child.ParentSpanID != s.rootID || root.ParentSpanID != "" {
		t.Errorf("parents: root %q, child %q; want \"\" and %q", root.ParentSpanID, child.ParentSpanID, s.rootID)
	}
	for k, want := range map[string]any{
		"span.kind": "server", "otel.status_code": "ERROR", "otel.status_description": "boom",
		"error": true, "http.response.status_code": int64(500),
	} {
		if got := root.Tags[k]; got != want {
			t.Errorf("root tag %s = %#v; want %#v", k, got, want)
		}
	}
	if len(child.Logs) != 1 || child.Logs[0].Fields["event"] != "cache.miss" || child.Logs[0].Fields["cache.key"] != "books" {
		t.Errorf("child logs = %+v; want one cache.miss event with cache.key=books", child.Logs)
	}
	services, err := l.JaegerServices(ctx)
	if err != nil || !slices.Contains(services, service) {
		t.Errorf("JaegerServices = %v, %v; want it to contain %q", services, err, service)
	}
	traces, err := l.JaegerTraces(ctx, service)
	if err != nil || len(traces) != 1 || traces[0].TraceID != s.traceID {
		t.Errorf("JaegerTraces(%q) = %d traces, %v; want only %s", service, len(traces), err, s.traceID)
	}
}

func checkCollector(t *testing.T, l *Lab, src Source, s sent, service string, header [2]string) {
	t.Helper()
	ctx := context.Background()
	spans, err := l.WaitForSpans(ctx, src, 2, func(sp Span) bool { return sp.TraceID == s.traceID })
	if err != nil {
		t.Fatal(err)
	}
	var root, child Span
	for _, sp := range spans {
		switch sp.SpanID {
		case s.rootID:
			root = sp
		case s.childID:
			child = sp
		}
	}
	if root.Name != "GET /books" || child.Name != "SELECT books" {
		t.Fatalf("spans %+v; want GET /books and SELECT books", spans)
	}
	if root.Source != src || root.Resource["service.name"] != service || root.Scope != "lab-test" || root.ScopeVersion != "0.0.1" {
		t.Errorf("root source/resource/scope = %s %v %s %s", root.Source, root.Resource, root.Scope, root.ScopeVersion)
	}
	if root.Kind != trace.SpanKindServer || root.Status != codes.Error || root.StatusMsg != "boom" || root.ParentSpanID != "" {
		t.Errorf("root kind/status/parent = %v %v %q %q; want server, Error, boom, none", root.Kind, root.Status, root.StatusMsg, root.ParentSpanID)
	}
	if child.ParentSpanID != s.rootID || child.Kind != trace.SpanKindInternal {
		t.Errorf("child parent/kind = %q %v; want %q internal", child.ParentSpanID, child.Kind, s.rootID)
	}
	if len(child.Events) != 1 || child.Events[0].Name != "cache.miss" || child.Events[0].Attributes["cache.key"] != "books" {
		t.Errorf("child events = %+v", child.Events)
	}
	if got := root.Attributes["http.response.status_code"]; got != int64(500) {
		t.Errorf("http.response.status_code = %#v; want int64(500)", got)
	}
	if got := root.Attributes[AttrReceiver]; got != string(src) {
		t.Errorf("%s = %#v; want %q", AttrReceiver, got, src)
	}
	if got := root.Attributes[header[0]]; got != header[1] {
		t.Errorf("%s = %#v; want %q", header[0], got, header[1])
	}
	if !root.End.After(root.Start) || time.Since(root.Start) > time.Minute {
		t.Errorf("root start/end = %v/%v", root.Start, root.End)
	}

	// The collector forwards to Jaeger, so the UI shows every vendor's spans.
	tr, err := l.WaitForJaegerTrace(ctx, s.traceID, 2)
	if err != nil {
		t.Fatalf("collector did not forward to Jaeger: %v", err)
	}
	for _, sp := range tr.Spans {
		if sp.Tags[AttrReceiver] != string(src) {
			t.Errorf("Jaeger span %s has %s = %#v; want %q", sp.Operation, AttrReceiver, sp.Tags[AttrReceiver], src)
		}
	}
}

// TestStartPortInUse holds a port the lab needs: Start must fail at once,
// naming the port and its role, and leave nothing running.
func TestStartPortInUse(t *testing.T) {
	if os.Getenv(envLab) == "off" {
		t.Skipf("%s=off", envLab)
	}
	for _, id := range []portID{portJaegerOTLPGRPC, portDatadog} {
		t.Run(portInfo[id].name, func(t *testing.T) {
			ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			ports, err := freePorts()
			if err != nil {
				t.Fatal(err)
			}
			ports[id] = ln.Addr().(*net.TCPAddr).Port
			withPorts := optionFunc(func(c config) config { c.ports = &ports; return c })

			begin := time.Now()
			l, err := Start(context.Background(), withPorts)
			if err == nil {
				l.Close()
				t.Fatal("Start succeeded with a taken port")
			}
			if !errors.Is(err, ErrPortInUse) {
				t.Errorf("error %v does not wrap ErrPortInUse", err)
			}
			for _, want := range []string{strconv.Itoa(ports[id]), portInfo[id].name} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not name %q", err, want)
				}
			}
			if d := time.Since(begin); d > 2*time.Second {
				t.Errorf("Start took %v to fail", d)
			}
		})
	}
}

// TestCloseStopsEverything checks that Close leaves no process, no
// listener and no directory behind, and that a second Close is harmless.
func TestCloseStopsEverything(t *testing.T) {
	l := ForTest(t)
	procs := []*process{l.jaeger, l.collector}
	for _, p := range procs {
		if !groupAlive(p.cmd.Process.Pid) {
			t.Fatalf("%s is not running before Close", p.name)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	for _, p := range procs {
		if groupAlive(p.cmd.Process.Pid) {
			t.Errorf("%s (process group %d) still running after Close", p.name, p.cmd.Process.Pid)
		}
	}
	if err := checkPorts(l.ports); err != nil {
		t.Errorf("ports still bound after Close: %v", err)
	}
	if _, err := os.Stat(l.Dir); !os.IsNotExist(err) {
		t.Errorf("lab dir %s still there after Close (stat: %v)", l.Dir, err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestStartFailures replaces the binaries with scripts that fail the ways
// real ones can: Start must return a clear error with the log's tail within
// its timeout, and leave no process behind.
func TestStartFailures(t *testing.T) {
	tests := []struct {
		name    string
		script  string // body of bin/jaeger; %s is a file to write the pid to
		want    []string
		timeout time.Duration
	}{
		{
			name:   "exits at once",
			script: "echo $$ > %s; echo 'listen tcp 127.0.0.1:4317: bind: address already in use' >&2; exit 1",
			want:   []string{"jaeger exited (exit status 1) before becoming healthy", "bind: address already in use", "jaeger.log"},
		},
		{
			name:    "never healthy",
			script:  "echo $$ > %s; echo starting; exec sleep 300",
			want:    []string{"jaeger not healthy at http://127.0.0.1:", "context deadline exceeded", "starting"},
			timeout: time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bin, pidFile := t.TempDir(), filepath.Join(t.TempDir(), "pid")
			for _, name := range []string{jaegerBinary, collectorBinary} {
				script := "#!/bin/sh\n" + fmt.Sprintf(tt.script, pidFile) + "\n"
				if err := os.WriteFile(filepath.Join(bin, name), []byte(script), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			opts := []Option{WithBinDir(bin)}
			if tt.timeout > 0 {
				opts = append(opts, WithStartTimeout(tt.timeout))
			}
			begin := time.Now()
			l, err := Start(context.Background(), opts...)
			if err == nil {
				l.Close()
				t.Fatal("Start succeeded")
			}
			if d := time.Since(begin); d > 10*time.Second {
				t.Errorf("Start took %v to fail", d)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			b, err := os.ReadFile(pidFile)
			if err != nil {
				t.Fatalf("the script never ran: %v", err)
			}
			pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
			if pid <= 0 || groupAlive(pid) {
				t.Errorf("process %d still running after a failed Start", pid)
			}
		})
	}
}

func TestStartWithoutBinaries(t *testing.T) {
	_, err := Start(context.Background(), WithBinDir(t.TempDir()))
	if !errors.Is(err, ErrNotBuilt) || !strings.Contains(err.Error(), "make lab-build") {
		t.Fatalf("Start with an empty bin dir = %v; want ErrNotBuilt mentioning make lab-build", err)
	}
}
