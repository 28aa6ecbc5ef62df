package compare

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/otelswitch/otelswitch/internal/lab"
	"github.com/otelswitch/otelswitch/sample-app/internal/promscrape"
)

// gatewayDecisionWait keeps the lab gateway's hold short.
const gatewayDecisionWait = time.Second

// startGateway runs one collector with deploy/collector/gateway.yaml, as
// docs/scale-out.md and TestScaleOut (internal/e2e) do, exporting its
// traces over OTLP gRPC to exportTo, keeping percentage % of the ordinary
// traces. It returns the gateway's OTLP gRPC address and its own metrics
// URL.
func startGateway(t *testing.T, exportTo string, percentage int) (grpc, metrics string) {
	t.Helper()
	root, err := lab.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	otelcol, err := lab.CollectorBinary()
	if err != nil {
		t.Fatal(err)
	}
	ports, err := lab.FreePorts(4)
	if err != nil {
		t.Fatal(err)
	}
	addr := func(i int) string { return "127.0.0.1:" + strconv.Itoa(ports[i]) }
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + os.TempDir(),
		"GATEWAY_OTLP_GRPC_ENDPOINT=" + addr(0),
		"GATEWAY_OTLP_HTTP_ENDPOINT=" + addr(1),
		"GATEWAY_HEALTH_ENDPOINT=" + addr(2),
		"GATEWAY_METRICS_HOST=127.0.0.1",
		"GATEWAY_METRICS_PORT=" + strconv.Itoa(ports[3]),
		"GATEWAY_BATCH_TIMEOUT=200ms",
		"TAIL_SAMPLING_DECISION_WAIT=" + gatewayDecisionWait.String(),
		"TAIL_SAMPLING_PERCENTAGE=" + strconv.Itoa(percentage),
		"GATEWAY_TRACES_EXPORTERS=[otlp/jaeger]",
		"JAEGER_ENDPOINT=" + exportTo,
		"JAEGER_INSECURE=true",
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	name := fmt.Sprintf("gateway-%d", ports[0])
	p, err := lab.StartProc(ctx, name, otelcol, []string{"--config", filepath.Join(root, "deploy/collector/gateway.yaml")},
		env, filepath.Join(t.TempDir(), name+".log"), "http://"+addr(2)+"/")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(p.Log(30))
		}
		if err := p.Stop(); err != nil {
			t.Error(err)
		}
	})
	return addr(0), "http://" + addr(3) + "/metrics"
}

// gatewaySpans sums the gateway's own span counter metric (any labels).
func gatewaySpans(t *testing.T, url, metric string) int64 {
	t.Helper()
	res, err := promscrape.Get(context.Background(), url, promscrape.AcceptText)
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, s := range res.Samples {
		if strings.TrimSuffix(s.Name, "_total") == metric {
			sum += s.Value
		}
	}
	return int64(sum)
}

// TestGatewayAgainstTheLab points compare at a real gateway collector
// running deploy/collector/gateway.yaml, once per store: exporting to the
// lab collector's otlp receiver (beside the jaeger backend, fan-out
// included) and exporting to the lab's Jaeger. The gateway keeps 30 % of
// the ordinary traces and every error and slow one; compare reports the
// gateway ok with fewer spans stored than sent, and what it counted stored
// is exactly what the gateway's own metrics say it received and exported.
func TestGatewayAgainstTheLab(t *testing.T) {
	l := lab.ForTest(t)
	wait := gatewayDecisionWait + 2*time.Second
	for _, tc := range []struct {
		store    string
		exportTo string
		backends []string
	}{
		{StoreCollector, l.CollectorOTLPGRPC, []string{"jaeger", GatewayBackend}},
		{StoreJaeger, l.JaegerOTLPGRPC, []string{GatewayBackend}},
	} {
		t.Run(tc.store, func(t *testing.T) {
			grpc, metrics := startGateway(t, tc.exportTo, 30)
			rep, err := Run(context.Background(), l, testOptions("g"+tc.store[:1],
				WithBackends(tc.backends...), WithGateway(Gateway{Endpoint: grpc, Store: tc.store, Wait: wait}))...)
			if err != nil {
				t.Fatal(err)
			}
			logReport(t, rep)
			checkGatewayRuns(t, rep, tc.backends, metrics)
		})
	}
}

func checkGatewayRuns(t *testing.T, rep *Report, backends []string, metrics string) {
	t.Helper()
	runs := []*Pass{rep.alone(GatewayBackend)}
	if len(backends) > 1 {
		if rep.FanOut == nil || rep.FanOut.delivery(GatewayBackend) == nil || rep.FanOut.delivery("jaeger") == nil {
			t.Fatalf("fan-out %+v; want jaeger and the gateway in it (they are counted in different stores)", rep.FanOut)
		}
		runs = append(runs, rep.FanOut)
		// The gateway's spans reach Jaeger only through the lab collector,
		// tagged: the jaeger backend's count is its own spans alone.
		if j := rep.FanOut.delivery("jaeger"); j.Status != StatusOK || j.Stored != rep.FanOut.SpansMade {
			t.Errorf("jaeger in the fan-out: %s %q, stored %d of %d made", j.Status, j.Reason, j.Stored, rep.FanOut.SpansMade)
		}
	}
	var sent, stored int64
	for _, run := range runs {
		g := run.delivery(GatewayBackend)
		if g == nil {
			t.Fatalf("%s: no gateway delivery", run.Name)
		}
		if g.Status != StatusOK || !g.Sampled || !g.StoredExact || g.Sent != run.SpansMade {
			t.Errorf("gateway in %s: %s %q, sampled %v, exact %v, sent %d of %d made", run.Name, g.Status, g.Reason, g.Sampled, g.StoredExact, g.Sent, run.SpansMade)
		}
		// 30 % of several hundred traces, plus the error and slow ones:
		// some kept, not all.
		if g.Stored == 0 || g.Stored >= g.Sent || !strings.Contains(g.Reason, "tail sampling kept") {
			t.Errorf("gateway in %s: stored %d of %d sent (%q); want the tail-sampled share", run.Name, g.Stored, g.Sent, g.Reason)
		}
		if g.Seen.Service != run.Service || g.Seen.Env != DefaultEnvironment {
			t.Errorf("gateway in %s: seen as %+v", run.Name, g.Seen)
		}
		sent += g.Sent
		stored += g.Stored
	}
	// Only compare's runs sent to this gateway.
	if got := gatewaySpans(t, metrics, "otelcol_receiver_accepted_spans"); got != sent {
		t.Errorf("the gateway accepted %d spans; compare says it sent %d", got, sent)
	}
	if got := gatewaySpans(t, metrics, "otelcol_exporter_sent_spans"); got != stored {
		t.Errorf("the gateway exported %d spans; compare counted %d stored", got, stored)
	}
}
