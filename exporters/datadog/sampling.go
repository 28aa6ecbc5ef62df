package datadog

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

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
	Rules      string `envconfig:"DD_TRACE_SAMPLING_RULES" json:"sampling_rules,omitempty" desc:"Native mode: JSON list of rules, the first match deciding: [{\"service\":\"glob\",\"name\":\"glob\",\"resource\":\"glob\",\"tags\":{\"key\":\"glob\"},\"sample_rate\":0.5}]; globs take * and ?, case-insensitive. max_per_second is accepted and, as in dd-trace-go, applies to span rules only. Wins over OTEL_TRACES_SAMPLER."`
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
	if dec.More() {
		return nil, fmt.Errorf("%s: text after the JSON list", envSamplingRules)
	}
	var errs []error
	rules := make([]Rule, 0, len(raw))
	for i, j := range raw {
		if j.Rate == "" {
			j.Rate = "1"
		}
		r, err := j.Rate.Float64()
		if err != nil || math.IsNaN(r) || r < 0 || r > 1 {
			errs = append(errs, fmt.Errorf("%s: rule %d: sample_rate %s: want a number from 0 to 1", envSamplingRules, i, j.Rate))
			continue
		}
		dm := dmRule
		if j.Provenance != nil {
			var prov string
			if err := json.Unmarshal(j.Provenance, &prov); err != nil {
				errs = append(errs, fmt.Errorf("%s: rule %d: provenance: want a string", envSamplingRules, i))
				continue
			}
			switch strings.ToLower(strings.TrimSpace(prov)) {
			case "local":
			case "customer":
				dm = dmRemoteUser
			case "dynamic":
				dm = dmRemoteDynam
			default:
				errs = append(errs, fmt.Errorf("%s: rule %d: provenance %q: want local, customer or dynamic", envSamplingRules, i, prov))
				continue
			}
		}
		rule := Rule{Service: glob(j.Service), Name: glob(j.Name), Resource: glob(j.Resource), Rate: r, MaxPerSecond: j.MaxPerSecond, DecisionMaker: dm}
		if len(j.Tags) > 0 {
			rule.Tags = make(map[string]*regexp.Regexp, len(j.Tags))
			for k, g := range j.Tags {
				rule.Tags[k] = glob(g)
			}
		}
		rules = append(rules, rule)
	}
	return rules, errors.Join(errs...)
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
type Span struct {
	TraceIDLower            uint64
	Service, Name, Resource string
	Meta                    map[string]string
	Metrics                 map[string]float64
}

// Sampler decides as dd-trace-go's tracer does for a trace's root span,
// from DD_TRACE_SAMPLING_RULES, then DD_TRACE_SAMPLE_RATE, each under
// DD_TRACE_RATE_LIMIT, then the agent's default rate (1: keep, priority 1).
// The agent's per-service rates are not applied.
type Sampler struct {
	rules      []Rule
	globalRate float64 // NaN: DD_TRACE_SAMPLE_RATE unset
	limiter    *rate.Limiter
	mu         sync.Mutex
}

// NewSampler reads the sampling variables; it returns nil when neither
// DD_TRACE_SAMPLE_RATE nor DD_TRACE_SAMPLING_RULES is set: then the
// OpenTelemetry sampler decides alone.
func NewSampler(c SamplingConfig) (*Sampler, error) {
	var errs []error
	s := &Sampler{globalRate: math.NaN()}
	rules, err := ParseRules(c.Rules)
	errs = append(errs, err)
	s.rules = rules
	if v := strings.TrimSpace(c.SampleRate); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(r) || r < 0 || r > 1 {
			errs = append(errs, fmt.Errorf("%s=%q: want a number from 0 to 1", envSampleRate, c.SampleRate))
		} else {
			s.globalRate = r
		}
	}
	limit := float64(defaultRateLimit)
	if v := strings.TrimSpace(c.RateLimit); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(r) || math.IsInf(r, 0) || r < 0 {
			errs = append(errs, fmt.Errorf("%s=%q: want a number of traces per second, 0 or more", envRateLimit, c.RateLimit))
		} else {
			limit = r
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if len(s.rules) == 0 && math.IsNaN(s.globalRate) {
		return nil, nil
	}
	s.limiter = rate.NewLimiter(rate.Limit(limit), int(math.Ceil(limit)))
	return s, nil
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
	// dd-trace-go's priority sampler before the agent has sent rates.
	return Decision{PriorityAutoKeep, dmAgentRate}
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
type otelSampler struct {
	dd      *Sampler
	service string
}

func (o otelSampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	psc := trace.SpanContextFromContext(p.ParentContext)
	if psc.IsValid() {
		if psc.IsSampled() {
			return sdktrace.SamplingResult{Decision: sdktrace.RecordAndSample, Tracestate: psc.TraceState()}
		}
		return sdktrace.SamplingResult{Decision: sdktrace.Drop, Tracestate: psc.TraceState()}
	}
	a := withRoute(p.Name, p.Kind, attrs(p.Attributes))
	sp := Span{
		TraceIDLower: binary.BigEndian.Uint64(p.TraceID[8:]),
		Service:      o.service,
		Name:         operationName(p.Kind, a),
		Resource:     resourceName(p.Name, p.Kind, a),
		Meta:         map[string]string{},
		Metrics:      map[string]float64{},
	}
	if svc := a.str(tagServiceName); svc != "" {
		sp.Service = svc
	}
	samplingTags(&sp, a)
	d := o.dd.Decide(sp, time.Now())
	member := "s:" + strconv.Itoa(d.Priority)
	if d.DecisionMaker != "" {
		member += ";t.dm:" + d.DecisionMaker
	}
	ts, _ := trace.TraceState{}.Insert(traceStateKey, member)
	res := sdktrace.SamplingResult{Decision: sdktrace.Drop, Tracestate: ts}
	if d.Priority > 0 {
		res.Decision = sdktrace.RecordAndSample
	}
	return res
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

// rootSampler is the backend's Sampler: nil when the Datadog variables
// leave sampling to OpenTelemetry.
func rootSampler(s *Sampler, service string) sdktrace.Sampler {
	if s == nil {
		return nil
	}
	return otelSampler{dd: s, service: service}
}
