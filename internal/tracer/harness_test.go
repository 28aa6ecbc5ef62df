package tracer_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/internal/testutil"
	"github.com/otelswitch/otelswitch/internal/tracer"
)

// The differential harness: one generated program of trace API calls runs
// against an SDK TracerProvider and a tracer.Provider built from the same
// configuration, and everything either side lets a caller or a processor
// observe is recorded, to be compared.

// nameSampler decides by the span's name, so a program chooses: "drop"
// drops, "rec" records without sampling, anything else samples. It adds
// attributes (one invalid, one that a start attribute may override) and a
// tracestate entry.
type nameSampler struct{}

func (nameSampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	ts := trace.SpanContextFromContext(p.ParentContext).TraceState()
	ts, _ = ts.Insert("otsw", fmt.Sprintf("n%d", len(p.Name)))
	r := sdktrace.SamplingResult{
		Decision:   sdktrace.RecordAndSample,
		Tracestate: ts,
		Attributes: []attribute.KeyValue{
			attribute.String("sampler", p.Name),
			attribute.Int("a", len(p.Attributes)),
			{Key: "", Value: attribute.BoolValue(true)},
		},
	}
	switch {
	case strings.HasPrefix(p.Name, "drop"):
		r.Decision = sdktrace.Drop
	case strings.HasPrefix(p.Name, "rec"):
		r.Decision = sdktrace.RecordOnly
	}
	return r
}

func (nameSampler) Description() string { return "nameSampler" }

// samplers are the samplers every program runs under, by name.
var samplers = map[string]func() sdktrace.Sampler{
	"name":          func() sdktrace.Sampler { return nameSampler{} },
	"parent-always": func() sdktrace.Sampler { return sdktrace.ParentBased(sdktrace.AlwaysSample()) },
	"parent-name": func() sdktrace.Sampler {
		return sdktrace.ParentBased(nameSampler{},
			sdktrace.WithRemoteParentNotSampled(nameSampler{}), sdktrace.WithLocalParentNotSampled(sdktrace.AlwaysSample()))
	},
	"ratio": func() sdktrace.Sampler { return sdktrace.TraceIDRatioBased(0.5) },
	"never": func() sdktrace.Sampler { return sdktrace.NeverSample() },
}

// limitSets are the span limits every program runs under, by name.
var limitSets = map[string]sdktrace.SpanLimits{
	"default": sdktrace.NewSpanLimits(),
	"small": {
		AttributeValueLengthLimit: 5, AttributeValueDepthLimit: 1, AttributeCountLimit: 3,
		EventCountLimit: 2, LinkCountLimit: 2, AttributePerEventCountLimit: 1, AttributePerLinkCountLimit: 1,
	},
	"zero": {},
	"unlimited": {
		AttributeValueLengthLimit: -1, AttributeValueDepthLimit: -1, AttributeCountLimit: -1,
		EventCountLimit: -1, LinkCountLimit: -1, AttributePerEventCountLimit: -1, AttributePerLinkCountLimit: -1,
	},
	"mixed": {
		AttributeValueLengthLimit: 0, AttributeValueDepthLimit: 2, AttributeCountLimit: 1,
		EventCountLimit: 0, LinkCountLimit: 1, AttributePerEventCountLimit: 0, AttributePerLinkCountLimit: -1,
	},
}

// sortedKeys returns m's keys in order, so runs are reproducible.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := range keys {
		for j := i + 1; j < len(keys); j++ {
			if keys[j] < keys[i] {
				keys[i], keys[j] = keys[j], keys[i]
			}
		}
	}
	return keys
}

// testResource is the resource of both sides.
var testResource = resource.NewWithAttributes("https://opentelemetry.io/schemas/1.26.0",
	attribute.String("service.name", "diff"), attribute.Int("n", 1))

// scopes are the tracers a program starts spans from.
var scopes = []struct {
	name string
	opts []trace.TracerOption
}{
	{name: ""},
	{name: "one"},
	{name: "one", opts: []trace.TracerOption{trace.WithInstrumentationVersion("v1.2.3"), trace.WithSchemaURL("https://example.com/s")}},
	{name: "attrs", opts: []trace.TracerOption{trace.WithInstrumentationAttributes(
		attribute.String("k", "v"), attribute.String("k", "w"),
		attribute.Map("m", attribute.String("x", "1"), attribute.String("x", "2"), attribute.Slice("s", attribute.SliceValue(attribute.Int64SliceValue([]int64{1}))))),
	}},
}

// side is one provider under test and what it showed.
type side struct {
	tp     trace.TracerProvider
	flush  func(context.Context) error
	stop   func(context.Context) error
	rec    *tracetest.SpanRecorder
	probe  *probe
	spans  []trace.Span
	ctxs   []context.Context
	log    []any
	limits sdktrace.SpanLimits
}

func newSide(sdk bool, limits sdktrace.SpanLimits, sampler sdktrace.Sampler, extra ...sdktrace.SpanProcessor) *side {
	s := &side{rec: tracetest.NewSpanRecorder(), probe: &probe{}, limits: limits}
	procs := append([]sdktrace.SpanProcessor{s.probe, s.rec}, extra...)
	if sdk {
		tp := sdktrace.NewTracerProvider(withProcessors(sdktrace.WithSpanProcessor, procs,
			sdktrace.WithSampler(sampler), sdktrace.WithResource(testResource),
			sdktrace.WithRawSpanLimits(limits), sdktrace.WithIDGenerator(&testutil.SeqIDs{}))...)
		s.tp, s.flush, s.stop = tp, tp.ForceFlush, tp.Shutdown
		return s
	}
	tp := tracer.NewProvider(withProcessors(tracer.WithSpanProcessor, procs,
		tracer.WithSampler(sampler), tracer.WithResource(testResource),
		tracer.WithRawSpanLimits(limits), tracer.WithIDGenerator(&testutil.SeqIDs{}))...)
	s.tp, s.flush, s.stop = tp, tp.ForceFlush, tp.Shutdown
	return s
}

// withProcessors appends an option per processor to opts, for either
// provider.
func withProcessors[O any](with func(sdktrace.SpanProcessor) O, procs []sdktrace.SpanProcessor, opts ...O) []O {
	for _, p := range procs {
		opts = append(opts, with(p))
	}
	return opts
}

func (s *side) tracer(i int) trace.Tracer {
	sc := scopes[i%len(scopes)]
	return s.tp.Tracer(sc.name, sc.opts...)
}

// probe is a processor that records what OnStart saw, and annotates the
// spans named for it as processors do.
type probe struct {
	mu     sync.Mutex
	starts []startView
	ends   map[trace.SpanID]int
}

type startView struct {
	Name      string
	SC        trace.SpanContext
	Parent    trace.SpanContext
	CtxParent trace.SpanContext
	Kind      trace.SpanKind
	Start     time.Time
	End       time.Time
	Attrs     []attribute.KeyValue
	Handed    []attribute.KeyValue // Attributes() as handed out, read again at the end
	Links     []sdktrace.Link
	Events    []sdktrace.Event
	Status    sdktrace.Status
	Dropped   [3]int
	Children  int
	Recording bool
}

func (p *probe) OnStart(ctx context.Context, s sdktrace.ReadWriteSpan) {
	v := startView{
		Name: s.Name(), SC: s.SpanContext(), Parent: s.Parent(), CtxParent: trace.SpanContextFromContext(ctx),
		Kind: s.SpanKind(), Start: s.StartTime(), End: s.EndTime(), Attrs: s.Attributes(), Links: s.Links(),
		Events: s.Events(), Status: s.Status(), Children: s.ChildSpanCount(), Recording: s.IsRecording(),
		Dropped: [3]int{s.DroppedAttributes(), s.DroppedEvents(), s.DroppedLinks()},
	}
	// The view must not change when the span does: copy what it read,
	// and keep what the span handed out, which must not change either.
	v.Attrs, v.Handed = append([]attribute.KeyValue(nil), v.Attrs...), v.Attrs
	if strings.Contains(v.Name, "annotate") {
		s.SetAttributes(attribute.Bool("annotated", true), attribute.String("a", "from OnStart"))
		s.AddEvent("annotated", trace.WithTimestamp(v.Start))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.starts = append(p.starts, v)
}

func (p *probe) OnEnd(s sdktrace.ReadOnlySpan) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ends == nil {
		p.ends = map[trace.SpanID]int{}
	}
	p.ends[s.SpanContext().SpanID()]++
}

func (*probe) Shutdown(context.Context) error   { return nil }
func (*probe) ForceFlush(context.Context) error { return nil }

// chooser makes a program's choices: from a seeded generator, or from
// fuzz bytes.
type chooser interface {
	intn(n int) int
	done() bool
}

type randChooser struct {
	r    *rand.Rand
	left int
}

func (c *randChooser) intn(n int) int { return c.r.IntN(n) }
func (c *randChooser) done() bool     { c.left--; return c.left < 0 }

type byteChooser struct {
	b []byte
	i int
}

func (c *byteChooser) intn(n int) int {
	if c.i >= len(c.b) {
		return 0
	}
	v := int(c.b[c.i])
	c.i++
	return v % n
}

func (c *byteChooser) done() bool { return c.i >= len(c.b) }

// step is one call of a program, made on one side.
type step func(s *side)

// gen builds a program.
type gen struct {
	c     chooser
	t     time.Time
	spans int
	steps []step
}

// base is where a program's clock starts; the times a span takes itself
// (a panic's exception event) are after it by decades.
var base = time.Unix(1_000_000_000, 0).UTC()

func program(c chooser, maxOps int) []step {
	g := &gen{c: c, t: base}
	for i := 0; i < maxOps && !c.done(); i++ {
		g.op()
	}
	return g.steps
}

func (g *gen) tick() time.Time {
	g.t = g.t.Add(time.Duration(1+g.c.intn(1000)) * time.Microsecond)
	return g.t
}

// pick returns a span's index, or -1 when there is none.
func (g *gen) pick() int {
	if g.spans == 0 {
		return -1
	}
	return g.c.intn(g.spans)
}

func (g *gen) op() {
	i := g.pick()
	if i < 0 {
		g.start()
		return
	}
	switch g.c.intn(13) {
	case 0, 1, 2:
		g.start()
	case 3:
		attrs := g.attrs()
		g.add(func(s *side) { s.spans[i].SetAttributes(attrs...) })
	case 4:
		code, desc := codes.Code(g.c.intn(4)), g.str()
		g.add(func(s *side) { s.spans[i].SetStatus(code, desc) })
	case 5:
		name := g.name()
		g.add(func(s *side) { s.spans[i].SetName(name) })
	case 6, 7:
		g.addEvent(i)
	case 8:
		g.addLink(i)
	case 9:
		g.recordError(i)
	case 10, 11:
		opts := []trace.SpanEndOption{trace.WithTimestamp(g.tick())}
		if g.c.intn(2) == 0 {
			opts = append(opts, trace.WithStackTrace(true))
		}
		g.add(func(s *side) { s.spans[i].End(opts...) })
	case 12:
		g.panicEnd(i)
	}
}

func (g *gen) add(s step) { g.steps = append(g.steps, s) }

var names = []string{"op", "rec op", "drop op", "GET /x", "annotate me", "rec annotate", "", "日本"}

func (g *gen) name() string { return names[g.c.intn(len(names))] }

func (g *gen) start() {
	tr, name, parent, pi := g.c.intn(len(scopes)), g.name(), g.c.intn(5), g.pick()
	remote := g.spanContext()
	var opts []trace.SpanStartOption
	if k := trace.SpanKind(g.c.intn(7)); k != 0 {
		opts = append(opts, trace.WithSpanKind(k))
	}
	if g.c.intn(2) == 0 {
		opts = append(opts, trace.WithAttributes(g.attrs()...))
	}
	if g.c.intn(3) == 0 {
		opts = append(opts, trace.WithLinks(g.link(), g.link()))
	}
	if parent == 3 {
		opts = append(opts, trace.WithNewRoot())
	}
	opts = append(opts, trace.WithTimestamp(g.tick()))
	g.spans++
	g.add(func(s *side) {
		ctx := context.Background()
		switch {
		case (parent == 1 || parent == 3) && pi >= 0:
			ctx = s.ctxs[pi]
		case parent == 2:
			ctx = trace.ContextWithRemoteSpanContext(ctx, remote)
		case parent == 4 && pi >= 0:
			ctx = trace.ContextWithRemoteSpanContext(s.ctxs[pi], remote)
		}
		ctx, sp := s.tracer(tr).Start(ctx, name, opts...)
		s.spans, s.ctxs = append(s.spans, sp), append(s.ctxs, ctx)
		s.log = append(s.log, startResult{sp.IsRecording(), sp.SpanContext(), trace.SpanContextFromContext(ctx), sp.TracerProvider() == s.tp})
	})
}

type startResult struct {
	Recording bool
	SC, CtxSC trace.SpanContext
	OwnsTP    bool // the span's TracerProvider is the side's
}

// spanContext is a remote span context: valid or not, sampled or not,
// with or without a tracestate.
func (g *gen) spanContext() trace.SpanContext {
	var cfg trace.SpanContextConfig
	if g.c.intn(4) != 0 {
		cfg.TraceID[0], cfg.TraceID[15] = byte(1+g.c.intn(255)), byte(g.c.intn(256))
		cfg.SpanID[0], cfg.SpanID[7] = byte(1+g.c.intn(255)), byte(g.c.intn(256))
	}
	cfg.TraceFlags = trace.TraceFlags(g.c.intn(4))
	if g.c.intn(2) == 0 {
		cfg.TraceState, _ = trace.ParseTraceState("vendor=abc,other=" + fmt.Sprint(g.c.intn(9)))
	}
	cfg.Remote = true
	return trace.NewSpanContext(cfg)
}

func (g *gen) link() trace.Link {
	l := trace.Link{SpanContext: g.spanContext()}
	if g.c.intn(2) == 0 {
		l.Attributes = g.attrs()
	}
	return l
}

func (g *gen) addLink(i int) {
	l, of := g.link(), g.pick()
	own := g.c.intn(3) == 0
	g.add(func(s *side) {
		if own {
			l.SpanContext = s.spans[of].SpanContext()
		}
		s.spans[i].AddLink(l)
	})
}

func (g *gen) addEvent(i int) {
	name, n := g.name(), 1+g.c.intn(3)
	opts := make([][]trace.EventOption, n)
	for j := range opts {
		opts[j] = []trace.EventOption{trace.WithTimestamp(g.tick())}
		if g.c.intn(3) != 0 {
			opts[j] = append(opts[j], trace.WithAttributes(g.attrs()...))
		}
	}
	g.add(func(s *side) {
		for _, o := range opts {
			s.spans[i].AddEvent(name, o...)
		}
	})
}

type customError struct{ code int }

func (e *customError) Error() string { return fmt.Sprintf("custom %d", e.code) }

func (g *gen) anError() error {
	switch g.c.intn(4) {
	case 0:
		return nil
	case 1:
		return errors.New(g.str())
	case 2:
		return fmt.Errorf("wrapped: %w", &customError{g.c.intn(9)})
	}
	return &customError{g.c.intn(9)}
}

func (g *gen) recordError(i int) {
	err := g.anError()
	opts := []trace.EventOption{trace.WithTimestamp(g.tick())}
	if g.c.intn(2) == 0 {
		opts = append(opts, trace.WithAttributes(g.attrs()...))
	}
	if g.c.intn(2) == 0 {
		opts = append(opts, trace.WithStackTrace(true))
	}
	g.add(func(s *side) { s.spans[i].RecordError(err, opts...) })
}

// panicEnd ends span i from a deferred End while a function panics, and
// records what the panic carried out.
func (g *gen) panicEnd(i int) {
	values := []any{"boom", errors.New("bad"), 42, &customError{7}, struct{ X int }{3}}
	v := values[g.c.intn(len(values))]
	opts := []trace.SpanEndOption{trace.WithTimestamp(g.tick())}
	if g.c.intn(2) == 0 {
		opts = append(opts, trace.WithStackTrace(true))
	}
	g.add(func(s *side) {
		var got any
		func() {
			defer func() { got = recover() }()
			func() {
				defer s.spans[i].End(opts...)
				panic(v)
			}()
		}()
		s.log = append(s.log, fmt.Sprintf("recovered %v", got))
	})
}

var keys = []string{"a", "b", "c", "d", "e", "f", "g", "h", "http.method", "", "service.name"}

var strs = []string{
	"", "x", "hello", "héllo wörld", "日本語テキスト", "\xff\xfeabc\xffdef", "a\uFFFDb\uFFFDcdefgh",
	"ab\xffcd\xfe", strings.Repeat("z", 300),
}

func (g *gen) str() string { return strs[g.c.intn(len(strs))] }

// attrs makes a few attributes over a few keys, so they repeat, or now
// and then many over many keys, past the count limits and the size where
// a span indexes its keys.
func (g *gen) attrs() []attribute.KeyValue {
	n, many := g.c.intn(7), g.c.intn(8) == 0
	if many {
		n = 10 + g.c.intn(60)
	}
	attrs := make([]attribute.KeyValue, n)
	for i := range attrs {
		k := keys[g.c.intn(len(keys))]
		if many && g.c.intn(4) != 0 {
			k = fmt.Sprintf("k%d", g.c.intn(150))
		}
		attrs[i] = attribute.KeyValue{Key: attribute.Key(k), Value: g.value(3)}
	}
	return attrs
}

func (g *gen) value(depth int) attribute.Value {
	switch g.c.intn(14) {
	case 0:
		return attribute.Value{}
	case 1:
		return attribute.BoolValue(g.c.intn(2) == 0)
	case 2:
		return attribute.Int64Value(int64(g.c.intn(1000)) - 500)
	case 3:
		return attribute.Float64Value(float64(g.c.intn(1000)) / 7)
	case 4, 5:
		return attribute.StringValue(g.str())
	case 6:
		return attribute.BoolSliceValue([]bool{true, g.c.intn(2) == 0})
	case 7:
		return attribute.Int64SliceValue([]int64{int64(g.c.intn(9)), 2, 3})
	case 8:
		return attribute.Float64SliceValue([]float64{1.5, float64(g.c.intn(9))})
	case 9:
		return attribute.StringSliceValue([]string{g.str(), g.str(), g.str()})
	case 10:
		return attribute.ByteSliceValue([]byte(g.str()))
	case 11:
		if depth > 0 {
			vs := make([]attribute.Value, g.c.intn(4))
			for i := range vs {
				vs[i] = g.value(depth - 1)
			}
			return attribute.SliceValue(vs...)
		}
	case 12:
		if depth > 0 {
			kvs := make([]attribute.KeyValue, g.c.intn(4))
			for i := range kvs {
				kvs[i] = attribute.KeyValue{Key: attribute.Key(keys[g.c.intn(4)]), Value: g.value(depth - 1)}
			}
			return attribute.MapValue(kvs...)
		}
	}
	return attribute.StringValue(strings.Repeat("long-", 1+g.c.intn(40)))
}

// run runs a program on s, then ends every span (so each is compared) and
// flushes.
func (s *side) run(steps []step) {
	for _, st := range steps {
		st(s)
	}
	end := base.Add(time.Hour)
	for _, sp := range s.spans {
		sp.End(trace.WithTimestamp(end))
	}
	s.log = append(s.log, s.flush(context.Background()))
}

// outcome is everything a side showed, normalized for comparison.
type outcome struct {
	Log    []any
	Starts []startView
	Ends   map[trace.SpanID]int
	Ended  []tracetest.SpanStub
}

func (s *side) outcome() outcome {
	o := outcome{Log: s.log, Starts: s.probe.starts, Ends: s.probe.ends}
	for _, ro := range s.rec.Ended() {
		o.Ended = append(o.Ended, normalize(tracetest.SpanStubFromReadOnlySpan(ro)))
	}
	return o
}

// normalize blanks what cannot be equal: a stack trace past its
// goroutine's number (the frames differ), and the time of an event a span timed itself
// (a panic's).
func normalize(st tracetest.SpanStub) tracetest.SpanStub {
	st.Events = slices.Clone(st.Events)
	for i, e := range st.Events {
		if e.Time.After(base.Add(24 * time.Hour)) {
			e.Time = time.Time{}
		}
		if len(e.Attributes) > 0 {
			e.Attributes = append([]attribute.KeyValue{}, e.Attributes...)
		}
		for j, a := range e.Attributes {
			if a.Key == "exception.stacktrace" {
				// "goroutine N [running]:", or "[running (scan)]" while
				// the GC looks at it: keep "goroutine N".
				first, _, _ := strings.Cut(a.Value.AsString(), " [")
				e.Attributes[j] = attribute.String(string(a.Key), first)
			}
		}
		st.Events[i] = e
	}
	return st
}

// diff describes how two outcomes differ, or returns "".
func diff(sdk, ours outcome) string {
	var b strings.Builder
	if !reflect.DeepEqual(sdk.Log, ours.Log) {
		for i := range max(len(sdk.Log), len(ours.Log)) {
			var x, y any
			if i < len(sdk.Log) {
				x = sdk.Log[i]
			}
			if i < len(ours.Log) {
				y = ours.Log[i]
			}
			if !reflect.DeepEqual(x, y) {
				fmt.Fprintf(&b, "call result %d:\n  sdk:  %+v\n  ours: %+v\n", i, x, y)
				break
			}
		}
	}
	if !reflect.DeepEqual(sdk.Ends, ours.Ends) {
		fmt.Fprintf(&b, "OnEnd counts:\n  sdk:  %v\n  ours: %v\n", sdk.Ends, ours.Ends)
	}
	fieldDiff(&b, "OnStart view", sdk.Starts, ours.Starts)
	fieldDiff(&b, "ended span", sdk.Ended, ours.Ended)
	return b.String()
}

// fieldDiff reports the first element of two lists of structs that
// differs, field by field.
func fieldDiff[T any](b *strings.Builder, what string, sdk, ours []T) {
	if len(sdk) != len(ours) {
		fmt.Fprintf(b, "%s count: sdk %d, ours %d\n", what, len(sdk), len(ours))
	}
	for i := range min(len(sdk), len(ours)) {
		x, y := reflect.ValueOf(sdk[i]), reflect.ValueOf(ours[i])
		if reflect.DeepEqual(x.Interface(), y.Interface()) {
			continue
		}
		for f := range x.NumField() {
			if !reflect.DeepEqual(x.Field(f).Interface(), y.Field(f).Interface()) {
				fmt.Fprintf(b, "%s %d (%v) field %s:\n  sdk:  %#v\n  ours: %#v\n", what, i,
					x.FieldByName("Name"), x.Type().Field(f).Name, x.Field(f).Interface(), y.Field(f).Interface())
			}
		}
		return
	}
}

// compare runs one program on both sides and returns their difference.
func compare(limits sdktrace.SpanLimits, sampler sdktrace.Sampler, steps []step) string {
	sdk, ours := newSide(true, limits, sampler), newSide(false, limits, sampler)
	sdk.run(steps)
	ours.run(steps)
	return diff(sdk.outcome(), ours.outcome())
}
