package datadog_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/exporters/datadog"
)

// header is one header line of a carrier; a carrier may repeat a key.
type header struct{ key, value string }

// carrier is a request's headers in the order they arrive.
type carrier []header

// ddReader hands a carrier to dd-trace-go as its HTTPHeadersCarrier would:
// every value of every key. Keys come in sorted order, one of the orders Go's
// map of headers may give, so that dd-trace-go's result is reproducible.
type ddReader carrier

func (c ddReader) ForeachKey(handler func(key, val string) error) error {
	h := http.Header{}
	for _, kv := range c {
		h.Add(kv.key, kv.value)
	}
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			if err := handler(k, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// httpHeader is the carrier as net/http gives it to an OpenTelemetry
// server handler.
func (c carrier) httpHeader() http.Header {
	h := http.Header{}
	for _, kv := range c {
		h.Add(kv.key, kv.value)
	}
	return h
}

func (c carrier) String() string {
	var b strings.Builder
	for _, kv := range c {
		fmt.Fprintf(&b, "%s: %q; ", kv.key, kv.value)
	}
	return b.String()
}

// outcome is what a propagator makes of a carrier: what it extracts (the
// 128-bit trace ID, the parent ID, the sampling priority, the origin and the
// propagated tags) and the headers it injects from that context downstream.
type outcome struct {
	Extracted bool
	TraceID   string
	ParentID  string
	Priority  string // "" when the context has none
	Origin    string
	Tags      string // x-datadog-tags as a sorted set
	Headers   map[string]string
}

func (o outcome) String() string {
	keys := make([]string, 0, len(o.Headers))
	for k := range o.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "extracted=%v trace=%s parent=%s priority=%q origin=%q tags=%q", o.Extracted, o.TraceID, o.ParentID, o.Priority, o.Origin, o.Tags)
	for _, k := range keys {
		fmt.Fprintf(&b, "\n    %s: %q", k, o.Headers[k])
	}
	return b.String()
}

// style is a propagation setup, as each side configures it.
type style struct {
	name string
	dd   string // DD_TRACE_PROPAGATION_STYLE
	otel propagation.TextMapPropagator
}

// styles are the setups compared: otelswitch's default OTEL_PROPAGATORS
// with a Datadog backend (tracecontext,baggage,datadog) against
// dd-trace-go's default (datadog,tracecontext,baggage: its
// getPropagators); baggage travels in its own header, outside this
// comparison. And the datadog propagator alone on both sides.
func styles() []style {
	return []style{
		{"default", "datadog,tracecontext", propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}, datadog.Propagator{})},
		{"datadog", "datadog", datadog.Propagator{}},
	}
}

// ddOutcome extracts c with dd-trace-go's propagator and injects the
// extracted context again with it. dd-trace-go's span context has no
// accessor for the origin and the propagated tags; its Datadog injector
// writes them as it holds them.
func ddOutcome(s style, c carrier) outcome {
	p := tracer.NewPropagator(&tracer.PropagatorConfig{MaxTagsHeaderLen: 512, InjectStyle: s.dd, ExtractStyle: s.dd})
	sc, err := p.Extract(ddReader(c))
	if err != nil || sc == nil {
		return outcome{}
	}
	out, err := ddInject(p, sc)
	if err != nil {
		// dd-trace-go's W3C injector dereferences the trace of a context
		// extracted from Datadog headers with neither a priority nor tags
		// (its tracer never injects one: a span start creates the trace).
		// Such a context is undecided; its Datadog headers are compared.
		out = tracer.TextMapCarrier{}
		_ = tracer.NewPropagator(&tracer.PropagatorConfig{MaxTagsHeaderLen: 512, InjectStyle: "datadog"}).Inject(sc, out)
	}
	o := outcome{Extracted: true, TraceID: sc.TraceID(), ParentID: fmt.Sprintf("%016x", sc.SpanID())}
	if prio, ok := sc.SamplingPriority(); ok {
		o.Priority = strconv.Itoa(prio)
	}
	o.Headers = normalize(out)
	o.Origin, o.Tags = o.Headers[datadog.HeaderOrigin], o.Headers[datadog.HeaderTags]
	return o
}

// ddInject injects sc with p, turning a panic into an error.
func ddInject(p tracer.Propagator, sc *tracer.SpanContext) (out tracer.TextMapCarrier, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("dd-trace-go panicked: %v", r)
		}
	}()
	out = tracer.TextMapCarrier{}
	return out, p.Inject(sc, out)
}

// ourOutcome does the same with otelswitch's propagators.
func ourOutcome(s style, c carrier) outcome {
	ctx := s.otel.Extract(context.Background(), propagation.HeaderCarrier(c.httpHeader()))
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return outcome{}
	}
	out := propagation.MapCarrier{}
	s.otel.Inject(ctx, out)
	sid := sc.SpanID()
	o := outcome{Extracted: true, TraceID: sc.TraceID().String(), ParentID: fmt.Sprintf("%016x", binary.BigEndian.Uint64(sid[:]))}
	o.Headers = normalize(out)
	o.Priority = out[datadog.HeaderPriority]
	if o.Priority == "" && sc.IsSampled() {
		o.Priority = "1"
	}
	o.Origin, o.Tags = o.Headers[datadog.HeaderOrigin], o.Headers[datadog.HeaderTags]
	return o
}

// normalize makes injected headers comparable: keys in lower case, the
// x-datadog-tags and the t.* entries of the tracestate dd member as sorted
// sets (dd-trace-go keeps them in a Go map, so its order is random).
func normalize(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		k = strings.ToLower(k)
		switch k {
		case datadog.HeaderTags:
			items := strings.Split(v, ",")
			sort.Strings(items)
			v = strings.Join(items, ",")
		case "tracestate":
			v = normalizeTracestate(v)
		}
		out[k] = v
	}
	return out
}

func normalizeTracestate(v string) string {
	members := strings.Split(v, ",")
	for i, m := range members {
		dd, ok := strings.CutPrefix(m, "dd=")
		if !ok {
			continue
		}
		var head, tags []string
		for _, e := range strings.Split(dd, ";") {
			if strings.HasPrefix(e, "t.") {
				tags = append(tags, e)
			} else {
				head = append(head, e)
			}
		}
		sort.Strings(tags)
		members[i] = "dd=" + strings.Join(append(head, tags...), ";")
	}
	return strings.Join(members, ",")
}

// undecided reports whether dd-trace-go extracted a context that carries
// no sampling decision (Datadog headers without a priority). Its tracer
// decides at the next span, with its own sampler; injected again as it is,
// the context says priority none, flag 00 and s:0. otelswitch leaves the
// decision to the OpenTelemetry sampler (ParentBased keeps it). Those
// carriers are compared on everything else.
func undecided(o outcome) bool { return o.Extracted && o.Priority == "" }

// dropDecision removes what an undecided context cannot be compared on.
func dropDecision(o outcome) outcome {
	h := map[string]string{}
	for k, v := range o.Headers {
		switch k {
		case datadog.HeaderPriority:
			continue
		case "traceparent", "tracestate":
			// dd-trace-go's W3C injector does not handle an undecided
			// context (see ddOutcome); its Datadog injector does.
			continue
		}
		h[k] = v
	}
	o.Headers, o.Priority = h, ""
	return o
}

// knownDifference names the documented difference (docs/datadog.md) a
// carrier falls under, or "". Such carriers are counted, not compared.
func knownDifference(s style, c carrier) string {
	var tp []string
	zeroParent, synthetics, ctlOrigin := false, false, false
	for _, kv := range c {
		switch strings.ToLower(kv.key) {
		case "traceparent":
			tp = append(tp, kv.value)
		case datadog.HeaderParentID:
			zeroParent = kv.value == "0"
		case datadog.HeaderOrigin:
			synthetics = kv.value == "synthetics"
			ctlOrigin = strings.IndexFunc(kv.value, func(r rune) bool { return (r < 0x20 && r != '\t') || r == 0x7f }) >= 0
		}
	}
	if zeroParent && synthetics {
		return "synthetics request without a parent: an OpenTelemetry span context needs a span ID"
	}
	if ctlOrigin {
		return "origin with control characters: not sent on (net/http refuses such a header value)"
	}
	if s.name == "default" && len(tp) == 1 && tp[0] != strings.ToLower(tp[0]) {
		return "upper-case hex in traceparent: OpenTelemetry's tracecontext propagator refuses it (W3C: lower case)"
	}
	return ""
}

// maskFlags keeps only the sampled bit of the traceparent flags:
// OpenTelemetry's tracecontext propagator sends the other bits (W3C's
// random-trace-ID flag, 02) on as received, dd-trace-go drops them.
func maskFlags(o outcome) outcome {
	tp := o.Headers["traceparent"]
	if len(tp) == 55 {
		if f, err := strconv.ParseUint(tp[53:], 16, 8); err == nil {
			o.Headers["traceparent"] = fmt.Sprintf("%s%02x", tp[:53], f&1)
		}
	}
	return o
}

// compare runs c through both sides in style s; it returns "" when they
// agree, else the difference.
func compare(s style, c carrier) string {
	want, got := ddOutcome(s, c), ourOutcome(s, c)
	got = maskFlags(got)
	if undecided(want) {
		want, got = dropDecision(want), dropDecision(got)
	}
	if mayTruncate(c) {
		// dd-trace-go does not cut the origin; a member over 256 bytes
		// only because of it is what it writes too.
		if n := len(memberOf(got.Headers["tracestate"])); n > 256 && n > len(memberOf(want.Headers["tracestate"])) {
			return fmt.Sprintf("style %s, carrier %s\n  otelswitch's dd member is over 256 bytes: %s", s.name, c, got)
		}
		want, got = dropStateTags(want), dropStateTags(got)
	}
	if want.String() == got.String() {
		return ""
	}
	return fmt.Sprintf("style %s, carrier %s\n  dd-trace-go %s\n  otelswitch  %s", s.name, c, want, got)
}

// mayTruncate reports whether c carries so many tags that the tracestate's
// dd member may not hold them all. dd-trace-go then keeps the ones that fit
// in the (random) order of its Go map, so which ones is not reproducible;
// the t.* entries of such a member are left out of the comparison, and
// otelswitch's member is only required to stay within 256 bytes.
func mayTruncate(c carrier) bool {
	n := 0
	for _, kv := range c {
		if strings.EqualFold(kv.key, datadog.HeaderTags) || strings.EqualFold(kv.key, "tracestate") {
			n += len(kv.value)
		}
	}
	return n > 200
}

func memberOf(tracestate string) string {
	for _, m := range strings.Split(tracestate, ",") {
		if strings.HasPrefix(m, "dd=") {
			return m
		}
	}
	return ""
}

// dropStateTags removes the t.* entries of the tracestate's dd member.
func dropStateTags(o outcome) outcome {
	h := map[string]string{}
	for k, v := range o.Headers {
		if k == "tracestate" {
			members := strings.Split(v, ",")
			for i, m := range members {
				if dd, ok := strings.CutPrefix(m, "dd="); ok {
					var keep []string
					for _, e := range strings.Split(dd, ";") {
						if !strings.HasPrefix(e, "t.") {
							keep = append(keep, e)
						}
					}
					members[i] = "dd=" + strings.Join(keep, ";")
				}
			}
			v = strings.Join(members, ",")
		}
		h[k] = v
	}
	o.Headers = h
	return o
}

// TestPropagatorDifferential runs every carrier of diffCarriers through
// dd-trace-go v2's propagator and otelswitch's, in both styles, and
// requires the same outcome: extracted or not; trace ID, parent ID,
// priority, origin and propagated tags; and every injected header.
func TestPropagatorDifferential(t *testing.T) {
	quietDDTraceGo(t)
	cs := diffCarriers()
	if len(cs) < 500 {
		t.Fatalf("only %d carriers", len(cs))
	}
	fails := 0
	known := map[string]int{}
	for _, s := range styles() {
		for _, c := range cs {
			if k := knownDifference(s, c); k != "" {
				known[k]++
				continue
			}
			if d := compare(s, c); d != "" {
				fails++
				if fails <= 400 {
					t.Error(d)
				}
			}
		}
	}
	t.Logf("%d carriers x %d styles: %d differ", len(cs), len(styles()), fails)
	for k, n := range known {
		t.Logf("not compared, documented difference (%d): %s", n, k)
	}
}

// quietDDTraceGo silences dd-trace-go's warnings about the carriers (it
// logs each malformed header). Its logger is process-wide and has no
// undo; no test here reads dd-trace-go's log.
func quietDDTraceGo(testing.TB) {
	tracer.UseLogger(discard{})
}

type discard struct{}

func (discard) Log(string) {}

// FuzzDatadogPropagator runs fuzzed carriers (Datadog headers, traceparent
// and tracestate, any of them possibly absent) through both propagators
// in both styles and requires the same outcome, as
// TestPropagatorDifferential. Its seed corpus is in
// testdata/fuzz/FuzzDatadogPropagator.
func FuzzDatadogPropagator(f *testing.F) {
	for _, c := range diffCarriers()[:40] {
		a, b, c, d, e, g, h := fuzzArgs(c)
		f.Add(a, b, c, d, e, g, h)
	}
	quietDDTraceGo(f)
	f.Fuzz(func(t *testing.T, tid, pid, prio, origin, tags, traceparent, tracestate string) {
		var c carrier
		for _, kv := range []header{
			{datadog.HeaderTraceID, tid}, {datadog.HeaderParentID, pid}, {datadog.HeaderPriority, prio},
			{datadog.HeaderOrigin, origin}, {datadog.HeaderTags, tags}, {"traceparent", traceparent}, {"tracestate", tracestate},
		} {
			// An empty argument is an absent header; a header value
			// cannot hold a line break.
			if kv.value != "" && !strings.ContainsAny(kv.value, "\r\n") {
				c = append(c, kv)
			}
		}
		for _, s := range styles() {
			if knownDifference(s, c) != "" {
				continue
			}
			if d := compare(s, c); d != "" {
				t.Error(d)
			}
		}
	})
}

func fuzzArgs(c carrier) (tid, pid, prio, origin, tags, traceparent, tracestate string) {
	get := func(k string) string {
		for _, kv := range c {
			if strings.EqualFold(kv.key, k) {
				return kv.value
			}
		}
		return ""
	}
	return get(datadog.HeaderTraceID), get(datadog.HeaderParentID), get(datadog.HeaderPriority), get(datadog.HeaderOrigin),
		get(datadog.HeaderTags), get("traceparent"), get("tracestate")
}

// dd builds a carrier of Datadog headers; empty values are left out.
func dd(tid, pid, prio, origin, tags string) carrier {
	var c carrier
	for _, kv := range []header{
		{datadog.HeaderTraceID, tid}, {datadog.HeaderParentID, pid}, {datadog.HeaderPriority, prio},
		{datadog.HeaderOrigin, origin}, {datadog.HeaderTags, tags},
	} {
		if kv.value != "" {
			c = append(c, kv)
		}
	}
	return c
}

// w3c builds a carrier of traceparent and tracestate; empty values are
// left out.
func w3c(traceparent, tracestate string) carrier {
	var c carrier
	if traceparent != "" {
		c = append(c, header{"traceparent", traceparent})
	}
	if tracestate != "" {
		c = append(c, header{"tracestate", tracestate})
	}
	return c
}

// diffCarriers builds the hand-made carriers, class by class, and random
// mutations of them.
func diffCarriers() []carrier {
	var out []carrier
	out = append(out, datadogOnlyCarriers()...)
	out = append(out, w3cOnlyCarriers()...)
	out = append(out, bothCarriers()...)
	return append(out, mutations(out, 500)...)
}

// datadogOnlyCarriers: Datadog headers alone.
func datadogOnlyCarriers() []carrier {
	ids := []string{"1", "42", "18446744073709551615", "18446744073709551616", "-1", "-42", "0", "00042", " 7", "+7", "abc", "9223372036854775808", "-9223372036854775808"}
	var out []carrier
	for _, tid := range ids {
		for _, pid := range []string{"7", "-7", "0", "x"} {
			out = append(out, dd(tid, pid, "1", "", ""))
		}
	}
	prios := []string{"", "-1", "0", "1", "2", "x", "3"}
	origins := []string{"", "synthetics", "rum", "syn=thetics", "o;r,i~g:in", "ünï", "a b", "a\tb"}
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
		"_dd.p.usr.id=ünï",
		"_dd.p.x=1,other=2",
		"_dd.p.x=1,,_dd.p.y=2",
		"=1",
		"_dd.p.long=" + strings.Repeat("v", 490),
		"_dd.p.a=" + strings.Repeat("a", 200) + ",_dd.p.b=" + strings.Repeat("b", 200),
	}
	// x-datadog-tags from 505 to 520 bytes, around the 512-byte limit.
	for n := 505; n <= 520; n++ {
		tags = append(tags, "_dd.p.dm=-4,_dd.p.long="+strings.Repeat("v", n-len("_dd.p.dm=-4,_dd.p.long=")))
	}
	for _, pr := range prios {
		for _, o := range origins {
			for _, tg := range tags {
				out = append(out, dd("12345", "67890", pr, o, tg))
			}
		}
	}
	// 128-bit IDs whose low 64 bits are zero, a zero parent for synthetics,
	// header names in other cases and repeated headers.
	out = append(out,
		dd("0", "7", "1", "", "_dd.p.tid=640cfd8d00000000"),
		dd("12345", "0", "1", "synthetics", ""),
		carrier{{"X-Datadog-Trace-Id", "12345"}, {"X-DATADOG-PARENT-ID", "7"}, {"x-datadog-sampling-priority", "2"}},
		append(dd("12345", "67890", "1", "", ""), header{datadog.HeaderTraceID, "999"}),
		append(dd("12345", "67890", "1", "", ""), header{datadog.HeaderPriority, "2"}),
		append(dd("12345", "67890", "1", "", ""), header{datadog.HeaderPriority, "x"}),
		append(dd("12345", "67890", "1", "rum", ""), header{datadog.HeaderOrigin, "synthetics"}),
		append(dd("12345", "67890", "1", "", "_dd.p.dm=-4"), header{datadog.HeaderTags, "_dd.p.dm=-3,_dd.p.x=y"}),
	)
	return out
}

// Trace and span IDs for the W3C carriers: tp128 is the 128-bit trace of
// the Datadog headers below (upper 640cfd8d00000000, low 12345).
const (
	tp128     = "640cfd8d000000000000000000003039"
	tp64      = "00000000000000000000000000003039"
	tpOther   = "1111111111111111000000000000002a"
	spanDD    = "0000000000010932" // 67890
	spanOther = "00000000000000aa"
)

// w3cOnlyCarriers: traceparent and tracestate alone.
func w3cOnlyCarriers() []carrier {
	parents := []string{
		"00-" + tp128 + "-" + spanDD + "-01",
		"00-" + tp128 + "-" + spanDD + "-00",
		"00-" + tp64 + "-" + spanDD + "-01",
		"00-" + strings.ToUpper(tp128) + "-" + spanDD + "-01",
		"01-" + tp128 + "-" + spanDD + "-01-what-the-future-holds",
		"00-" + tp128 + "-" + spanDD + "-03",
		"00-00000000000000000000000000000000-" + spanDD + "-01",
		"00-" + tp128 + "-0000000000000000-01",
		"00-" + tp128 + "-" + spanDD + "-0x",
		"ff-" + tp128 + "-" + spanDD + "-01",
	}
	states := []string{
		"",
		"dd=s:2;o:rum;t.dm:-4;t.usr.id:a~b",
		"dd=s:-1;t.dm:-3",
		"dd=s:1;t.dm:-0",
		"dd=s:2;p:0123456789abcdef",
		"dd=t.dm:-4;s:-1",
		"dd=s:0",
		"dd=s:x;o:rum",
		"dd=o:syn~the;t.tid:1111111111111111",
		"foo=bar,dd=s:2;o:rum",
		"dd=s:1,foo=bar,baz=qux",
		"dd=s:1;o:rum,ot=th:8",
		"dd=s:1;t.x:" + strings.Repeat("y", 250),
		"dd=s:2;o:rum;t.a:" + strings.Repeat("a", 110) + ";t.b:" + strings.Repeat("b", 110),
		"foo=" + strings.Repeat("f", 600) + ",dd=s:1",
		"DD=s:1",
		"dd=s:1;o:a b",
		" dd=s:2 , foo=bar",
	}
	var out []carrier
	for _, tp := range parents {
		for _, ts := range states {
			out = append(out, w3c(tp, ts))
		}
	}
	out = append(out,
		carrier{{"traceparent", parents[0]}, {"traceparent", parents[1]}},
		carrier{{"Traceparent", parents[1]}, {"TraceState", "dd=s:-1"}},
	)
	return out
}

// bothCarriers: Datadog and W3C headers together, agreeing as dd-trace-go
// sends them and conflicting.
func bothCarriers() []carrier {
	tags := "_dd.p.dm=-4,_dd.p.tid=640cfd8d00000000"
	var out []carrier
	for _, prio := range []string{"2", "1", "0", "-1", ""} {
		for _, flag := range []string{"01", "00"} {
			for _, ts := range []string{"", "dd=s:" + prio + ";o:rum;t.dm:-4", "dd=s:2;o:synthetics;t.dm:-3;t.usr.id:z", "foo=bar,dd=s:1;p:0123456789abcdef", "dd=s:1;p:0123456789abcdef,foo=bar"} {
				for _, parent := range []string{spanDD, spanOther} {
					// The same trace, agreeing or not on the parent.
					c := append(dd("12345", "67890", prio, "rum", tags), w3c("00-"+tp128+"-"+parent+"-"+flag, ts)...)
					out = append(out, c)
				}
				// Conflicting trace IDs: another trace entirely, and the
				// same low 64 bits with other (or no) upper bits.
				out = append(out,
					append(dd("12345", "67890", prio, "rum", tags), w3c("00-"+tpOther+"-"+spanOther+"-"+flag, ts)...),
					append(dd("12345", "67890", prio, "rum", tags), w3c("00-"+tp64+"-"+spanDD+"-"+flag, ts)...),
					append(dd("12345", "67890", prio, "rum", ""), w3c("00-"+tp128+"-"+spanDD+"-"+flag, ts)...),
				)
			}
		}
	}
	// Datadog headers that fail (corrupt, or missing an ID) next to a
	// valid traceparent, and the other way round.
	good := "00-" + tp128 + "-" + spanDD + "-01"
	out = append(out,
		append(dd("abc", "67890", "1", "", ""), w3c(good, "dd=s:2;o:rum")...),
		append(dd("12345", "x", "1", "", ""), w3c(good, "dd=s:2")...),
		append(dd("12345", "67890", "keep", "", ""), w3c(good, "")...),
		append(dd("0", "67890", "1", "", ""), w3c(good, "dd=s:2")...),
		append(dd("12345", "0", "1", "", ""), w3c(good, "dd=s:2")...),
		append(dd("12345", "", "1", "", ""), w3c(good, "")...),
		append(dd("12345", "67890", "2", "rum", tags), w3c("00-"+tp128+"-"+spanDD+"-zz", "dd=s:1")...),
		append(dd("12345", "67890", "2", "rum", tags), w3c("", "dd=s:1;o:other")...),
	)
	return out
}

// mutations makes n carriers, each one of base with one header changed:
// a byte replaced, dropped or the value doubled, the header removed, or
// the header repeated with another value.
func mutations(base []carrier, n int) []carrier {
	r := rand.New(rand.NewPCG(1, 2))
	var out []carrier
	for len(out) < n {
		src := base[r.IntN(len(base))]
		if len(src) == 0 {
			continue
		}
		c := append(carrier(nil), src...)
		i := r.IntN(len(c))
		v := []byte(c[i].value)
		switch op := r.IntN(5); {
		case op == 0 && len(v) > 0:
			v[r.IntN(len(v))] = byte(32 + r.IntN(95))
		case op == 1 && len(v) > 0:
			j := r.IntN(len(v))
			v = append(v[:j:j], v[j+1:]...)
		case op == 2:
			v = append(v, v...)
		case op == 3:
			c = append(c[:i:i], c[i+1:]...)
			out = append(out, c)
			continue
		default:
			other := base[r.IntN(len(base))]
			if len(other) > 0 {
				kv := other[r.IntN(len(other))]
				c = append(c, header{c[i].key, kv.value})
			}
		}
		c[i].value = string(v)
		out = append(out, c)
	}
	return out
}
