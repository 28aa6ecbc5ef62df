package datadog

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/time/rate"

	"github.com/otelswitch/otelswitch/internal/envconf"
)

// The sampling variables of Datadog's tracers.
const (
	envSampleRate    = "DD_TRACE_SAMPLE_RATE"
	envSamplingRules = "DD_TRACE_SAMPLING_RULES"
	envRateLimit     = "DD_TRACE_RATE_LIMIT"
)

// Sampling priorities and decision makers (_dd.p.dm) as dd-trace-go sets
// them.
const (
	PriorityUserReject = -1
	PriorityAutoReject = 0
	PriorityAutoKeep   = 1
	PriorityUserKeep   = 2

	dmAgentRate   = "-1"
	dmRule        = "-3"
	dmRemoteUser  = "-11"
	dmRemoteDynam = "-12"

	// knuthFactor is dd-trace-go's multiplier for keeping a trace by rate
	// from its trace ID, the same in every Datadog tracer.
	knuthFactor      = uint64(1111111111111111111)
	defaultRateLimit = 100
)

// SamplingConfig is read in native mode only: there dd-trace-go's sampling
// variables decide, as they would for a service traced by dd-trace-go.
type SamplingConfig struct {
	SampleRate string `envconfig:"DD_TRACE_SAMPLE_RATE" json:"sample_rate,omitempty" desc:"Native mode: the rate, 0 to 1, at which traces no rule matches are kept (priority 2 or -1, decision maker -3), as dd-trace-go applies it. Wins over OTEL_TRACES_SAMPLER for local roots."`
	Rules      string `envconfig:"DD_TRACE_SAMPLING_RULES" json:"sampling_rules,omitempty" desc:"Native mode: JSON list of rules, the first match deciding: [{\"service\":\"glob\",\"name\":\"glob\",\"resource\":\"glob\",\"tags\":{\"key\":\"glob\"},\"sample_rate\":0.5}]; globs take * and ?, case-insensitive; matched when a trace's root starts and again when it ends, as dd-trace-go does. Roots no rule and no DD_TRACE_SAMPLE_RATE decide are kept at the Agent's rate for their service and env (priority 1 or 0). max_per_second is accepted and, as in dd-trace-go, applies to span rules only. Wins over OTEL_TRACES_SAMPLER."`
	RateLimit  string `envconfig:"DD_TRACE_RATE_LIMIT" json:"rate_limit,omitempty" desc:"Native mode: most traces per second kept by DD_TRACE_SAMPLE_RATE and the rules together (default 100); beyond it priority -1."`
}

// Rule is one entry of DD_TRACE_SAMPLING_RULES.
type Rule struct {
	Service, Name, Resource *regexp.Regexp // nil matches anything
	Tags                    map[string]*regexp.Regexp
	Rate                    float64
	MaxPerSecond            float64
	// DecisionMaker is -3 for a local rule, -11 or -12 for the remote
	// provenances customer and dynamic.
	DecisionMaker string
}

// jsonRule is a rule as written, read the way dd-trace-go reads it.
type jsonRule struct {
	Service      string            `json:"service"`
	Name         string            `json:"name"`
	Rate         json.Number       `json:"sample_rate"`
	MaxPerSecond float64           `json:"max_per_second"`
	Resource     string            `json:"resource"`
	Tags         map[string]string `json:"tags"`
	Provenance   json.RawMessage   `json:"provenance"`
	// Type is read only so that a malformed one fails here as it fails
	// in dd-trace-go.
	Type *int `json:"type"`
}

// ParseRules reads DD_TRACE_SAMPLING_RULES. Unlike dd-trace-go, which logs
// a bad rule and drops it, a bad rule is an error naming the variable and
// the rule's index: a sampling rule silently ignored keeps every trace.
func ParseRules(s string) ([]Rule, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var raw []jsonRule
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%s: not a JSON list of rules: %v", envSamplingRules, err)
	}
	// More is false before a stray ']' or '}', so look for the end itself.
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%s: text after the JSON list", envSamplingRules)
	}
	var errs []error
	rules := make([]Rule, 0, len(raw))
	for i, j := range raw {
		rule, err := j.rule(i)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rules = append(rules, rule)
	}
	return rules, errors.Join(errs...)
}

// rule is j, the i-th rule of the list, compiled.
func (j jsonRule) rule(i int) (Rule, error) {
	if j.Rate == "" {
		j.Rate = "1"
	}
	r, err := j.Rate.Float64()
	if err != nil || math.IsNaN(r) || r < 0 || r > 1 {
		return Rule{}, fmt.Errorf("%s: rule %d: sample_rate %s: want a number from 0 to 1", envSamplingRules, i, j.Rate)
	}
	dm, err := j.decisionMaker(i)
	if err != nil {
		return Rule{}, err
	}
	rule := Rule{Service: glob(j.Service), Name: glob(j.Name), Resource: glob(j.Resource), Rate: r, MaxPerSecond: j.MaxPerSecond, DecisionMaker: dm}
	if len(j.Tags) > 0 {
		rule.Tags = make(map[string]*regexp.Regexp, len(j.Tags))
		for k, g := range j.Tags {
			rule.Tags[k] = glob(g)
		}
	}
	return rule, nil
}

// decisionMaker is the _dd.p.dm of j's keeps, from its provenance: local
// rules (the default) are "-3", remote ones "-11" or "-12".
func (j jsonRule) decisionMaker(i int) (string, error) {
	if j.Provenance == nil {
		return dmRule, nil
	}
	var prov string
	if err := json.Unmarshal(j.Provenance, &prov); err != nil {
		return "", fmt.Errorf("%s: rule %d: provenance: want a string", envSamplingRules, i)
	}
	switch strings.ToLower(strings.TrimSpace(prov)) {
	case "local":
		return dmRule, nil
	case "customer":
		return dmRemoteUser, nil
	case "dynamic":
		return dmRemoteDynam, nil
	}
	return "", fmt.Errorf("%s: rule %d: provenance %q: want local, customer or dynamic", envSamplingRules, i, prov)
}

// glob compiles a rule's glob as dd-trace-go does: * any run, ? any one
// character, case-insensitive, the whole value; "" and "*" match anything.
func glob(pattern string) *regexp.Regexp {
	if pattern == "" || pattern == "*" {
		return nil
	}
	p := regexp.QuoteMeta(pattern)
	p = strings.ReplaceAll(p, `\?`, ".")
	p = strings.ReplaceAll(p, `\*`, ".*")
	return regexp.MustCompile("(?i)^" + p + "$")
}

// Decision is a trace's sampling priority and its decision maker ("" for
// none, as with every priority of 0 or less).
type Decision struct {
	Priority      int
	DecisionMaker string
}

// Span is what a sampling rule looks at: the span as dd-trace-go names it.
// Env keys the Agent's rates with Service.
type Span struct {
	TraceIDLower            uint64
	Service, Name, Resource string
	Env                     string
	Meta                    map[string]string
	Metrics                 map[string]float64
}

// Sampler decides as dd-trace-go's tracer does for a trace's root span:
// when it starts, from DD_TRACE_SAMPLING_RULES, then DD_TRACE_SAMPLE_RATE,
// each under DD_TRACE_RATE_LIMIT, then the Agent's rate for the root's
// service and env (rate_by_service, from its answers to trace payloads;
// 1 until it has answered); and again when the root finishes (Finish).
type Sampler struct {
	rules      []Rule
	globalRate float64 // NaN: DD_TRACE_SAMPLE_RATE unset
	limiter    *rate.Limiter
	mu         sync.Mutex
	agent      *agentRates
	// tags is set when some rule looks at tags: only then are a root's
	// attributes gathered into Span's Meta and Metrics.
	tags bool
}

// NewSampler reads the sampling variables; it returns nil when neither
// DD_TRACE_SAMPLE_RATE nor DD_TRACE_SAMPLING_RULES is set: then the
// OpenTelemetry sampler decides alone.
func NewSampler(c SamplingConfig) (*Sampler, error) {
	var errs []error
	s := &Sampler{globalRate: math.NaN(), agent: newAgentRates()}
	rules, err := ParseRules(c.Rules)
	errs = append(errs, err)
	s.rules = rules
	for _, r := range rules {
		s.tags = s.tags || len(r.Tags) > 0
	}
	var rerr error
	s.globalRate, rerr = parseSampleRate(c.SampleRate)
	limit, lerr := parseRateLimit(c.RateLimit)
	errs = append(errs, rerr, lerr)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if len(s.rules) == 0 && math.IsNaN(s.globalRate) {
		return nil, nil
	}
	s.limiter = rate.NewLimiter(rate.Limit(limit), int(math.Ceil(limit)))
	return s, nil
}

// parseSampleRate is DD_TRACE_SAMPLE_RATE: NaN when it is unset.
func parseSampleRate(v string) (float64, error) {
	if strings.TrimSpace(v) == "" {
		return math.NaN(), nil
	}
	r, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsNaN(r) || r < 0 || r > 1 {
		return math.NaN(), fmt.Errorf("%s=%q: want a number from 0 to 1", envSampleRate, v)
	}
	return r, nil
}

// parseRateLimit is DD_TRACE_RATE_LIMIT, traces per second: 100 when it is
// unset, as in dd-trace-go.
func parseRateLimit(v string) (float64, error) {
	if strings.TrimSpace(v) == "" {
		return defaultRateLimit, nil
	}
	r, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsNaN(r) || math.IsInf(r, 0) || r < 0 {
		return defaultRateLimit, fmt.Errorf("%s=%q: want a number of traces per second, 0 or more", envRateLimit, v)
	}
	return r, nil
}

// SamplingFromEnv reads SamplingConfig through lookup.
func SamplingFromEnv(lookup envconf.LookupFunc) (SamplingConfig, error) {
	var c SamplingConfig
	err := envconf.Process(lookup, &c)
	return c, err
}

// Decide returns the decision for a trace whose root is s, at time now.
func (s *Sampler) Decide(sp Span, now time.Time) Decision {
	for _, r := range s.rules {
		if r.matches(sp) {
			return s.applyRate(sp.TraceIDLower, r.Rate, r.DecisionMaker, now)
		}
	}
	if !math.IsNaN(s.globalRate) {
		return s.applyRate(sp.TraceIDLower, s.globalRate, dmRule, now)
	}
	// dd-trace-go's priority sampler: the Agent's rate, no rate limit.
	if sampledByRate(sp.TraceIDLower, s.agent.rate(sp.Service, sp.Env)) {
		return Decision{PriorityAutoKeep, dmAgentRate}
	}
	return Decision{PriorityAutoReject, ""}
}

// Finish is dd-trace-go's second look at a local root, when it finishes
// (Span.Finish): the name, resource and tags may have changed since it
// started, so the rules are matched again, and the first that matches
// decides anew, its rate and the rate limit applied again. When none
// matches, start, the decision made when the root started, stands; so does
// any decision of a trace whose sampling was already locked (propagated),
// which callers do not pass here.
func (s *Sampler) Finish(start Decision, sp Span, now time.Time) Decision {
	for _, r := range s.rules {
		if r.matches(sp) {
			return s.applyRate(sp.TraceIDLower, r.Rate, r.DecisionMaker, now)
		}
	}
	return start
}

// SetAgentRates reads the Agent's answer to a trace payload
// ({"rate_by_service": {"service:<name>,env:<env>": rate, ...}}), as
// dd-trace-go does after every payload the Agent accepts.
func (s *Sampler) SetAgentRates(body []byte, now time.Time) error {
	return s.agent.read(body, now)
}

func (s *Sampler) applyRate(traceID uint64, r float64, dm string, now time.Time) Decision {
	if !sampledByRate(traceID, r) {
		return Decision{PriorityUserReject, ""}
	}
	s.mu.Lock()
	ok := s.limiter.AllowN(now, 1)
	s.mu.Unlock()
	if !ok {
		return Decision{PriorityUserReject, ""}
	}
	return Decision{PriorityUserKeep, dm}
}

// sampledByRate is dd-trace-go's: the trace ID times Knuth's factor, with
// overflow, below rate's share of the 64-bit range.
func sampledByRate(n uint64, r float64) bool {
	if r == 1 {
		return true
	}
	if r == 0 {
		return false
	}
	return n*knuthFactor <= uint64(r*math.MaxUint64)
}

func (r Rule) matches(s Span) bool {
	if r.Service != nil && !r.Service.MatchString(s.Service) {
		return false
	}
	if r.Name != nil && !r.Name.MatchString(s.Name) {
		return false
	}
	if r.Resource != nil && !r.Resource.MatchString(s.Resource) {
		return false
	}
	for k, re := range r.Tags {
		if re == nil {
			continue
		}
		if v, ok := s.Meta[k]; ok && re.MatchString(v) {
			continue
		}
		// Numbers match only when whole, as dd-trace-go formats them.
		if v, ok := s.Metrics[k]; ok && math.Floor(v) == v && re.MatchString(strconv.FormatFloat(v, 'g', -1, 64)) {
			continue
		}
		return false
	}
	return true
}

// otelSampler applies Sampler to OpenTelemetry spans: local roots are
// decided by the Datadog rules, named and tagged as the native mapping
// names them; every other span follows its parent. The decision travels
// in the dd tracestate member (s:<priority>;t.dm:<maker>), which the
// native processor hands to dd-trace-go and the datadog propagator sends
// downstream.
//
// dd-trace-go looks at a local root again when it finishes (Sampler.Finish),
// so a root dropped at its start may yet be kept. Such a root, and the local
// spans under it, are recorded without being sampled (RecordOnly) while the
// native processor holds their trace (holds), so that they exist if the
// second look keeps them; other backends never see them.
type otelSampler struct {
	dd           *Sampler
	service, env string
	holds        *holds
}

func (o otelSampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	psc := trace.SpanContextFromContext(p.ParentContext)
	if psc.IsValid() {
		res := sdktrace.SamplingResult{Decision: sdktrace.Drop, Tracestate: psc.TraceState()}
		switch {
		case psc.IsSampled():
			res.Decision = sdktrace.RecordAndSample
		case !psc.IsRemote() && o.holds.has(psc.TraceID()):
			res.Decision = sdktrace.RecordOnly
		}
		return res
	}
	d := o.dd.Decide(o.span(p.TraceID, p.Name, p.Kind, p.Attributes), time.Now())
	res := sdktrace.SamplingResult{Decision: sdktrace.Drop, Tracestate: d.traceState()}
	switch {
	case d.Priority > 0:
		res.Decision = sdktrace.RecordAndSample
	case len(o.dd.rules) > 0 && o.holds.room():
		res.Decision = sdktrace.RecordOnly // a rule may keep it when it finishes
	}
	return res
}

// span is the root as a rule sees it: named and tagged as the native
// mapping names it.
func (o otelSampler) span(tid trace.TraceID, name string, kind trace.SpanKind, kvs []attribute.KeyValue) Span {
	a := withRoute(name, kind, attrs(kvs))
	sp := Span{
		TraceIDLower: binary.BigEndian.Uint64(tid[8:]),
		Service:      o.service,
		Env:          o.env,
		Name:         operationName(kind, a),
		Resource:     resourceName(name, kind, a),
	}
	if svc := a.str(tagServiceName); svc != "" {
		sp.Service = svc
	}
	if !o.dd.tags {
		return sp
	}
	sp.Meta, sp.Metrics = map[string]string{}, map[string]float64{}
	samplingTags(&sp, a)
	return sp
}

// traceState is d as the dd tracestate member.
func (d Decision) traceState() trace.TraceState {
	member := "s:" + strconv.Itoa(d.Priority)
	if d.DecisionMaker != "" {
		member += ";t.dm:" + d.DecisionMaker
	}
	ts, _ := trace.TraceState{}.Insert(traceStateKey, member)
	return ts
}

// decisionOf reads the decision back from the member traceState wrote on
// a root's tracestate (its own, so no flag to reconcile it with).
func decisionOf(ts trace.TraceState) Decision {
	var d Decision
	for _, e := range strings.Split(ts.Get(traceStateKey), ";") {
		switch k, v, _ := strings.Cut(e, ":"); k {
		case "s":
			d.Priority, _ = strconv.Atoi(v)
		case "t.dm":
			d.DecisionMaker = v
		}
	}
	return d
}

// samplingTags gives the rules the span's start attributes as tags, under
// their own keys and, for those the mapping renames (ddTagKey), under
// Datadog's too: a rule on http.method matches as on the span Datadog
// shows, and one on http.request.method still does.
func samplingTags(sp *Span, a attrs) {
	for _, kv := range a {
		for _, k := range []string{string(kv.Key), ddTagKey(string(kv.Key))} {
			switch v := kv.Value.AsInterface().(type) {
			case int64:
				sp.Metrics[k] = float64(v)
			case float64:
				sp.Metrics[k] = v
			default:
				sp.Meta[k] = kv.Value.String()
			}
		}
	}
}

func (o otelSampler) Description() string { return "DatadogRulesSampler" }
