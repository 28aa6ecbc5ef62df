package datadog_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/exporters/datadog"
)

// extracted is what a propagator reads from a carrier, in the terms both
// share: the 128-bit trace ID, the parent ID and the sampling priority.
type extracted struct {
	TraceID  string
	ParentID uint64
	Priority int
	HasPrio  bool
}

// ddExtract extracts carrier with dd-trace-go's own propagator; ok is
// false when it extracts nothing.
func ddExtract(p tracer.Propagator, carrier map[string]string) (extracted, bool) {
	sc, err := p.Extract(tracer.TextMapCarrier(carrier))
	if err != nil || sc == nil {
		return extracted{}, false
	}
	prio, ok := sc.SamplingPriority()
	return extracted{TraceID: sc.TraceID(), ParentID: sc.SpanID(), Priority: prio, HasPrio: ok}, true
}

// ourExtract does the same with otelswitch's propagator, the priority
// being the one it would send downstream.
func ourExtract(carrier map[string]string) (extracted, bool) {
	var p datadog.Propagator
	ctx := p.Extract(context.Background(), propagation.MapCarrier(carrier))
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return extracted{}, false
	}
	out := propagation.MapCarrier{}
	p.Inject(ctx, out)
	sid := sc.SpanID()
	e := extracted{TraceID: sc.TraceID().String(), ParentID: binary.BigEndian.Uint64(sid[:])}
	if _, sent := carrier[datadog.HeaderPriority]; sent {
		e.Priority, _ = strconv.Atoi(out[datadog.HeaderPriority])
		e.HasPrio = true
	}
	return e, true
}

// carriers builds the hand-made carriers and their mutations.
func carriers() []map[string]string {
	ids := []string{"1", "42", "18446744073709551615", "18446744073709551616", "-1", "-42", "0", "00042", " 7", "+7", "abc", "", "9223372036854775808", "-9223372036854775808"}
	prios := []string{"", "-1", "0", "1", "2", "x", "3"}
	origins := []string{"", "synthetics", "rum", "syn=thetics", "o;r,i~g:in", "ünï", "a b"}
	tags := []string{
		"",
		"_dd.p.dm=-4",
		"_dd.p.tid=640cfd8d00000000",
		"_dd.p.tid=640CFD8D00000000",
		"_dd.p.tid=640cfd8d0000000",
		"_dd.p.tid=zzzzzzzzzzzzzzzz",
		"_dd.p.dm=-4,_dd.p.tid=640cfd8d00000000",
		"_dd.p.dm=-4,_dd.p.dm=-3",
		"_dd.p.usr.id=a=b~c;d",
		"_dd.p.x=1,other=2",
		"_dd.p.x=1,,_dd.p.y=2",
		"=1",
		"_dd.p.long=" + strings.Repeat("v", 490),
		"_dd.p.long=" + strings.Repeat("v", 500),
		"_dd.p.a=" + strings.Repeat("a", 200) + ",_dd.p.b=" + strings.Repeat("b", 200),
	}
	var out []map[string]string
	for _, tid := range ids {
		for _, pid := range []string{"7", "-7", "0", "x"} {
			out = append(out, map[string]string{datadog.HeaderTraceID: tid, datadog.HeaderParentID: pid, datadog.HeaderPriority: "1"})
		}
	}
	for _, pr := range prios {
		for _, o := range origins {
			for _, tg := range tags {
				c := map[string]string{datadog.HeaderTraceID: "12345", datadog.HeaderParentID: "67890"}
				if pr != "" {
					c[datadog.HeaderPriority] = pr
				}
				if o != "" {
					c[datadog.HeaderOrigin] = o
				}
				if tg != "" {
					c[datadog.HeaderTags] = tg
				}
				out = append(out, c)
			}
		}
	}
	// Mutations: one byte changed, dropped or doubled in one header.
	r := rand.New(rand.NewPCG(1, 2))
	base := len(out)
	for range 300 {
		src := out[r.IntN(base)]
		c := map[string]string{}
		for k, v := range src {
			c[k] = v
		}
		keys := make([]string, 0, len(c))
		for k := range c {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		k := keys[r.IntN(len(keys))]
		v := []byte(c[k])
		switch op := r.IntN(3); {
		case op == 0 && len(v) > 0:
			v[r.IntN(len(v))] = byte(32 + r.IntN(95))
		case op == 1 && len(v) > 0:
			i := r.IntN(len(v))
			v = append(v[:i], v[i+1:]...)
		default:
			v = append(v, v...)
		}
		c[k] = string(v)
		out = append(out, c)
	}
	return out
}

// TestPropagatorDifferential extracts and injects every carrier through
// dd-trace-go's propagator and through otelswitch's, and compares what
// each sends downstream: trace ID, parent ID, priority, origin and
// propagated tags as far as dd-trace-go exposes them without a running
// tracer: whether a context is extracted, the 128-bit trace ID, the parent
// ID and the sampling priority. Any difference fails.
func TestPropagatorDifferential(t *testing.T) {
	t.Setenv("DD_TRACE_PROPAGATION_STYLE", "datadog")
	dd := tracer.NewPropagator(&tracer.PropagatorConfig{MaxTagsHeaderLen: 512}) // the tracer's default
	cs := carriers()
	same := 0
	for _, c := range cs {
		want, wok := ddExtract(dd, c)
		got, gok := ourExtract(c)
		if wok != gok {
			t.Errorf("carrier %q: dd-trace-go extracts %v, otelswitch %v", c, wok, gok)
			continue
		}
		if fmt.Sprint(want) == fmt.Sprint(got) {
			same++
			continue
		}
		t.Errorf("carrier %q:\n dd-trace-go %+v\n otelswitch  %+v", c, want, got)
	}
	t.Logf("%d carriers: %d the same", len(cs), same)
	if len(cs) < 300 {
		t.Fatalf("only %d carriers", len(cs))
	}
}

// FuzzPropagator extracts fuzzed Datadog headers with dd-trace-go's
// propagator and with otelswitch's and requires the same outcome: both or
// neither extract, with the same trace ID, parent ID and priority.
func FuzzPropagator(f *testing.F) {
	for _, c := range []map[string]string{
		{datadog.HeaderTraceID: "-1", datadog.HeaderParentID: "7", datadog.HeaderPriority: "2", datadog.HeaderTags: "_dd.p.tid=640cfd8d00000000"},
		{datadog.HeaderTraceID: "0", datadog.HeaderParentID: "7", datadog.HeaderPriority: "1", datadog.HeaderTags: "_dd.p.tid=640cfd8d00000000"},
		{datadog.HeaderTraceID: "1", datadog.HeaderParentID: "7", datadog.HeaderPriority: "", datadog.HeaderTags: "_dd.p.tid=640CFD8D00000000"},
		{datadog.HeaderTraceID: " 7", datadog.HeaderParentID: "-7", datadog.HeaderPriority: " 1", datadog.HeaderTags: "_dd.p.dm=-4,_dd.p.dm=-3"},
	} {
		f.Add(c[datadog.HeaderTraceID], c[datadog.HeaderParentID], c[datadog.HeaderPriority], c[datadog.HeaderTags], true)
	}
	f.Add("12345", "67890", "", "", false)
	dd := tracer.NewPropagator(&tracer.PropagatorConfig{MaxTagsHeaderLen: 512})
	f.Fuzz(func(t *testing.T, tid, pid, prio, tags string, withPrio bool) {
		c := map[string]string{datadog.HeaderTraceID: tid, datadog.HeaderParentID: pid, datadog.HeaderTags: tags}
		if withPrio {
			c[datadog.HeaderPriority] = prio
		}
		want, wok := ddExtract(dd, c)
		got, gok := ourExtract(c)
		if wok != gok || (wok && fmt.Sprint(want) != fmt.Sprint(got)) {
			t.Errorf("carrier %q:\n dd-trace-go %v %+v\n otelswitch  %v %+v", c, wok, want, gok, got)
		}
	})
}
