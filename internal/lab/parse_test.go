package lab

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// A line as the collector's file exporter writes it (trimmed), then a
// metrics line and a half-written line, which must both be skipped.
const collectorLines = `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"books"}},{"key":"host.cpus","value":{"intValue":"2"}}]},"scopeSpans":[{"scope":{"name":"lab-test","version":"0.0.1"},"spans":[{"traceId":"0AF7651916CD43DD8448EB211C80319C","spanId":"b7ad6b7169203331","parentSpanId":"00f067aa0ba902b7","name":"GET /books","kind":2,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000500000000","attributes":[{"key":"http.response.status_code","value":{"intValue":"500"}},{"key":"ok","value":{"boolValue":false}},{"key":"ratio","value":{"doubleValue":0.5}},{"key":"raw","value":{"bytesValue":"aGk="}},{"key":"tags","value":{"arrayValue":{"values":[{"stringValue":"a"},{"intValue":"1"}]}}},{"key":"nested","value":{"kvlistValue":{"values":[{"key":"k","value":{"stringValue":"v"}}]}}}],"events":[{"timeUnixNano":"1700000000100000000","name":"cache.miss","attributes":[{"key":"cache.key","value":{"stringValue":"books"}}]}],"links":[{"traceId":"11111111111111111111111111111111","spanId":"2222222222222222"}],"status":{"code":2,"message":"boom"}},{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"00f067aa0ba902b7","name":"root","kind":"SPAN_KIND_CLIENT","startTimeUnixNano":1700000000000000000,"endTimeUnixNano":1700000001000000000,"status":{"code":1}}]}]}]}
{"resourceMetrics":[{"resource":{},"scopeMetrics":[]}]}
{"resourceSpans":[{"resource":`

func TestParseSpans(t *testing.T) {
	spans, err := parseSpans(strings.NewReader(collectorLines), SourceOTLP)
	if err != nil {
		t.Fatal(err)
	}
	if len(spans) != 2 {
		t.Fatalf("got %d spans; want 2", len(spans))
	}
	want := Span{
		Source:       SourceOTLP,
		Resource:     map[string]any{"service.name": "books", "host.cpus": int64(2)},
		Scope:        "lab-test",
		ScopeVersion: "0.0.1",
		TraceID:      "0af7651916cd43dd8448eb211c80319c",
		SpanID:       "b7ad6b7169203331",
		ParentSpanID: "00f067aa0ba902b7",
		Name:         "GET /books",
		Kind:         trace.SpanKindServer,
		Start:        time.Unix(1700000000, 0),
		End:          time.Unix(1700000000, 500000000),
		Attributes: map[string]any{
			"http.response.status_code": int64(500),
			"ok":                        false,
			"ratio":                     0.5,
			"raw":                       []byte("hi"),
			"tags":                      []any{"a", int64(1)},
			"nested":                    map[string]any{"k": "v"},
		},
		Status:    codes.Error,
		StatusMsg: "boom",
		Events: []Event{{Name: "cache.miss", Time: time.Unix(1700000000, 100000000),
			Attributes: map[string]any{"cache.key": "books"}}},
		Links: []Link{{TraceID: "11111111111111111111111111111111", SpanID: "2222222222222222", Attributes: map[string]any{}}},
	}
	if !reflect.DeepEqual(spans[0], want) {
		t.Errorf("span 0 =\n%+v\nwant\n%+v", spans[0], want)
	}
	// Enums by name, integers as numbers, OTLP's OK=1 mapped to codes.Ok.
	if s := spans[1]; s.Kind != trace.SpanKindClient || s.Status != codes.Ok || s.End.Sub(s.Start) != time.Second {
		t.Errorf("span 1 kind/status/duration = %v %v %v; want client, Ok, 1s", s.Kind, s.Status, s.End.Sub(s.Start))
	}
}

func TestParseSpansErrors(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"not json", "nope\n", "line 1"},
		{"bad kind", `{"resourceSpans":[{"scopeSpans":[{"spans":[{"kind":"SPAN_KIND_ODD"}]}]}]}` + "\n", "SPAN_KIND_ODD"},
		{"bad int", `{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"soon"}]}]}]}` + "\n", "soon"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseSpans(strings.NewReader(tt.in), SourceOTLP)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v; want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestCollectorSpansBeforeAnything(t *testing.T) {
	l := &Lab{Dir: t.TempDir()}
	spans, err := l.CollectorSpans(context.Background(), SourceDatadog)
	if err != nil || spans != nil {
		t.Errorf("CollectorSpans with no file = %v, %v; want nothing and no error", spans, err)
	}
}

// A trace as Jaeger's /api/traces returns it (trimmed).
const jaegerTraceJSON = `{"traceID":"f7651916cd43dd8448eb211c80319c","spans":[
 {"traceID":"f7651916cd43dd8448eb211c80319c","spanID":"b7ad6b7169203331","operationName":"SELECT books",
  "references":[{"refType":"CHILD_OF","traceID":"f7651916cd43dd8448eb211c80319c","spanID":"f067aa0ba902b7"},
                {"refType":"FOLLOWS_FROM","traceID":"1","spanID":"2"}],
  "startTime":1700000000000000,"duration":1500,
  "tags":[{"key":"span.kind","type":"string","value":"client"},{"key":"error","type":"bool","value":true},
          {"key":"n","type":"int64","value":9007199254740993},{"key":"f","type":"float64","value":0.25},
          {"key":"b","type":"binary","value":"aGk="}],
  "logs":[{"timestamp":1700000000000500,"fields":[{"key":"event","type":"string","value":"cache.miss"}]}],
  "processID":"p1","warnings":null}],
 "processes":{"p1":{"serviceName":"books","tags":[{"key":"deployment.environment.name","type":"string","value":"test"}]}}}`

func TestJaegerConvert(t *testing.T) {
	var raw uiTrace
	if err := json.Unmarshal([]byte(jaegerTraceJSON), &raw); err != nil {
		t.Fatal(err)
	}
	got := raw.convert()
	want := JaegerTrace{
		TraceID: "00f7651916cd43dd8448eb211c80319c",
		Spans: []JaegerSpan{{
			TraceID:      "00f7651916cd43dd8448eb211c80319c",
			SpanID:       "b7ad6b7169203331",
			ParentSpanID: "00f067aa0ba902b7",
			Operation:    "SELECT books",
			Service:      "books",
			ProcessTags:  map[string]any{"deployment.environment.name": "test"},
			// int64 tags stay exact (2^53+1 does not survive float64).
			Tags:     map[string]any{"span.kind": "client", "error": true, "n": int64(9007199254740993), "f": 0.25, "b": "aGk="},
			Start:    time.UnixMicro(1700000000000000),
			Duration: 1500 * time.Microsecond,
			Logs:     []JaegerLog{{Time: time.UnixMicro(1700000000000500), Fields: map[string]any{"event": "cache.miss"}}},
			References: []JaegerRef{
				{Type: "CHILD_OF", TraceID: "00f7651916cd43dd8448eb211c80319c", SpanID: "00f067aa0ba902b7"},
				{Type: "FOLLOWS_FROM", TraceID: "00000000000000000000000000000001", SpanID: "0000000000000002"},
			},
		}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("convert =\n%+v\nwant\n%+v", got, want)
	}
}

func TestWaitFor(t *testing.T) {
	t.Run("succeeds after polls", func(t *testing.T) {
		n := 0
		err := WaitFor(context.Background(), func(context.Context) (bool, error) {
			n++
			return n == 3, errors.New("not yet")
		})
		if err != nil || n != 3 {
			t.Errorf("WaitFor = %v after %d calls; want nil after 3", err, n)
		}
	})
	t.Run("reports the last error at the deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
		defer cancel()
		begin := time.Now()
		err := WaitFor(ctx, func(context.Context) (bool, error) { return false, errors.New("span missing") })
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "span missing") {
			t.Errorf("WaitFor = %v; want DeadlineExceeded and the last error", err)
		}
		if d := time.Since(begin); d > 2*time.Second {
			t.Errorf("WaitFor returned after %v", d)
		}
	})
}

func TestCheckPorts(t *testing.T) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	p, err := freePorts()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, port := range p {
		if seen[port] {
			t.Fatalf("freePorts handed out %d twice: %v", port, p)
		}
		seen[port] = true
	}
	if err := checkPorts(p); err != nil {
		t.Fatalf("free ports reported taken: %v", err)
	}
	p[portCollectorHealth] = ln.Addr().(*net.TCPAddr).Port
	err = checkPorts(p)
	if !errors.Is(err, ErrPortInUse) || !strings.Contains(err.Error(), p.addr(portCollectorHealth)+" (collector health)") {
		t.Errorf("checkPorts = %v; want ErrPortInUse naming %s (collector health)", err, p.addr(portCollectorHealth))
	}
}

func TestModuleRoot(t *testing.T) {
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if !isModuleRoot(filepath.Join(root, "go.mod")) {
		t.Errorf("ModuleRoot = %s, whose go.mod is not module %s", root, modulePath)
	}
	// tools/collector has a go.mod of its own, which must not stop the walk.
	if isModuleRoot(filepath.Join(root, "tools", "collector", "go.mod")) {
		t.Error("tools/collector/go.mod taken for the root module")
	}
}

func TestWriteConfigs(t *testing.T) {
	dir := t.TempDir()
	j, c, err := writeConfigs(dir, fixedPorts(), config{uiAssets: "/opt/jaeger-ui"})
	if err != nil {
		t.Fatal(err)
	}
	jb, _ := os.ReadFile(j)
	cb, _ := os.ReadFile(c)
	for _, want := range []string{"127.0.0.1:4317", "127.0.0.1:16686", "127.0.0.1:13133", "level: none", "assets_path: /opt/jaeger-ui", "enable_tracing: false"} {
		if !strings.Contains(string(jb), want) {
			t.Errorf("jaeger.yaml lacks %q", want)
		}
	}
	for _, want := range []string{
		"127.0.0.1:14317", "127.0.0.1:28126", "otlp/elastic-apikey:", "scheme: ApiKey",
		"${env:" + envCollectorAPIKey + "}", collectorFile(dir, SourceDatadog), "traces/datadog:",
		"endpoint: 127.0.0.1:4317", // forwarding to Jaeger
	} {
		if !strings.Contains(string(cb), want) {
			t.Errorf("otelcol.yaml lacks %q", want)
		}
	}
	if strings.Contains(string(cb), "0.0.0.0") || strings.Contains(string(jb), "0.0.0.0") {
		t.Error("a lab config listens beyond loopback")
	}
}

// TestWriteConfigsOptions: WithOTLPTLS and WithDatadogExporter change the
// one collector config, and only when set.
func TestWriteConfigsOptions(t *testing.T) {
	render := func(opts ...Option) string {
		t.Helper()
		_, c, err := writeConfigs(t.TempDir(), fixedPorts(), newConfig(opts))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(c)
		return string(b)
	}
	plain := render()
	for _, absent := range []string{"cert_file:", "datadog/intake", "resource.name"} {
		if strings.Contains(plain, absent) {
			t.Errorf("default config has %q", absent)
		}
	}
	tls := render(WithOTLPTLS("/pki/server.pem", "/pki/server-key.pem"))
	// Six listeners: plain, secret token and API key, gRPC and HTTP each.
	if n := strings.Count(tls, "cert_file: /pki/server.pem"); n != 6 || strings.Count(tls, "key_file: /pki/server-key.pem") != 6 {
		t.Errorf("%d TLS blocks; want one per OTLP listener (6):\n%s", n, tls)
	}
	dd := render(WithDatadogExporter("http://127.0.0.1:9999"))
	for _, want := range []string{
		"datadog/intake:", "endpoint: http://127.0.0.1:9999", "hostname: otelswitch-lab", "enabled: false",
		"exporters: [file/otlp, otlp/jaeger, debug, datadog/intake]",
		"exporters: [file/datadog, otlp/jaeger, debug, datadog/intake]",
		"{key: resource.name, from_attribute: dd.span.Resource, action: insert}",
	} {
		if !strings.Contains(dd, want) {
			t.Errorf("config with the datadog exporter lacks %q", want)
		}
	}
	if strings.Contains(dd, "exporters: [file/elastic-bearer, otlp/jaeger, debug, datadog/intake]") {
		t.Error("the Elastic pipelines send to Datadog too")
	}
	if g := featureGates(newConfig([]Option{WithDatadogExporter("http://x")})); g != datadogGate+",-"+datadogStatsGate {
		t.Errorf("feature gates %q; want APM stats on", g)
	}
}
