package compare

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/otelswitch/otelswitch/internal/lab"
)

// licenceKey is the New Relic licence key the stand-in sees: 40
// characters, like a real one, so the newrelic backend accepts it. Its
// api-key header tells New Relic's spans from other OTLP senders' in the
// collector's otlp receiver.
const licenceKey = "compare0-licence-key-0000000000000000NRAL"

// backend is a name WithBackends accepts: how to point the application at
// its stand-in in the lab, and how to count what the stand-in stored.
type backend struct {
	name string
	// telemetry is its TELEMETRY_BACKEND value.
	telemetry string
	// standIn says what receives its spans in the lab.
	standIn string
	env     func(l *lab.Lab) map[string]string
	// counter starts counting the spans of service that arrive from now on.
	counter func(l *lab.Lab, service string) (counter, error)
	// signals reads back the log records and metric points of service its
	// stand-in stored; nil when it stores neither.
	signals *signalSource
	// store names where its spans are counted. A fan-out takes one backend
	// per store: two in one would each count the other's spans.
	store string
	// hold is how long after a run its spans may take to reach the store
	// (a gateway's tail-sampling decision_wait): counts before then are
	// not final.
	hold time.Duration
	// sampled is true when the path to the store samples (a gateway's tail
	// sampling), so storing fewer spans than were sent is not a loss.
	sampled bool
	// noSignals says why its logs and metrics are not counted, when
	// signals is nil; default: it takes none.
	noSignals string
}

// signalSource is where a backend's logs and metrics land in the lab: a
// collector receiver, with match picking the backend's own out of what
// shares the receiver (New Relic's api-key).
type signalSource struct {
	src   lab.Source
	match func(attrs map[string]any) bool
}

// count returns the log records and metric data points of service in the
// receiver's output.
func (s *signalSource) count(ctx context.Context, l *lab.Lab, service string) (logs, points int64, err error) {
	recs, err := l.CollectorLogs(ctx, s.src)
	if err != nil {
		return 0, 0, err
	}
	for _, r := range recs {
		if r.Resource["service.name"] == service && (s.match == nil || s.match(r.Attributes)) {
			logs++
		}
	}
	ms, err := l.CollectorMetrics(ctx, s.src)
	if err != nil {
		return logs, 0, err
	}
	for _, m := range ms {
		if m.Resource["service.name"] != service {
			continue
		}
		for _, a := range m.PointAttributes {
			if s.match == nil || s.match(a) {
				points++
			}
		}
	}
	return logs, points, nil
}

func apiKeyIs(want any) func(map[string]any) bool {
	return func(a map[string]any) bool { return a[lab.AttrAPIKey] == want }
}

// Where backends' spans are counted (backend.store).
const (
	storeJaeger        = "jaeger"
	storeOTLPReceiver  = "collector otlp, no api-key"
	storeNewRelic      = "collector otlp, api-key"
	storeDatadog       = "collector datadog"
	storeElasticBearer = "collector elastic"
)

var backends = []backend{
	{
		name: "jaeger", telemetry: "jaeger", standIn: "Jaeger v2, OTLP gRPC", store: storeJaeger,
		env: func(l *lab.Lab) map[string]string {
			return map[string]string{"JAEGER_ENDPOINT": l.JaegerOTLPGRPC}
		},
		counter: newJaegerCounter,
	},
	{
		name: "datadog", telemetry: "datadog", standIn: "collector datadog receiver (Agent trace intake)", store: storeDatadog,
		env: func(l *lab.Lab) map[string]string {
			// Application metrics go to the Agent's OTLP ingest; its
			// stand-in is the collector's otlp receiver.
			return map[string]string{"DATADOG_MODE": "native", "DD_TRACE_AGENT_URL": "http://" + l.DatadogAgent,
				"DATADOG_OTLP_ENDPOINT": "http://" + l.CollectorOTLPHTTP, "DATADOG_OTLP_PROTOCOL": "http/protobuf"}
		},
		signals: &signalSource{src: lab.SourceOTLP, match: apiKeyIs(nil)},
		counter: func(l *lab.Lab, service string) (counter, error) {
			return newCollectorCounter(l, lab.SourceDatadog, service, nil, datadogIdentity)
		},
	},
	{
		name: "newrelic", telemetry: "newrelic", standIn: "collector otlp receiver, OTLP/HTTP with api-key", store: storeNewRelic,
		env: func(l *lab.Lab) map[string]string {
			return map[string]string{"NEW_RELIC_LICENSE_KEY": licenceKey, "NEW_RELIC_OTLP_ENDPOINT": "http://" + l.CollectorOTLPHTTP}
		},
		counter: func(l *lab.Lab, service string) (counter, error) {
			return newCollectorCounter(l, lab.SourceOTLP, service,
				func(s lab.Span) bool { return s.Attributes[lab.AttrAPIKey] == licenceKey }, otlpIdentity)
		},
		signals: &signalSource{src: lab.SourceOTLP, match: apiKeyIs(licenceKey)},
	},
	{
		name: "elastic", telemetry: "elastic", standIn: "collector otlp receiver requiring Bearer <secret token>, OTLP gRPC", store: storeElasticBearer,
		env: func(l *lab.Lab) map[string]string {
			return map[string]string{"ELASTIC_APM_SERVER_URL": "http://" + l.ElasticBearerGRPC, "ELASTIC_APM_SECRET_TOKEN": l.SecretToken}
		},
		counter: func(l *lab.Lab, service string) (counter, error) {
			return newCollectorCounter(l, lab.SourceElasticBearer, service, nil, otlpIdentity)
		},
		signals: &signalSource{src: lab.SourceElasticBearer},
	},
	{
		name: "datadog-otlp", telemetry: "datadog", standIn: "collector otlp receiver as the Agent's OTLP ingest, gRPC", store: storeOTLPReceiver,
		env: func(l *lab.Lab) map[string]string {
			return map[string]string{"DATADOG_MODE": "otlp", "DATADOG_OTLP_ENDPOINT": "http://" + l.CollectorOTLPGRPC}
		},
		counter: countOTLPWithoutKey,
		signals: &signalSource{src: lab.SourceOTLP, match: apiKeyIs(nil)},
	},
}

// newJaegerCounter counts the spans of service in the lab's Jaeger that no
// collector receiver forwarded.
func newJaegerCounter(l *lab.Lab, service string) (counter, error) {
	return &jaegerCounter{l: l, service: service, since: time.Now().Add(-time.Second)}, nil
}

// countOTLPWithoutKey counts the spans of service in the output of the lab
// collector's otlp receiver that came without New Relic's api-key.
func countOTLPWithoutKey(l *lab.Lab, service string) (counter, error) {
	return newCollectorCounter(l, lab.SourceOTLP, service,
		func(s lab.Span) bool { return s.Attributes[lab.AttrAPIKey] == nil }, otlpIdentity)
}

// Names lists every backend WithBackends accepts. datadog-otlp is the
// datadog backend with DATADOG_MODE=otlp; one process runs one Datadog
// mode, so it joins the fan-out only without datadog. gateway is an
// OpenTelemetry Collector gateway that WithGateway describes.
func Names() []string {
	names := make([]string, len(backends), len(backends)+1)
	for i, b := range backends {
		names[i] = b.name
	}
	return append(names, GatewayBackend)
}

// lookupBackends returns the backends c names, in order, the gateway built
// from c.gateway.
func lookupBackends(c config) ([]backend, error) {
	if len(c.backends) == 0 {
		return nil, fmt.Errorf("no backends; want some of %s", strings.Join(Names(), ", "))
	}
	var out []backend
	var errs []string
	for _, n := range c.backends {
		b, err := lookupBackend(n, c.gateway)
		switch {
		case err != nil:
			errs = append(errs, err.Error())
		case slices.ContainsFunc(out, func(b backend) bool { return b.name == n }):
			errs = append(errs, fmt.Sprintf("backend %q named twice", n))
		default:
			out = append(out, b)
		}
	}
	if c.gateway != nil && !slices.Contains(c.backends, GatewayBackend) {
		errs = append(errs, fmt.Sprintf("a gateway at %s is set but backend %q is not compared", c.gateway.Endpoint, GatewayBackend))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s; want some of %s", strings.Join(errs, ", "), strings.Join(Names(), ", "))
	}
	return out, nil
}

func lookupBackend(name string, g *Gateway) (backend, error) {
	if name == GatewayBackend {
		if g == nil {
			return backend{}, fmt.Errorf("backend %q needs a gateway endpoint (WithGateway; -gateway in sample-app compare)", name)
		}
		return g.backend()
	}
	i := slices.IndexFunc(backends, func(b backend) bool { return b.name == name })
	if i < 0 {
		return backend{}, fmt.Errorf("unknown backend %q", name)
	}
	return backends[i], nil
}

// counter counts the spans of one run that one backend stored.
type counter interface {
	// count reports the spans stored so far, whether that count is exact,
	// and how the backend sees the service.
	count(ctx context.Context) (stored int64, exact bool, seen Identity, err error)
	// from says where the count comes from.
	from() string
}

// collectorCounter reads a collector receiver's output incrementally, from
// where the file ended when the run began.
type collectorCounter struct {
	l        *lab.Lab
	src      lab.Source
	service  string
	match    func(lab.Span) bool
	identify func(lab.Span) Identity
	offset   int64
	n        int64
	seen     Identity
}

func newCollectorCounter(l *lab.Lab, src lab.Source, service string, match func(lab.Span) bool, identify func(lab.Span) Identity) (*collectorCounter, error) {
	off, err := l.CollectorFileSize(src)
	if err != nil {
		return nil, err
	}
	return &collectorCounter{l: l, src: src, service: service, match: match, identify: identify, offset: off}, nil
}

func (c *collectorCounter) from() string {
	return "collector receiver " + string(c.src) + " (its output file)"
}

func (c *collectorCounter) count(ctx context.Context) (int64, bool, Identity, error) {
	spans, next, err := c.l.CollectorSpansFrom(ctx, c.src, c.offset)
	if err != nil {
		return c.n, true, c.seen, err
	}
	c.offset = next
	for _, s := range spans {
		if s.Resource["service.name"] != c.service || (c.match != nil && !c.match(s)) {
			continue
		}
		if c.n == 0 {
			c.seen = c.identify(s)
		}
		c.n++
	}
	return c.n, true, c.seen, nil
}

// otlpIdentity reads an OTLP sender's resource.
func otlpIdentity(s lab.Span) Identity {
	env, key := str(s.Resource["deployment.environment.name"]), "deployment.environment.name"
	if env == "" {
		env, key = str(s.Resource["deployment.environment"]), "deployment.environment"
	}
	return Identity{
		Service: str(s.Resource["service.name"]),
		Env:     env,
		Version: str(s.Resource["service.version"]),
		From:    "resource service.name, " + key + ", service.version",
	}
}

// datadogIdentity reads what the Datadog receiver makes of dd-trace-go's
// spans: the service on the resource, env on each span, the version on
// both (docs/lab.md).
func datadogIdentity(s lab.Span) Identity {
	return Identity{
		Service: str(s.Resource["service.name"]),
		Env:     str(s.Attributes["deployment.environment.name"]),
		Version: str(s.Resource["service.version"]),
		From:    "Datadog service, env and version as the receiver maps them: resource service.name, span deployment.environment.name, resource service.version",
	}
}

func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// jaegerPage is how many traces one query asks Jaeger for: larger pages
// cost Jaeger more than proportionally.
const jaegerPage = 1000

// jaegerMaxTraces is how many traces the lab's in-memory Jaeger keeps
// (max_traces in internal/lab's config); beyond it the oldest go, and a
// count can only be a lower bound.
const jaegerMaxTraces = 100_000

// jaegerWorkers is how many queries run at once.
const jaegerWorkers = 2

// jaegerCounter counts through Jaeger's query API. The run's time window
// is cut into slices expected to hold half a page each, and a slice whose
// query comes back full is halved until none does, so the count is exact.
// The collector forwards what every receiver gets to the same Jaeger,
// marked with the lab.receiver tag: only spans without it came from the
// jaeger backend.
type jaegerCounter struct {
	l       *lab.Lab
	service string
	// since is when the run began (a second early, against clock skew).
	since time.Time
	// traces is how many traces the run is expected to hold (one per
	// request), to size the slices; 0 is fine.
	traces int
}

func (c *jaegerCounter) from() string { return "Jaeger query API (/api/traces)" }

func (c *jaegerCounter) expect(traces int) { c.traces = traces }

func (c *jaegerCounter) count(ctx context.Context) (int64, bool, Identity, error) {
	var (
		mu sync.Mutex
		// Spans per trace ID: a trace that straddles two slices comes back
		// from both.
		perTrace = map[string]int64{}
		exact    = true
		seen     Identity
	)
	var walk func(a, b time.Time) error
	walk = func(a, b time.Time) error {
		got, err := c.l.JaegerTraces(ctx, c.service, lab.Between(a, b), lab.Limit(jaegerPage))
		if err != nil {
			return err
		}
		if len(got) >= jaegerPage {
			if b.Sub(a) > time.Millisecond {
				m := a.Add(b.Sub(a) / 2)
				return errors.Join(walk(a, m), walk(m, b))
			}
			mu.Lock()
			exact = false
			mu.Unlock()
		}
		mu.Lock()
		defer mu.Unlock()
		for _, t := range got {
			var n int64
			for _, s := range t.Spans {
				if s.Service != c.service || s.Tags[lab.AttrReceiver] != nil {
					continue
				}
				if seen == (Identity{}) {
					seen = jaegerIdentity(s)
				}
				n++
			}
			perTrace[t.TraceID] = max(perTrace[t.TraceID], n)
		}
		return nil
	}

	start, end := c.since, time.Now().Add(time.Second)
	parts := max(1, 2*c.traces/jaegerPage+1)
	step := end.Sub(start) / time.Duration(parts)
	work := make(chan [2]time.Time)
	errs := make([]error, jaegerWorkers)
	var wg sync.WaitGroup
	for w := range jaegerWorkers {
		wg.Go(func() {
			for win := range work {
				errs[w] = errors.Join(errs[w], walk(win[0], win[1]))
			}
		})
	}
	for i := range parts {
		b := start.Add(time.Duration(i+1) * step)
		if i == parts-1 {
			b = end
		}
		work <- [2]time.Time{start.Add(time.Duration(i) * step), b}
	}
	close(work)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return 0, false, Identity{}, err
	}
	var n int64
	for _, k := range perTrace {
		n += k
	}
	if len(perTrace) >= jaegerMaxTraces {
		exact = false
	}
	return n, exact, seen, nil
}

// jaegerIdentity reads a span's process: Jaeger keeps service.name as the
// process's service and other resource attributes as process tags.
func jaegerIdentity(s lab.JaegerSpan) Identity {
	env, key := str(s.ProcessTags["deployment.environment.name"]), "deployment.environment.name"
	if env == "" {
		env, key = str(s.ProcessTags["deployment.environment"]), "deployment.environment"
	}
	return Identity{
		Service: s.Service,
		Env:     env,
		Version: str(s.ProcessTags["service.version"]),
		From:    "process service name, process tags " + key + ", service.version",
	}
}
