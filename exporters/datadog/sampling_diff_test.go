package datadog_test

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/DataDog/dd-trace-go/v2/ddtrace/ext"
	"github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"

	"github.com/otelswitch/otelswitch/exporters/datadog"
)

// rootSpec is one generated root span. When laterResource or laterTier is
// set, the root is given it after it started, before it finishes, as an
// HTTP server's route or a handler's tag arrives late.
type rootSpec struct {
	service, name, resource string
	tags                    map[string]string
	ints                    map[string]int
	laterResource           string
	laterTier               string
}

var (
	resources = []string{"GET /books", "POST /books/{id}", "GET /health", "SELECT books", "/shop.Cart/Add"}
	tiers     = []string{"gold", "silver", "bronze"}
)

// changeLater gives about half of roots a new resource or tier before
// they finish.
func changeLater(rng *rand.Rand, roots []rootSpec) {
	for i := range roots {
		switch rng.IntN(4) {
		case 0:
			roots[i].laterResource = resources[rng.IntN(len(resources))]
		case 1:
			roots[i].laterTier = tiers[rng.IntN(len(tiers))]
		}
	}
}

// ddSpanOf is what a rule sees of r: at its start, or, later set, when it
// finishes.
func ddSpanOf(r rootSpec, traceID uint64, finished bool) datadog.Span {
	sp := datadog.Span{TraceIDLower: traceID, Service: r.service, Name: r.name, Resource: r.resource, Env: "test",
		Meta: map[string]string{}, Metrics: map[string]float64{}}
	for k, v := range r.tags {
		sp.Meta[k] = v
	}
	for k, v := range r.ints {
		sp.Metrics[k] = float64(v)
	}
	if finished && r.laterResource != "" {
		sp.Resource = r.laterResource
	}
	if finished && r.laterTier != "" {
		sp.Meta["tier"] = r.laterTier
	}
	return sp
}

func genRoots(rng *rand.Rand, n int) []rootSpec {
	services := []string{"books", "Books-API", "checkout", "shelf.worker", "payments"}
	names := []string{"http.request", "grpc.server", "db.query", "kafka.consume", "web.request"}
	roots := make([]rootSpec, n)
	for i := range roots {
		r := rootSpec{
			service:  services[rng.IntN(len(services))],
			name:     names[rng.IntN(len(names))],
			resource: resources[rng.IntN(len(resources))],
			tags:     map[string]string{},
			ints:     map[string]int{},
		}
		if rng.IntN(2) == 0 {
			r.tags["tier"] = tiers[rng.IntN(3)]
		}
		if rng.IntN(2) == 0 {
			r.ints["http.status_code"] = []int{200, 201, 404, 500, 503}[rng.IntN(5)]
		}
		roots[i] = r
	}
	return roots
}

// TestSamplingMatchesDDTraceGo runs dd-trace-go's own tracer and the
// Datadog sampler side by side over generated root spans, with the same
// DD_TRACE_SAMPLE_RATE, DD_TRACE_SAMPLING_RULES and DD_TRACE_RATE_LIMIT,
// and requires the same keep or drop decision and sampling priority for
// every trace when it starts (Sampler.Decide), and the same priority and
// _dd.p.dm decision maker on what dd-trace-go sends the Agent once the roots
// finish (Sampler.Finish: the rules look again, at a resource or tag set
// late). With agentRates, the Agent answers with those rates, which both
// apply to the roots no rule decides.
func TestSamplingMatchesDDTraceGo(t *testing.T) {
	scenarios := []struct {
		name               string
		rate, rules, limit string
		agentRates         string
		later              bool // roots change before they finish
	}{
		{"rules and a global rate", "0.5", `[
			{"service":"books*","name":"http.*","sample_rate":0.25},
			{"resource":"GET /health","sample_rate":0},
			{"service":"checkout","tags":{"tier":"gold"},"sample_rate":1},
			{"tags":{"http.status_code":"5??"},"sample_rate":0.9},
			{"name":"db.?uery","resource":"SELECT *","sample_rate":0.1,"max_per_second":5},
			{"service":"payments","provenance":"customer","sample_rate":0.7}
		]`, "10000", "", false},
		{"rules alone: the rest at the agent's rate", "", `[{"service":"shelf.*","sample_rate":0.3},{"name":"grpc.server","sample_rate":0}]`, "", "", false},
		// A limit the run never reaches: with the default 100 per second the
		// share kept would depend on how fast the machine runs the loop.
		{"global rate alone", "0.3", "", "10000", "", false},
		{"rate limit binds", "1", `[{"service":"books","sample_rate":0.5}]`, "3", "", false},
		{"resource and tags set late: the rules look again at finish", "0.5", `[
			{"resource":"GET /health","sample_rate":0},
			{"resource":"POST /books/*","sample_rate":1},
			{"tags":{"tier":"gold"},"sample_rate":0.8,"provenance":"dynamic"},
			{"service":"payments","sample_rate":0.2}
		]`, "10000", "", true},
		{"the agent's rates by service and env", "", `[{"resource":"GET /health","sample_rate":0},{"tags":{"tier":"gold"},"sample_rate":1}]`, "10000",
			`{"service:books,env:test":0.3,"service:checkout,env:test":0,"service:payments,env:prod":0.9,"service:,env:":0.6}`, true},
	}
	agent := newTestAgent(t, false)
	for i, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Setenv("DD_TRACE_SAMPLE_RATE", sc.rate)
			t.Setenv("DD_TRACE_SAMPLING_RULES", sc.rules)
			t.Setenv("DD_TRACE_RATE_LIMIT", sc.limit)
			ours, err := datadog.NewSampler(datadog.SamplingConfig{SampleRate: sc.rate, Rules: sc.rules, RateLimit: sc.limit})
			if err != nil || ours == nil {
				t.Fatalf("NewSampler: %v, %v", ours, err)
			}
			if err := tracer.Start(tracer.WithAgentURL(agent.URL), tracer.WithLogStartup(false), tracer.WithAppSecEnabled(false),
				tracer.WithEnv("test"), tracer.WithSendRetries(0)); err != nil {
				t.Fatal(err)
			}
			if sc.agentRates != "" {
				agentAnswers(t, agent, sc.agentRates, "checkout", ours)
			}
			before := len(agent.Spans())
			rng := rand.New(rand.NewPCG(uint64(i), 42))
			roots := genRoots(rng, 400)
			if sc.later {
				changeLater(rng, roots)
			}
			spans, want := runDDTraceGo(t, roots, ours)
			tracer.Flush()
			tracer.Stop()
			if sc.name == "rate limit binds" {
				// The second look at finish takes tokens again, a second or
				// so after the first: which roots get them depends on the
				// clock, not on the rules, so only the start is compared.
				return
			}
			comparePayload(t, agent, before, spans, want)
		})
	}
}

// agentAnswers makes the agent answer with rates, sends traces until
// dd-trace-go has read them (a probe root of probe, a service rates keep at
// 0 and no rule matches, gets priority 0), and hands the same answer to
// ours.
func agentAnswers(t *testing.T, agent *testAgent, rates, probe string, ours *datadog.Sampler) {
	t.Helper()
	agent.SetRates(rates)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		s := tracer.StartSpan("warm.up", tracer.ServiceName(probe), tracer.ResourceName("probe"))
		p, _ := s.Context().SamplingPriority()
		s.Finish()
		if p == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("dd-trace-go never applied the agent's rates")
		}
		tracer.Flush()
	}
	if err := ours.SetAgentRates([]byte(`{"rate_by_service":`+rates+`}`), time.Now()); err != nil {
		t.Fatal(err)
	}
}

// runDDTraceGo starts every root in dd-trace-go and decides it with ours,
// compares the priorities at start, then changes the roots as they ask
// and finishes them, and returns dd-trace-go's spans and ours final
// decisions.
func runDDTraceGo(t *testing.T, roots []rootSpec, ours *datadog.Sampler) ([]*tracer.Span, []datadog.Decision) {
	t.Helper()
	spans := make([]*tracer.Span, len(roots))
	start := make([]datadog.Decision, len(roots))
	for j, r := range roots {
		opts := []tracer.StartSpanOption{tracer.ServiceName(r.service), tracer.ResourceName(r.resource)}
		for k, v := range r.tags {
			opts = append(opts, tracer.Tag(k, v))
		}
		for k, v := range r.ints {
			opts = append(opts, tracer.Tag(k, v))
		}
		spans[j] = tracer.StartSpan(r.name, opts...)
		start[j] = ours.Decide(ddSpanOf(r, spans[j].Context().TraceIDLower(), false), time.Now())
	}
	kept := 0
	for j, s := range spans {
		got, ok := s.Context().SamplingPriority()
		if !ok || got != start[j].Priority {
			t.Errorf("trace %d %+v at start: dd-trace-go priority %d (set %v); ours %d", j, roots[j], got, ok, start[j].Priority)
		}
		if got > 0 {
			kept++
		}
	}
	// The decisions must differ within the run, or the test proves nothing.
	if kept == 0 || kept == len(spans) {
		t.Errorf("kept %d of %d: the scenario does not exercise both decisions", kept, len(spans))
	}
	final := make([]datadog.Decision, len(roots))
	changed := 0
	for j, r := range roots {
		if r.laterResource != "" {
			spans[j].SetTag(ext.ResourceName, r.laterResource)
		}
		if r.laterTier != "" {
			spans[j].SetTag("tier", r.laterTier)
		}
		spans[j].Finish()
		final[j] = ours.Finish(start[j], ddSpanOf(r, spans[j].Context().TraceIDLower(), true), time.Now())
		if final[j] != start[j] {
			changed++
		}
	}
	if slices.ContainsFunc(roots, func(r rootSpec) bool { return r.laterTier != "" || r.laterResource != "" }) && changed == 0 {
		t.Errorf("no decision changed at finish: the scenario does not exercise the second look")
	}
	return spans, final
}

// comparePayload requires what dd-trace-go sent the agent to carry, for
// every root, ours final priority and decision maker.
func comparePayload(t *testing.T, agent *testAgent, before int, spans []*tracer.Span, want []datadog.Decision) {
	t.Helper()
	sent := map[uint64]ddSpan{}
	for deadline := time.Now().Add(10 * time.Second); len(sent) < len(spans) && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, s := range agent.Spans()[before:] {
			sent[s.SpanID] = s
		}
	}
	for j, sp := range spans {
		s, ok := sent[sp.Context().SpanID()]
		if !ok {
			t.Errorf("trace %d never reached the agent", j)
			continue
		}
		prio := strconv.Itoa(int(s.Metrics["_sampling_priority_v1"]))
		if prio != strconv.Itoa(want[j].Priority) || s.Meta["_dd.p.dm"] != want[j].DecisionMaker {
			t.Errorf("trace %d: sent priority %s, _dd.p.dm %q; ours %d, %q", j, prio, s.Meta["_dd.p.dm"], want[j].Priority, want[j].DecisionMaker)
		}
	}
}
