package reliability_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel"

	"github.com/otelswitch/otelswitch/bootstrap"
	"github.com/otelswitch/otelswitch/internal/lab"
)

// canaries are credentials made up for one run, each with a prefix that
// cannot occur by chance, so finding any of them anywhere is a leak.
type canaries struct {
	LicenseKey  string // NEW_RELIC_LICENSE_KEY: 40 characters, as New Relic's are
	SecretToken string // ELASTIC_APM_SECRET_TOKEN
	APIKey      string // ELASTIC_APM_API_KEY: base64 of id:key, as Kibana shows it
	Header      string // a value in OTEL_EXPORTER_OTLP_HEADERS
	URLPassword string // a password in an endpoint URL, which must be refused without being quoted
}

func newCanaries() canaries {
	r := func(n int) string {
		b := make([]byte, n)
		_, _ = rand.Read(b)
		return hex.EncodeToString(b)
	}
	return canaries{
		LicenseKey:  ("cnrylicence" + r(16))[:40],
		SecretToken: "cnrytoken" + r(12),
		APIKey:      base64.StdEncoding.EncodeToString([]byte("cnryid" + r(4) + ":cnrykey" + r(10))),
		Header:      "cnryheader" + r(12),
		URLPassword: "cnrypassword" + r(8),
	}
}

func (c canaries) all() map[string]string {
	return map[string]string{
		"licence key": c.LicenseKey, "secret token": c.SecretToken, "API key": c.APIKey,
		"OTLP header value": c.Header, "URL password": c.URLPassword,
	}
}

// forms returns the ways a credential could show up: as it is, encoded, or
// cut short as an error quoting "the first 16 characters..." would.
func forms(s string) []string {
	return []string{
		s,
		base64.StdEncoding.EncodeToString([]byte(s)),
		base64.RawURLEncoding.EncodeToString([]byte(s)),
		hex.EncodeToString([]byte(s)),
		s[:16],
	}
}

// capture is everything a run produced, labelled by where it came from.
type capture struct {
	mu    sync.Mutex
	parts []string
}

func (c *capture) add(label, text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.parts = append(c.parts, "== "+label+"\n"+text)
}

// check fails the test for every canary form found, naming where.
func (c *capture) check(t *testing.T, cs canaries) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	var total int
	for _, p := range c.parts {
		total += len(p)
		label, _, _ := strings.Cut(p, "\n")
		for name, secret := range cs.all() {
			for _, f := range forms(secret) {
				if i := strings.Index(p, f); i >= 0 {
					lo, hi := max(0, i-80), min(len(p), i+len(f)+40)
					t.Errorf("the %s leaked in %s: ...%s...", name, strings.TrimPrefix(label, "== "), p[lo:hi])
				}
			}
		}
	}
	t.Logf("searched %d captures, %d bytes, for %d canaries in %d forms each", len(c.parts), total, len(cs.all()), len(forms("x...............")))
}

// Errors that Init returns while credentials are set alongside the bad
// values never quote the credentials.
func TestSecretsNeverInErrors(t *testing.T) {
	cs := newCanaries()
	var out capture
	cases := []struct {
		name string
		env  env
	}{
		{"plaintext to a remote host in production", env{
			"ENVIRONMENT": "production", "TELEMETRY_BACKEND": "newrelic,elastic,otlp",
			"NEW_RELIC_LICENSE_KEY": cs.LicenseKey, "NEW_RELIC_OTLP_ENDPOINT": "http://collector.example:4318",
			"ELASTIC_APM_SERVER_URL": "http://apm.example:8200", "ELASTIC_APM_SECRET_TOKEN": cs.SecretToken,
			"OTEL_EXPORTER_OTLP_ENDPOINT": "http://otlp.example:4318", "OTEL_EXPORTER_OTLP_HEADERS": "x-token=" + cs.Header,
		}},
		{"both Elastic credentials", env{
			"TELEMETRY_BACKEND": "elastic", "ELASTIC_APM_SECRET_TOKEN": cs.SecretToken, "ELASTIC_APM_API_KEY": cs.APIKey,
		}},
		{"credentials with line breaks", env{
			"TELEMETRY_BACKEND": "newrelic,elastic", "NEW_RELIC_LICENSE_KEY": cs.LicenseKey + "\n",
			"ELASTIC_APM_API_KEY": " " + cs.APIKey + "\r\n",
		}},
		{"header value with CR LF", env{
			"TELEMETRY_BACKEND": "otlp", "OTEL_EXPORTER_OTLP_HEADERS": "x-token=" + cs.Header + "%0D%0AX-Evil: 1",
		}},
		{"header value with a bad percent-encoding", env{
			"TELEMETRY_BACKEND": "otlp", "OTEL_EXPORTER_OTLP_HEADERS": "x-token=" + cs.Header + "%zz",
		}},
		{"header list without a name", env{
			"TELEMETRY_BACKEND": "otlp", "OTEL_EXPORTER_OTLP_HEADERS": cs.Header + ",x-token=" + cs.Header,
		}},
		{"per-signal headers malformed", env{
			"TELEMETRY_BACKEND": "otlp", "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "x-token=" + cs.Header + "\x00",
			"OTEL_EXPORTER_OTLP_METRICS_HEADERS": "=" + cs.Header,
		}},
		{"password in the OTLP endpoint URL", env{
			"TELEMETRY_BACKEND": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": "https://user:" + cs.URLPassword + "@otlp.example:4318",
		}},
		{"password in a malformed OTLP endpoint URL", env{
			"TELEMETRY_BACKEND": "otlp", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://user:" + cs.URLPassword + "@otlp.example:port/x",
		}},
		{"password in the Elastic URL", env{
			"TELEMETRY_BACKEND": "elastic", "ELASTIC_APM_SERVER_URL": "https://elastic:" + cs.URLPassword + "@apm.example:8200",
			"ELASTIC_APM_SECRET_TOKEN": cs.SecretToken,
		}},
		{"password in the New Relic URL", env{
			"TELEMETRY_BACKEND": "newrelic", "NEW_RELIC_LICENSE_KEY": cs.LicenseKey,
			"NEW_RELIC_OTLP_ENDPOINT": "https://nr:" + cs.URLPassword + "@otlp.example",
		}},
		{"password in the Jaeger endpoint", env{
			"TELEMETRY_BACKEND": "jaeger", "JAEGER_ENDPOINT": "http://jaeger:" + cs.URLPassword + "@localhost:4317",
		}},
		{"several problems at once", env{
			"ENVIRONMENT": "staging", "TELEMETRY_BACKEND": "newrelic,elastic,otlp,bogus", "OTEL_TRACES_SAMPLER": "sometimes",
			"NEW_RELIC_LICENSE_KEY": cs.LicenseKey, "NEW_RELIC_REGION": "mars",
			"ELASTIC_APM_SECRET_TOKEN": cs.SecretToken, "ELASTIC_APM_API_KEY": cs.APIKey,
			"OTEL_EXPORTER_OTLP_HEADERS":  "x-token=" + cs.Header + ",bad name=" + cs.Header,
			"OTEL_EXPORTER_OTLP_ENDPOINT": "ftp://user:" + cs.URLPassword + "@otlp.example",
		}},
	}
	for _, c := range cases {
		logs := &syncBuffer{}
		tel, err := bootstrap.Init(context.Background(), bootstrap.WithLookupEnv(c.env.Lookup),
			bootstrap.WithoutGlobals(), bootstrap.WithLogOutput(logs))
		if err == nil {
			_ = tel.Shutdown(context.Background())
			t.Errorf("%s: Init succeeded, want an error", c.name)
			continue
		}
		out.add(c.name+": error", err.Error())
		out.add(c.name+": error %+v", fmt.Sprintf("%+v", err))
		out.add(c.name+": error %#v", fmt.Sprintf("%#v", err))
		out.add(c.name+": log", logs.String())
	}
	out.check(t, cs)
}

// With working credentials: the configuration in every printer, the debug
// log that shows it, the errors of exports that a real server rejects or
// that go nowhere, Stats, Shutdown's error, and a panic carrying the
// configuration.
func TestSecretsNeverInConfigLogsOrExportErrors(t *testing.T) {
	cs := newCanaries()
	l := lab.ForTest(t)
	var out capture
	runs := []struct {
		name string
		env  env
	}{
		// The lab's receivers reject every one of these credentials, so each
		// backend fails and says why in the log.
		{"token, json", env{
			"TELEMETRY_LOG_FORMAT":        "json",
			"TELEMETRY_BACKEND":           "newrelic,elastic,otlp",
			"NEW_RELIC_LICENSE_KEY":       cs.LicenseKey,
			"NEW_RELIC_OTLP_ENDPOINT":     "http://" + l.ElasticBearerHTTP,
			"ELASTIC_APM_SERVER_URL":      "http://" + l.ElasticBearerGRPC,
			"ELASTIC_APM_SECRET_TOKEN":    cs.SecretToken,
			"OTEL_EXPORTER_OTLP_ENDPOINT": "http://" + l.ElasticAPIKeyHTTP,
			"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
			"OTEL_EXPORTER_OTLP_HEADERS":  "authorization=ApiKey%20" + cs.Header + ",x-canary=" + cs.Header,
		}},
		{"api key, text", env{
			"TELEMETRY_LOG_FORMAT":        "text",
			"TELEMETRY_BACKEND":           "newrelic,elastic,otlp",
			"NEW_RELIC_LICENSE_KEY":       cs.LicenseKey,
			"NEW_RELIC_OTLP_PROTOCOL":     "grpc",
			"NEW_RELIC_OTLP_ENDPOINT":     "http://" + l.ElasticAPIKeyGRPC,
			"ELASTIC_APM_SERVER_URL":      "http://" + l.ElasticAPIKeyGRPC,
			"ELASTIC_APM_API_KEY":         cs.APIKey,
			"OTEL_EXPORTER_OTLP_ENDPOINT": "http://" + closedPort(t),
			"OTEL_EXPORTER_OTLP_HEADERS":  "x-canary=" + cs.Header,
		}},
	}
	for _, r := range runs {
		e := r.env.With(env{
			"ENVIRONMENT":                "development",
			"OTEL_SERVICE_NAME":          "reliability-secrets",
			"TELEMETRY_LOG_LEVEL":        "debug",
			"TELEMETRY_EXPORT_TIMEOUT":   "1s",
			"TELEMETRY_SHUTDOWN_TIMEOUT": "3s",
		})
		logs := &syncBuffer{}
		// Globals on, so that the OpenTelemetry error handler, which the
		// metric reader reports through, logs into the same buffer.
		prevLogger := slog.Default()
		tel, err := bootstrap.Init(context.Background(), bootstrap.WithLookupEnv(e.Lookup), bootstrap.WithLogOutput(logs))
		if err != nil {
			t.Fatalf("%s: Init: %v", r.name, err)
		}
		cfg := tel.Config()
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
			out.add(r.name+": Config "+verb, fmt.Sprintf(verb, cfg))
			out.add(r.name+": Config.Exporters "+verb, fmt.Sprintf(verb, cfg.Exporters))
			out.add(r.name+": handle "+verb, fmt.Sprintf(verb, tel))
		}
		out.add(r.name+": Config.String", cfg.String())
		b, _ := json.Marshal(cfg)
		out.add(r.name+": Config JSON", string(b))
		for name, exp := range cfg.Exporters {
			b, _ := json.Marshal(exp)
			out.add(r.name+": exporter "+name+" JSON", string(b))
		}
		var slogged bytes.Buffer
		slog.New(slog.NewJSONHandler(&slogged, nil)).Info("config", "config", cfg, "exporters", cfg.Exporters)
		slog.New(slog.NewTextHandler(&slogged, nil)).Info("config", "config", cfg, "exporters", cfg.Exporters)
		out.add(r.name+": Config through slog", slogged.String())
		out.add(r.name+": panic", recoverPanic(func() { panic(fmt.Sprint(cfg)) }))
		out.add(r.name+": panic value", recoverPanic(func() { panic(cfg) }))

		tr := tel.TracerProvider().Tracer("otelswitch/reliability")
		for range 20 {
			_, s := tr.Start(context.Background(), "op")
			s.End()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := tel.ForceFlush(ctx); err != nil {
			out.add(r.name+": ForceFlush error", fmt.Sprintf("%v\n%+v", err, err))
		}
		cancel()
		st, _ := json.Marshal(tel.Stats())
		out.add(r.name+": Stats", fmt.Sprintf("%+v\n%s", tel.Stats(), st))
		failed := 0
		for _, s := range tel.Stats() {
			if s.FailedExports > 0 && s.LastError != "" {
				failed++
			}
		}
		if failed != 3 {
			t.Errorf("%s: %d of 3 backends report a failed export; the test needs every one to fail: %+v", r.name, failed, tel.Stats())
		}
		// The lab's Elastic receivers quote the rejected credential in their
		// answer; the library must have masked it, not dropped the error.
		if s := fmt.Sprint(tel.Stats()); !strings.Contains(s, "does not match: ") || !strings.Contains(s, "[REDACTED]") {
			t.Errorf("%s: no export error shows a server quoting a masked credential: %s", r.name, s)
		}
		if err := tel.Shutdown(context.Background()); err != nil {
			out.add(r.name+": Shutdown error", fmt.Sprintf("%v\n%+v", err, err))
		}
		if !strings.Contains(logs.String(), "telemetry ready") || !strings.Contains(logs.String(), "telemetry export failing") {
			t.Errorf("%s: the debug log lacks the configuration or the export failures:\n%s", r.name, logs)
		}
		out.add(r.name+": library log", logs.String())
		slog.SetDefault(prevLogger)
		otel.SetErrorHandler(otel.ErrorHandlerFunc(func(error) {}))
	}
	out.check(t, cs)
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func recoverPanic(f func()) (msg string) {
	defer func() { msg = fmt.Sprint(recover()) }()
	f()
	return ""
}

// The sample app, run as a user runs it: with every credential in its
// environment, debug logging, backends that reject the credentials, a mix of
// requests including one that panics, then SIGTERM. Its standard output,
// standard error and every response body are searched. So are the outputs
// of a start that fails on a bad configuration and of serve -help.
func TestSecretsNeverInTheSampleAppsOutput(t *testing.T) {
	cs := newCanaries()
	l := lab.ForTest(t)
	bin := buildSampleApp(t)
	var out capture
	base := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"ENVIRONMENT=development",
		"ADDR=127.0.0.1:0",
		"TELEMETRY_LOG_LEVEL=debug",
		"TELEMETRY_EXPORT_TIMEOUT=1s",
		"TELEMETRY_SHUTDOWN_TIMEOUT=3s",
		"TELEMETRY_BACKEND=newrelic,elastic,otlp",
		"NEW_RELIC_LICENSE_KEY=" + cs.LicenseKey,
		"NEW_RELIC_OTLP_ENDPOINT=http://" + l.ElasticBearerHTTP,
		"ELASTIC_APM_SERVER_URL=http://" + l.ElasticBearerGRPC,
		"OTEL_EXPORTER_OTLP_ENDPOINT=http://" + l.ElasticAPIKeyHTTP,
		"OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
		"OTEL_EXPORTER_OTLP_HEADERS=authorization=ApiKey%20" + cs.Header,
	}
	for _, cred := range []string{"ELASTIC_APM_SECRET_TOKEN=" + cs.SecretToken, "ELASTIC_APM_API_KEY=" + cs.APIKey} {
		name := strings.SplitN(cred, "=", 2)[0]
		env := append(append([]string{}, base...), cred, "DATABASE_URL=sqlite:"+filepath.Join(t.TempDir(), "books.db"))
		runServe(t, bin, env, name, &out)
	}

	// A start that fails: both Elastic credentials, and a URL password.
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(append([]string{}, base...),
		"ELASTIC_APM_SECRET_TOKEN="+cs.SecretToken, "ELASTIC_APM_API_KEY="+cs.APIKey,
		"JAEGER_ENDPOINT=http://u:"+cs.URLPassword+"@localhost:4317", "TELEMETRY_BACKEND=newrelic,elastic,otlp,jaeger",
		"DATABASE_URL=sqlite:"+filepath.Join(t.TempDir(), "books.db"))
	b, err := cmd.CombinedOutput()
	if err == nil {
		t.Errorf("serve with both Elastic credentials started; want it refused:\n%s", b)
	}
	out.add("failed start: stdout and stderr", string(b))

	cmd = exec.Command(bin, "serve", "-help")
	cmd.Env = append(append([]string{}, base...), "ELASTIC_APM_SECRET_TOKEN="+cs.SecretToken)
	b, _ = cmd.CombinedOutput()
	out.add("serve -help", string(b))
	out.check(t, cs)
}

// runServe runs `sample-app serve` with env, sends it a mix of requests, stops
// it with SIGTERM, and adds everything it printed and answered to out.
func runServe(t *testing.T, bin string, env []string, name string, out *capture) {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	cmd.Env = env
	var stdout syncBuffer
	cmd.Stdout = &stdout
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	urls := make(chan string, 1)
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(pipe)
		sc.Buffer(make([]byte, 0, 1<<20), 1<<20)
		for sc.Scan() {
			stderr.Write(append(sc.Bytes(), '\n'))
			var line struct{ Msg, URL string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "serving" {
				urls <- line.URL
			}
		}
	}()
	exited := make(chan error, 1)
	go func() { <-scanned; exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Kill()
	}()
	var url string
	select {
	case url = <-urls:
	case err := <-exited:
		t.Fatalf("%s: serve exited before serving (%v):\n%s", name, err, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: serve did not start:\n%s", name, stderr.String())
	}

	client := &http.Client{Timeout: 10 * time.Second}
	requests := []struct{ method, path, body string }{
		{"GET", "/", ""},
		{"POST", "/books", `{"title":"Dune","author":"Frank Herbert","year":1965}`},
		{"POST", "/books", `{"title":"","year":"soon"}`},
		{"GET", "/books?page=x", ""},
		{"GET", "/books/1", ""},
		{"GET", "/books/999", ""},
		{"GET", "/error", ""},
		{"GET", "/io_task?ms=5", ""},
		{"GET", "/chain", ""},
		{"GET", "/health", ""},
		{"GET", "/metrics", ""},
		{"GET", "/nope", ""},
	}
	for _, r := range requests {
		req, _ := http.NewRequest(r.method, url+r.path, strings.NewReader(r.body))
		if r.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s: %s %s: %v", name, r.method, r.path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if r.path == "/error" && resp.StatusCode != http.StatusInternalServerError {
			t.Errorf("%s: GET /error = %d, want the panic answered with 500", name, resp.StatusCode)
		}
		var headers strings.Builder
		_ = resp.Header.Write(&headers)
		out.add(fmt.Sprintf("%s: response to %s %s", name, r.method, r.path), fmt.Sprintf("%d\n%s\n%s", resp.StatusCode, headers.String(), body))
	}
	// Let a batch fail, so the export errors are logged, then stop.
	time.Sleep(1500 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("%s: serve exited with %v after SIGTERM", name, err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: serve did not exit after SIGTERM:\n%s", name, stderr.String())
	}
	logs := stderr.String()
	for _, want := range []string{`"msg":"telemetry ready"`, `"msg":"telemetry export failing`, `panic: `} {
		if !strings.Contains(logs, want) {
			t.Errorf("%s: the app's log lacks %s, so this run did not show what it should:\n%s", name, want, logs)
		}
	}
	out.add(name+": serve stdout", stdout.String())
	out.add(name+": serve stderr", logs)
}

// buildSampleApp builds the sample app binary into a temporary directory.
func buildSampleApp(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sample-app")
	if err := lab.BuildSampleApp(bin); err != nil {
		t.Fatal(err)
	}
	return bin
}
