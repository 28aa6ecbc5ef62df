package lab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ErrNotFound is wrapped when Jaeger has no trace with the requested ID.
var ErrNotFound = errors.New("lab: not found")

// JaegerTrace is a trace as Jaeger's query API returns it.
type JaegerTrace struct {
	TraceID string // 32 lowercase hex digits, as trace.TraceID.String()
	Spans   []JaegerSpan
}

// JaegerSpan is one span of a JaegerTrace, with its process folded in.
// Jaeger stores OTel's span kind and status as tags: `span.kind`
// ("server", ...), `otel.status_code` ("OK", "ERROR"),
// `otel.status_description`, and `error` = true for error spans.
type JaegerSpan struct {
	TraceID      string // 32 hex digits
	SpanID       string // 16 hex digits
	ParentSpanID string // from the CHILD_OF reference; "" for a root
	Operation    string
	Service      string         // the process's service name
	ProcessTags  map[string]any // resource attributes other than service.name
	Tags         map[string]any // values are string, bool, int64 or float64
	Start        time.Time
	Duration     time.Duration
	Logs         []JaegerLog // OTel span events
	References   []JaegerRef
	Warnings     []string
}

// JaegerLog is a span log (an OTel event; its name is the `event` field).
type JaegerLog struct {
	Time   time.Time
	Fields map[string]any
}

// JaegerRef is a span reference: CHILD_OF (the parent) or FOLLOWS_FROM (a
// link).
type JaegerRef struct {
	Type    string
	TraceID string
	SpanID  string
}

// JaegerServices lists the services Jaeger has seen, sorted.
func (l *Lab) JaegerServices(ctx context.Context) ([]string, error) {
	var services []string
	if err := l.jaegerGet(ctx, "/api/services", nil, &services); err != nil {
		return nil, err
	}
	sort.Strings(services)
	return services, nil
}

// JaegerTraces returns traces of service, newest first as Jaeger orders
// them: by default up to 1000 from the last 24 hours; Between and Limit
// narrow the query (Jaeger's /api/traces with start, end and limit). A
// result of exactly the limit may be cut short: split the window and ask
// again to read everything.
func (l *Lab) JaegerTraces(ctx context.Context, service string, opts ...TracesOption) ([]JaegerTrace, error) {
	now := time.Now()
	tq := tracesQuery{start: now.Add(-24 * time.Hour), end: now.Add(time.Hour), limit: 1000}
	for _, o := range opts {
		o(&tq)
	}
	q := url.Values{
		"service": {service},
		"limit":   {strconv.Itoa(tq.limit)},
		"start":   {strconv.FormatInt(tq.start.UnixMicro(), 10)},
		"end":     {strconv.FormatInt(tq.end.UnixMicro(), 10)},
	}
	var raw []uiTrace
	if err := l.jaegerGet(ctx, "/api/traces", q, &raw); err != nil {
		return nil, err
	}
	traces := make([]JaegerTrace, 0, len(raw))
	for _, t := range raw {
		traces = append(traces, t.convert())
	}
	return traces, nil
}

// TracesOption narrows what JaegerTraces asks Jaeger for.
type TracesOption func(*tracesQuery)

type tracesQuery struct {
	start, end time.Time
	limit      int
}

// Between asks for the traces with a span of the service starting from start
// to end, instead of the last 24 hours.
func Between(start, end time.Time) TracesOption {
	return func(q *tracesQuery) { q.start, q.end = start, end }
}

// Limit asks for at most n traces instead of 1000.
func Limit(n int) TracesOption {
	return func(q *tracesQuery) { q.limit = n }
}

// JaegerTrace returns the trace with the given hex ID, or an error wrapping
// ErrNotFound while Jaeger does not have it.
func (l *Lab) JaegerTrace(ctx context.Context, traceID string) (JaegerTrace, error) {
	var raw []uiTrace
	if err := l.jaegerGet(ctx, "/api/traces/"+url.PathEscape(traceID), nil, &raw); err != nil {
		return JaegerTrace{}, err
	}
	if len(raw) == 0 {
		return JaegerTrace{}, fmt.Errorf("%w: trace %s in Jaeger", ErrNotFound, traceID)
	}
	return raw[0].convert(), nil
}

// WaitForJaegerTrace polls Jaeger until the trace has at least minSpans
// spans; see WaitFor for the deadline.
func (l *Lab) WaitForJaegerTrace(ctx context.Context, traceID string, minSpans int) (JaegerTrace, error) {
	return l.waitForJaegerSpans(ctx, traceID, minSpans, nil)
}

// WaitForDirectJaegerTrace is WaitForJaegerTrace for the spans sent straight
// to Jaeger: it ignores, and leaves out of the result, the copies the
// collector forwards (tagged lab.receiver). Jaeger acknowledges an export
// before it stores it, so in a fan-out the forwarded copies can be stored
// first; waiting for any minSpans spans would then return too early.
func (l *Lab) WaitForDirectJaegerTrace(ctx context.Context, traceID string, minSpans int) (JaegerTrace, error) {
	return l.waitForJaegerSpans(ctx, traceID, minSpans, func(s JaegerSpan) bool {
		_, forwarded := s.Tags[AttrReceiver]
		return !forwarded
	})
}

func (l *Lab) waitForJaegerSpans(ctx context.Context, traceID string, minSpans int, keep func(JaegerSpan) bool) (JaegerTrace, error) {
	var t JaegerTrace
	err := WaitFor(ctx, func(ctx context.Context) (bool, error) {
		var err error
		t, err = l.JaegerTrace(ctx, traceID)
		if err != nil {
			return false, err
		}
		if keep != nil {
			t.Spans = slices.DeleteFunc(t.Spans, func(s JaegerSpan) bool { return !keep(s) })
		}
		if len(t.Spans) < minSpans {
			return false, fmt.Errorf("trace %s has %d spans in Jaeger, want %d", traceID, len(t.Spans), minSpans)
		}
		return true, nil
	})
	return t, err
}

// jaegerGet decodes the data member of a query API response into out.
func (l *Lab) jaegerGet(ctx context.Context, path string, q url.Values, out any) error {
	u := l.JaegerUI + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("lab: jaeger query: %w", err)
	}
	resp, err := l.httpClient.Do(req)
	if err != nil {
		return fmt.Errorf("lab: jaeger query: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("lab: jaeger query %s: %w", path, err)
	}
	if resp.StatusCode == http.StatusNotFound {
		return fmt.Errorf("%w: GET %s: %s", ErrNotFound, path, strings.TrimSpace(string(body)))
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("lab: jaeger query GET %s: %s: %s", path, resp.Status, strings.TrimSpace(string(body)))
	}
	env := struct {
		Data json.RawMessage `json:"data"`
	}{}
	if err := json.Unmarshal(body, &env); err != nil {
		return fmt.Errorf("lab: jaeger query GET %s: decoding: %w", path, err)
	}
	if len(env.Data) == 0 || string(env.Data) == "null" {
		return nil
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return fmt.Errorf("lab: jaeger query GET %s: decoding: %w", path, err)
	}
	return nil
}

// The query API's JSON model (github.com/jaegertracing/jaeger model/json).
type uiTrace struct {
	TraceID   string               `json:"traceID"`
	Spans     []uiSpan             `json:"spans"`
	Processes map[string]uiProcess `json:"processes"`
}

type uiSpan struct {
	TraceID       string        `json:"traceID"`
	SpanID        string        `json:"spanID"`
	OperationName string        `json:"operationName"`
	References    []uiReference `json:"references"`
	StartTime     int64         `json:"startTime"` // µs since the epoch
	Duration      int64         `json:"duration"`  // µs
	Tags          []uiKeyValue  `json:"tags"`
	Logs          []uiLog       `json:"logs"`
	ProcessID     string        `json:"processID"`
	Warnings      []string      `json:"warnings"`
}

type uiReference struct {
	RefType string `json:"refType"`
	TraceID string `json:"traceID"`
	SpanID  string `json:"spanID"`
}

type uiKeyValue struct {
	Key   string          `json:"key"`
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

type uiLog struct {
	Timestamp int64        `json:"timestamp"`
	Fields    []uiKeyValue `json:"fields"`
}

type uiProcess struct {
	ServiceName string       `json:"serviceName"`
	Tags        []uiKeyValue `json:"tags"`
}

func (t uiTrace) convert() JaegerTrace {
	out := JaegerTrace{TraceID: padHex(t.TraceID, 32)}
	for _, s := range t.Spans {
		p := t.Processes[s.ProcessID]
		js := JaegerSpan{
			TraceID:     padHex(s.TraceID, 32),
			SpanID:      padHex(s.SpanID, 16),
			Operation:   s.OperationName,
			Service:     p.ServiceName,
			ProcessTags: kvMap(p.Tags),
			Tags:        kvMap(s.Tags),
			Start:       time.UnixMicro(s.StartTime),
			Duration:    time.Duration(s.Duration) * time.Microsecond,
			Warnings:    s.Warnings,
		}
		for _, r := range s.References {
			ref := JaegerRef{Type: r.RefType, TraceID: padHex(r.TraceID, 32), SpanID: padHex(r.SpanID, 16)}
			js.References = append(js.References, ref)
			if ref.Type == "CHILD_OF" && js.ParentSpanID == "" {
				js.ParentSpanID = ref.SpanID
			}
		}
		for _, lg := range s.Logs {
			js.Logs = append(js.Logs, JaegerLog{Time: time.UnixMicro(lg.Timestamp), Fields: kvMap(lg.Fields)})
		}
		out.Spans = append(out.Spans, js)
	}
	return out
}

func kvMap(kvs []uiKeyValue) map[string]any {
	m := make(map[string]any, len(kvs))
	for _, kv := range kvs {
		m[kv.Key] = kv.value()
	}
	return m
}

// value decodes by the declared type so that int64 tags stay exact.
func (kv uiKeyValue) value() any {
	switch kv.Type {
	case "bool":
		var b bool
		if json.Unmarshal(kv.Value, &b) == nil {
			return b
		}
	case "int64":
		if n, err := strconv.ParseInt(strings.Trim(string(kv.Value), `"`), 10, 64); err == nil {
			return n
		}
	case "float64":
		var f float64
		if json.Unmarshal(kv.Value, &f) == nil {
			return f
		}
	}
	var s string
	if json.Unmarshal(kv.Value, &s) == nil {
		return s
	}
	return string(kv.Value)
}

// padHex restores the leading zeros Jaeger drops, so IDs compare equal to
// OTel's TraceID.String() and SpanID.String().
func padHex(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return strings.Repeat("0", n-len(s)) + s
}
