package e2e_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otelswitch/otelswitch/internal/lab"
)

// The scale-out test's shape (docs/scale-out.md). Counts are bounded and
// requests paced, so the test costs about the same on any machine; nothing
// asserts on timing.
const (
	soRequests     = 900             // GET /chain requests through app-a -> app-b -> app-c
	soErrorEvery   = 9               // every 9th fails at app-c (X-Chain-Depth), so the whole chain is an error
	soSlow         = 6               // GET /io_task requests slower than the latency threshold
	soSlowMS       = 1500            // their duration
	soThresholdMS  = 1000            // TAIL_SAMPLING_LATENCY_THRESHOLD_MS
	soPercentage   = 25              // TAIL_SAMPLING_PERCENTAGE
	soDecisionWait = 3 * time.Second // TAIL_SAMPLING_DECISION_WAIT
	soPace         = 33 * time.Millisecond
	soWorkers      = 4
	soKillAt       = 600 // gateway-2 is killed before request #600 starts ...
	soRestartAt    = 720 // ... and restarted before #720
	// soAtRisk is how long before the kill a request may have ended and its
	// spans still be inside gateway-2 and not yet exported: the apps' batch
	// delay (development profile, 500ms), the agent's batch timeout
	// (200ms), decision_wait, the gateway's batch timeout (200ms), plus 6s
	// for a loaded machine.
	soAtRisk = soDecisionWait + 7*time.Second
)

// soRequest is one request the test sent, with the trace it started.
type soRequest struct {
	traceID    string
	parentID   string // the span ID the test sent in traceparent
	kind       string // "chain", "error" or "slow"
	start, end time.Time
	status     int
	err        error
}

// TestScaleOut runs the scale-out path of docs/scale-out.md on loopback:
// three sample-app processes (app-a calls app-b calls app-c) send OTLP to
// one agent collector running deploy/collector/agent.yaml, whose
// load-balancing exporter (static resolver here, DNS in Kubernetes) routes
// by trace ID to two gateway collectors running deploy/collector/gateway.yaml
// with tail sampling, which export to the lab's Jaeger. Each gateway stamps
// its resources with scaleout.gateway so Jaeger shows who exported what.
// Mid-run one gateway is killed (SIGKILL) and restarted.
//
// From Jaeger's API it proves: no stored trace has spans from two gateways;
// every trace not at risk from the kill is stored whole; every error trace
// and every slow trace not at risk is kept; the kept share of the other
// traces matches TAIL_SAMPLING_PERCENTAGE within 4.5 standard deviations of
// the binomial; traces sent while the gateway was down reached it after its
// restart (the agent's retry queue); and the agent's own metrics count no
// span dropped.
func TestScaleOut(t *testing.T) {
	l, root, otelcol := collectorLab(t)
	dir := t.TempDir()
	app := buildSampleApp(t, root, dir)

	ports, err := lab.FreePorts(3*4 + 3)
	if err != nil {
		t.Fatal(err)
	}
	next := func() string { p := ports[0]; ports = ports[1:]; return "127.0.0.1:" + strconv.Itoa(p) }
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	var procs []*lab.Proc
	t.Cleanup(func() {
		for i := len(procs) - 1; i >= 0; i-- {
			if t.Failed() {
				t.Log(procs[i].Log(30))
			}
			if err := procs[i].Stop(); err != nil {
				t.Error(err)
			}
		}
	})
	start := func(name, bin string, args, env []string, health string) *lab.Proc {
		t.Helper()
		base := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + os.TempDir()}
		p, err := lab.StartProc(ctx, name, bin, args, append(base, env...), filepath.Join(dir, name+".log"), health)
		if err != nil {
			t.Fatal(err)
		}
		procs = append(procs, p)
		return p
	}

	// Two gateways: the repository's gateway.yaml plus an overlay that adds
	// the gateway's name to every resource after sampling.
	gatewayYAML := filepath.Join(root, "deploy/collector/gateway.yaml")
	requireLine(t, gatewayYAML, "processors: [memory_limiter, tail_sampling, batch]")
	var gateways []*lab.Proc
	var gatewayAddrs []string
	for _, name := range []string{"gateway-1", "gateway-2"} {
		grpc, httpAddr, health, metrics := next(), next(), next(), next()
		overlay := writeFile(t, dir, name+"-overlay.yaml", fmt.Sprintf(`processors:
  resource/scaleout:
    attributes:
      - {key: scaleout.gateway, value: %s, action: upsert}
service:
  pipelines:
    traces:
      processors: [memory_limiter, tail_sampling, resource/scaleout, batch]
`, name))
		_, metricsPort := splitAddr(t, metrics)
		gateways = append(gateways, start(name, otelcol,
			[]string{"--config", gatewayYAML, "--config", overlay},
			[]string{
				"GATEWAY_OTLP_GRPC_ENDPOINT=" + grpc,
				"GATEWAY_OTLP_HTTP_ENDPOINT=" + httpAddr,
				"GATEWAY_HEALTH_ENDPOINT=" + health,
				"GATEWAY_METRICS_HOST=127.0.0.1",
				"GATEWAY_METRICS_PORT=" + metricsPort,
				"GATEWAY_BATCH_TIMEOUT=200ms",
				"TAIL_SAMPLING_DECISION_WAIT=" + soDecisionWait.String(),
				"TAIL_SAMPLING_NUM_TRACES=20000",
				"TAIL_SAMPLING_EXPECTED_TRACES_PER_SEC=100",
				"TAIL_SAMPLING_LATENCY_THRESHOLD_MS=" + strconv.Itoa(soThresholdMS),
				"TAIL_SAMPLING_PERCENTAGE=" + strconv.Itoa(soPercentage),
				"GATEWAY_TRACES_EXPORTERS=[otlp/jaeger]",
				"JAEGER_ENDPOINT=" + l.JaegerOTLPGRPC,
				"JAEGER_INSECURE=true",
			}, "http://"+health+"/"))
		gatewayAddrs = append(gatewayAddrs, grpc)
	}

	// The agent: agent.yaml with the static resolver instead of DNS, and
	// without k8sattributes (there is no Kubernetes API here).
	agentYAML := filepath.Join(root, "deploy/collector/agent.yaml")
	requireLine(t, agentYAML, "processors: [memory_limiter, k8sattributes, batch]")
	agentGRPC, agentHTTP, agentHealth, agentMetrics := next(), next(), next(), next()
	agentOverlay := writeFile(t, dir, "agent-overlay.yaml", fmt.Sprintf(`exporters:
  loadbalancing:
    resolver:
      dns: null
      static:
        hostnames: [%s]
service:
  pipelines:
    traces: {processors: [memory_limiter, batch]}
    logs: {processors: [memory_limiter, batch]}
    metrics: {processors: [memory_limiter, batch]}
`, strings.Join(gatewayAddrs, ", ")))
	gwHost, gwPort := splitAddr(t, gatewayAddrs[0])
	_, agentMetricsPort := splitAddr(t, agentMetrics)
	start("agent", otelcol, []string{"--config", agentYAML, "--config", agentOverlay}, []string{
		"AGENT_OTLP_GRPC_ENDPOINT=" + agentGRPC,
		"AGENT_OTLP_HTTP_ENDPOINT=" + agentHTTP,
		"AGENT_HEALTH_ENDPOINT=" + agentHealth,
		"AGENT_METRICS_HOST=127.0.0.1",
		"AGENT_METRICS_PORT=" + agentMetricsPort,
		"AGENT_BATCH_TIMEOUT=200ms",
		"AGENT_RETRY_MAX_ELAPSED=300s",
		"K8S_NODE_NAME=lab",
		// Only the metrics exporter reads these; the apps send no metrics.
		"GATEWAY_HOSTNAME=" + gwHost,
		"GATEWAY_OTLP_PORT=" + gwPort,
		"GATEWAY_INSECURE=true",
	}, "http://"+agentHealth+"/")

	// Three sample apps, app-a -> app-b -> app-c, with the otlp backend
	// aimed at the agent, as deploy/kubernetes/sample-app.yaml does.
	appAddrs := map[string]string{"app-a": next(), "app-b": next(), "app-c": next()}
	chainTo := map[string]string{"app-a": "app-b", "app-b": "app-c"}
	for _, name := range []string{"app-c", "app-b", "app-a"} {
		env := []string{
			"ENVIRONMENT=development",
			"OTEL_SERVICE_NAME=" + name,
			"ADDR=" + appAddrs[name],
			"DATABASE_URL=sqlite::memory:",
			"TELEMETRY_BACKEND=otlp",
			"OTEL_EXPORTER_OTLP_PROTOCOL=grpc",
			"OTEL_EXPORTER_OTLP_ENDPOINT=http://" + agentGRPC,
			"OTEL_TRACES_SAMPLER=parentbased_always_on",
			"TELEMETRY_METRICS=false",
			"TELEMETRY_SHUTDOWN_TIMEOUT=10s",
		}
		if peer, ok := chainTo[name]; ok {
			env = append(env, "CHAIN_TARGETS=http://"+appAddrs[peer])
		}
		start(name, app, []string{"serve"}, env, "http://"+appAddrs[name]+"/health")
	}

	// Drive: paced requests from soWorkers workers; the feeder kills and
	// restarts gateway-2 between requests.
	reqs := make([]soRequest, soRequests+soSlow)
	client := &http.Client{Timeout: 30 * time.Second}
	base := "http://" + appAddrs["app-a"]
	var wg sync.WaitGroup
	work := make(chan int)
	for range soWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				r := &reqs[i]
				switch {
				case i >= soRequests:
					r.kind = "slow"
					send(client, base+"/io_task?ms="+strconv.Itoa(soSlowMS), nil, r)
				case i%soErrorEvery == 0:
					// app-a at depth 6 calls app-b at 7, which calls app-c at
					// 8: app-c answers 508, app-b and app-a 502.
					r.kind = "error"
					send(client, base+"/chain", map[string]string{"X-Chain-Depth": "6"}, r)
				default:
					r.kind = "chain"
					send(client, base+"/chain", nil, r)
				}
			}
		}()
	}
	var killed, restarted time.Time
	var restartErr error
	var restartDone sync.WaitGroup
	tick := time.NewTicker(soPace)
	for i := range soRequests {
		switch i {
		case soKillAt:
			if err := gateways[1].Kill(); err != nil {
				t.Fatal(err)
			}
			killed = time.Now()
		case soRestartAt:
			restartDone.Add(1)
			go func() {
				defer restartDone.Done()
				restartErr = gateways[1].Restart(ctx)
				restarted = time.Now()
			}()
		}
		if i < soSlow {
			work <- soRequests + i // the slow ones early, far from the kill
		}
		work <- i
		<-tick.C
	}
	tick.Stop()
	close(work)
	wg.Wait()
	restartDone.Wait()
	if restartErr != nil {
		t.Fatalf("restarting gateway-2: %v", restartErr)
	}
	t.Logf("sent %d requests; gateway-2 killed at %s, healthy again %s later", len(reqs), killed.Format(time.TimeOnly), restarted.Sub(killed).Round(time.Millisecond))

	// Classify: at risk = could have been inside gateway-2, accepted and
	// not yet exported, when it was killed.
	byTrace := map[string]*soRequest{}
	var safe, atRisk, failedSends int
	for i := range reqs {
		r := &reqs[i]
		if r.err != nil {
			failedSends++
			t.Errorf("request %d (%s): %v", i, r.kind, r.err)
			continue
		}
		want := map[string]int{"chain": 200, "error": 502, "slow": 200}[r.kind]
		if r.status != want {
			t.Errorf("request %d (%s): status %d, want %d", i, r.kind, r.status, want)
		}
		byTrace[r.traceID] = r
		if r.atRisk(killed) {
			atRisk++
		} else {
			safe++
		}
	}
	if failedSends > 0 {
		t.FailNow()
	}
	t.Logf("%d requests safe from the kill, %d at risk (ended within %s before it, or spanning it)", safe, atRisk, soAtRisk)

	// Wait until every safe error and slow trace is stored whole (they must
	// all be kept), then until Jaeger's count stops changing.
	var mustKeep []string
	for id, r := range byTrace {
		if r.kind != "chain" && !r.atRisk(killed) {
			mustKeep = append(mustKeep, id)
		}
	}
	stored := map[string]lab.JaegerTrace{}
	fetch := func(ctx context.Context) error {
		traces, err := l.JaegerTraces(ctx, "app-a")
		if err != nil {
			return err
		}
		stored = map[string]lab.JaegerTrace{}
		for _, tr := range traces {
			stored[tr.TraceID] = tr
		}
		return nil
	}
	waitCtx, waitCancel := context.WithTimeout(ctx, 2*time.Minute)
	defer waitCancel()
	err = lab.WaitFor(waitCtx, func(ctx context.Context) (bool, error) {
		if err := fetch(ctx); err != nil {
			return false, err
		}
		missing := 0
		for _, id := range mustKeep {
			if len(stored[id].Spans) < byTrace[id].wantSpans() {
				missing++
			}
		}
		if missing > 0 {
			return false, fmt.Errorf("%d of %d error and slow traces not (yet) whole in Jaeger", missing, len(mustKeep))
		}
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Normal traces have no such list: wait out a decision and an export,
	// then until two reads 2s apart agree.
	time.Sleep(soDecisionWait + 2*time.Second)
	last := -1
	err = lab.WaitFor(waitCtx, func(ctx context.Context) (bool, error) {
		if err := fetch(ctx); err != nil {
			return false, err
		}
		n := 0
		for _, tr := range stored {
			n += len(tr.Spans)
		}
		if n == last {
			return true, nil
		}
		last = n
		time.Sleep(2 * time.Second)
		return false, fmt.Errorf("Jaeger's span count still changing (%d)", n)
	})
	if err != nil {
		t.Fatal(err)
	}

	// The proofs.
	var (
		keptNormal, normal, maybeSlow int
		perGateway                    = map[string]int{}
		whileDown                     int // traces sent while gateway-2 was down, stored by it
	)
	for id, tr := range stored {
		r, ok := byTrace[id]
		if !ok {
			// The apps' own traces: StartProc's health checks, start-up SQL.
			if !notRequested(tr) {
				t.Errorf("Jaeger has trace %s, which the test did not send:\n%s", id, dumpTrace(tr))
			}
			continue
		}
		gws := map[string]bool{}
		for _, s := range tr.Spans {
			gws[fmt.Sprint(s.ProcessTags["scaleout.gateway"])] = true
		}
		if len(gws) != 1 {
			t.Errorf("trace %s (%s) is split between gateways %v", id, r.kind, gws)
			continue
		}
		var gw string
		for g := range gws {
			gw = g
		}
		perGateway[gw]++
		if gw == "gateway-2" && r.start.After(killed) && r.end.Before(restarted) {
			whileDown++
		}
		if r.atRisk(killed) {
			continue // may be partial: part of it died with gateway-2
		}
		if err := r.whole(tr); err != nil {
			t.Errorf("trace %s (%s) is not whole: %v\n%s", id, r.kind, err, dumpTrace(tr))
		}
	}
	for _, id := range mustKeep {
		if _, ok := stored[id]; !ok {
			t.Errorf("%s trace %s was not kept", byTrace[id].kind, id)
		}
	}
	for id, r := range byTrace {
		if r.kind != "chain" || r.atRisk(killed) {
			continue
		}
		// A request slower than the threshold may also be kept by the
		// latency policy; leave it out of the ratio.
		if r.end.Sub(r.start) >= soThresholdMS*time.Millisecond {
			maybeSlow++
			continue
		}
		normal++
		if _, ok := stored[id]; ok {
			keptNormal++
		}
	}
	t.Logf("stored per gateway %v; %d sent while gateway-2 was down were stored by it after its restart", perGateway, whileDown)

	// Each of the normal traces is kept independently with probability p:
	// the probabilistic policy hashes the trace ID, and the test's trace IDs
	// are random. So the kept count is Binomial(n, p); 4.5 standard
	// deviations either side fail a correct gateway about once in 150 000
	// runs, and catch a ratio that is off by a third at n = 500.
	p := soPercentage / 100.0
	if normal < 200 {
		t.Fatalf("only %d normal traces outside the kill's window (%d more were slower than the threshold): too few to check the ratio", normal, maybeSlow)
	}
	share := float64(keptNormal) / float64(normal)
	tol := 4.5 * math.Sqrt(p*(1-p)/float64(normal))
	t.Logf("kept %d of %d normal traces = %.3f; configured %.2f, tolerance ±%.3f (4.5σ); %d left out as possibly slow", keptNormal, normal, share, p, tol, maybeSlow)
	if math.Abs(share-p) > tol {
		t.Errorf("kept share of normal traces %.3f is not %.2f ± %.3f", share, p, tol)
	}
	if perGateway["gateway-1"] == 0 || perGateway["gateway-2"] == 0 {
		t.Errorf("traces stored per gateway %v: the load-balancing exporter did not use both", perGateway)
	}
	if whileDown == 0 {
		t.Errorf("no trace sent while gateway-2 was down was stored by it: the agent's retry queue did not deliver")
	}

	// The agent's own count of what it could not deliver or queue.
	body, err := httpGet(client, "http://"+agentMetrics+"/metrics")
	if err != nil {
		t.Fatal(err)
	}
	for _, metric := range []string{"otelcol_exporter_send_failed_spans", "otelcol_exporter_enqueue_failed_spans", "otelcol_processor_refused_spans"} {
		if n := sumMetric(body, metric); n != 0 {
			t.Errorf("agent %s = %v, want 0", metric, n)
		}
	}
	if sent := sumMetric(body, "otelcol_exporter_sent_spans"); sent == 0 {
		t.Errorf("agent otelcol_exporter_sent_spans is 0 or missing:\n%s", body)
	}
}

func (r *soRequest) atRisk(killed time.Time) bool {
	return r.start.Before(killed) && r.end.After(killed.Add(-soAtRisk))
}

// wantSpans: GET /chain through three services is app-a's server and client
// spans, app-b's server and client spans and app-c's server span; GET
// /io_task is the server span and its work's child.
func (r *soRequest) wantSpans() int {
	if r.kind == "slow" {
		return 2
	}
	return 5
}

// whole checks that tr has exactly the spans r's request made, each parented
// inside the trace (or on the test's own span for the root), with errors
// exactly where the request put them.
func (r *soRequest) whole(tr lab.JaegerTrace) error {
	if len(tr.Spans) != r.wantSpans() {
		return fmt.Errorf("%d spans, want %d", len(tr.Spans), r.wantSpans())
	}
	ids := map[string]bool{}
	services := map[string]int{}
	for _, s := range tr.Spans {
		ids[s.SpanID] = true
		services[s.Service]++
	}
	want := map[string]int{"app-a": 2, "app-b": 2, "app-c": 1}
	if r.kind == "slow" {
		want = map[string]int{"app-a": 2}
	}
	if fmt.Sprint(services) != fmt.Sprint(want) {
		return fmt.Errorf("spans per service %v, want %v", services, want)
	}
	roots := 0
	for _, s := range tr.Spans {
		switch {
		case s.ParentSpanID == r.parentID:
			roots++
		case !ids[s.ParentSpanID]:
			return fmt.Errorf("span %s %q has parent %s, which is not in the trace", s.SpanID, s.Operation, s.ParentSpanID)
		}
		isErr := s.Tags["error"] == true
		if wantErr := r.kind == "error"; isErr != wantErr {
			return fmt.Errorf("span %s %q error=%v, want %v", s.SpanID, s.Operation, isErr, wantErr)
		}
	}
	if roots != 1 {
		return fmt.Errorf("%d spans are children of the test's span, want 1", roots)
	}
	return nil
}

// send makes one request as the child of a span the test invents, so the
// test knows every trace ID, including those of failed requests.
func send(c *http.Client, url string, header map[string]string, r *soRequest) {
	r.traceID, r.parentID = randomHex(16), randomHex(8)
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		r.err = err
		return
	}
	req.Header.Set("traceparent", "00-"+r.traceID+"-"+r.parentID+"-01")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	r.start = time.Now()
	resp, err := c.Do(req)
	if err == nil {
		r.status = resp.StatusCode
		resp.Body.Close()
	}
	r.end = time.Now()
	r.err = err
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// buildSampleApp builds the sample app's binary into dir: in sample-app/
// when it is a module of its own, else as a package of the root module.
func buildSampleApp(t *testing.T, root, dir string) string {
	t.Helper()
	out := filepath.Join(dir, "sample-app")
	cmd := exec.Command("go", "build", "-o", out, "./sample-app")
	cmd.Dir = root
	if _, err := os.Stat(filepath.Join(root, "sample-app", "go.mod")); err == nil {
		cmd = exec.Command("go", "build", "-o", out, ".")
		cmd.Dir = filepath.Join(root, "sample-app")
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the sample app: %v\n%s", err, b)
	}
	return out
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// requireLine fails the test when path no longer has the line the test's
// overlay replaces, so the overlay cannot silently drift from the config.
func requireLine(t *testing.T, path, line string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), line) {
		t.Fatalf("%s no longer has %q; update TestScaleOut's overlay to match", path, line)
	}
}

func splitAddr(t *testing.T, addr string) (host, port string) {
	t.Helper()
	i := strings.LastIndex(addr, ":")
	if i < 0 {
		t.Fatalf("%q is not host:port", addr)
	}
	return addr[:i], addr[i+1:]
}

func httpGet(c *http.Client, url string) (string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var b strings.Builder
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		b.WriteString(sc.Text() + "\n")
	}
	if resp.StatusCode != http.StatusOK {
		return "", errors.New(resp.Status)
	}
	return b.String(), sc.Err()
}

// sumMetric adds up every sample of a Prometheus metric (any labels, with
// or without the _total suffix counters get).
func sumMetric(body, name string) float64 {
	var sum float64
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		rest, ok := strings.CutPrefix(line, name)
		if !ok {
			continue
		}
		rest = strings.TrimPrefix(rest, "_total")
		if rest == "" || (rest[0] != '{' && rest[0] != ' ') {
			continue
		}
		fields := strings.Fields(rest[strings.LastIndex(rest, "}")+1:])
		if len(fields) == 0 {
			continue
		}
		if v, err := strconv.ParseFloat(fields[0], 64); err == nil {
			sum += v
		}
	}
	return sum
}

// notRequested reports whether no span of tr belongs to a request of the
// kinds the test sends (each of which had a traceparent from the test).
func notRequested(tr lab.JaegerTrace) bool {
	for _, s := range tr.Spans {
		if strings.HasPrefix(s.Operation, "GET /chain") || strings.HasPrefix(s.Operation, "GET /io_task") {
			return false
		}
	}
	return true
}

func dumpTrace(tr lab.JaegerTrace) string {
	var b strings.Builder
	for _, s := range tr.Spans {
		fmt.Fprintf(&b, "  %s %s parent=%s %q gateway=%v error=%v\n", s.Service, s.SpanID, s.ParentSpanID, s.Operation, s.ProcessTags["scaleout.gateway"], s.Tags["error"])
	}
	return b.String()
}

// collectorLab starts the lab for tb and finds what the scale-out tests run
// beside it: the module root (for deploy/collector's configs) and the
// project's collector binary (the agent and the gateways).
func collectorLab(tb testing.TB) (l *lab.Lab, root, otelcol string) {
	tb.Helper()
	l = lab.ForTest(tb)
	root, err := lab.ModuleRoot()
	if err != nil {
		tb.Fatal(err)
	}
	otelcol, err = lab.CollectorBinary()
	if err != nil {
		tb.Fatal(err)
	}
	return l, root, otelcol
}
