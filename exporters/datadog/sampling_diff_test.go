package datadog_test

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"

	"github.com/otelswitch/otelswitch/exporters/datadog"
)

// rootSpec is one generated root span.
type rootSpec struct {
	service, name, resource string
	tags                    map[string]string
	ints                    map[string]int
}

func genRoots(rng *rand.Rand, n int) []rootSpec {
	services := []string{"books", "Books-API", "checkout", "shelf.worker", "payments"}
	names := []string{"http.request", "grpc.server", "db.query", "kafka.consume", "web.request"}
	resources := []string{"GET /books", "POST /books/{id}", "GET /health", "SELECT books", "/shop.Cart/Add"}
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
			r.tags["tier"] = []string{"gold", "silver", "bronze"}[rng.IntN(3)]
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
// every trace, and the same _dd.p.dm decision maker on what dd-trace-go
// sends the Agent.
func TestSamplingMatchesDDTraceGo(t *testing.T) {
	scenarios := []struct {
		name               string
		rate, rules, limit string
		checkPayload       bool
	}{
		{"rules and a global rate", "0.5", `[
			{"service":"books*","name":"http.*","sample_rate":0.25},
			{"resource":"GET /health","sample_rate":0},
			{"service":"checkout","tags":{"tier":"gold"},"sample_rate":1},
			{"tags":{"http.status_code":"5??"},"sample_rate":0.9},
			{"name":"db.?uery","resource":"SELECT *","sample_rate":0.1,"max_per_second":5},
			{"service":"payments","provenance":"customer","sample_rate":0.7}
		]`, "10000", true},
		{"rules alone: the rest at the agent's rate", "", `[{"service":"shelf.*","sample_rate":0.3},{"name":"grpc.server","sample_rate":0}]`, "", true},
		{"global rate alone", "0.3", "", "", true},
		{"rate limit binds", "1", `[{"service":"books","sample_rate":0.5}]`, "3", false},
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
			before := len(agent.Spans())
			if err := tracer.Start(tracer.WithAgentURL(agent.URL), tracer.WithLogStartup(false), tracer.WithAppSecEnabled(false),
				tracer.WithEnv("test"), tracer.WithSendRetries(0)); err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(uint64(i), 42))
			roots := genRoots(rng, 400)
			type pair struct {
				span *tracer.Span
				want datadog.Decision
			}
			var pairs []pair
			for _, r := range roots {
				opts := []tracer.StartSpanOption{tracer.ServiceName(r.service), tracer.ResourceName(r.resource)}
				meta, metrics := map[string]string{}, map[string]float64{}
				for k, v := range r.tags {
					opts = append(opts, tracer.Tag(k, v))
					meta[k] = v
				}
				for k, v := range r.ints {
					opts = append(opts, tracer.Tag(k, v))
					metrics[k] = float64(v)
				}
				s := tracer.StartSpan(r.name, opts...)
				d := ours.Decide(datadog.Span{TraceIDLower: s.Context().TraceIDLower(), Service: r.service, Name: r.name,
					Resource: r.resource, Meta: meta, Metrics: metrics}, time.Now())
				pairs = append(pairs, pair{s, d})
			}
			kept := 0
			for j, p := range pairs {
				got, ok := p.span.Context().SamplingPriority()
				if !ok || got != p.want.Priority {
					t.Errorf("trace %d %+v: dd-trace-go priority %d (set %v); ours %d", j, roots[j], got, ok, p.want.Priority)
				}
				if got > 0 {
					kept++
				}
			}
			// The decisions must differ within the run, or the test proves
			// nothing.
			if kept == 0 || kept == len(pairs) {
				t.Errorf("kept %d of %d: the scenario does not exercise both decisions", kept, len(pairs))
			}
			for _, p := range pairs {
				p.span.Finish()
			}
			tracer.Flush()
			tracer.Stop()
			if !sc.checkPayload {
				return
			}
			sent := map[uint64]ddSpan{}
			deadline := time.Now().Add(10 * time.Second)
			for len(sent) < len(pairs) && time.Now().Before(deadline) {
				for _, s := range agent.Spans()[before:] {
					sent[s.SpanID] = s
				}
				time.Sleep(20 * time.Millisecond)
			}
			for j, p := range pairs {
				s, ok := sent[p.span.Context().SpanID()]
				if !ok {
					t.Errorf("trace %d never reached the agent", j)
					continue
				}
				prio := strconv.Itoa(int(s.Metrics["_sampling_priority_v1"]))
				if prio != strconv.Itoa(p.want.Priority) || s.Meta["_dd.p.dm"] != p.want.DecisionMaker {
					t.Errorf("trace %d: sent priority %s, _dd.p.dm %q; ours %d, %q", j, prio, s.Meta["_dd.p.dm"], p.want.Priority, p.want.DecisionMaker)
				}
			}
		})
	}
	_ = fmt.Sprint
}
