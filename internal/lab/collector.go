package lab

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Span is one span as a collector receiver accepted it, flattened from the
// file exporter's OTLP JSON. Attribute values are string, bool, int64,
// float64, []byte, []any or map[string]any.
type Span struct {
	Source       Source
	Resource     map[string]any
	Scope        string
	ScopeVersion string
	TraceID      string // 32 hex digits
	SpanID       string // 16 hex digits
	ParentSpanID string // "" for a root span
	TraceState   string
	Name         string
	Kind         trace.SpanKind
	Start, End   time.Time
	Attributes   map[string]any
	Status       codes.Code
	StatusMsg    string
	Events       []Event
	Links        []Link
}

// String renders s for a test's failure output: names, IDs, kind, status,
// then every resource and span attribute, sorted, long values cut.
func (s Span) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s trace=%s span=%s parent=%s kind=%v status=%v %q\n", s.Name, s.TraceID, s.SpanID, s.ParentSpanID, s.Kind, s.Status, s.StatusMsg)
	for _, m := range []struct {
		name  string
		attrs map[string]any
	}{{"resource", s.Resource}, {"span", s.Attributes}} {
		for _, k := range slices.Sorted(maps.Keys(m.attrs)) {
			v := fmt.Sprintf("%#v", m.attrs[k])
			if len(v) > 120 {
				v = v[:120] + "..."
			}
			fmt.Fprintf(&b, "  %s %s = %s\n", m.name, k, v)
		}
	}
	return b.String()
}

// Event is a span event.
type Event struct {
	Name       string
	Time       time.Time
	Attributes map[string]any
}

// Link is a span link.
type Link struct {
	TraceID, SpanID string
	Attributes      map[string]any
}

// CollectorSpans returns every span the receiver src has accepted so far,
// in arrival order. Before anything arrives it returns no spans and no
// error.
func (l *Lab) CollectorSpans(ctx context.Context, src Source) ([]Span, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.Open(l.CollectorFile(src))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lab: collector spans: %w", err)
	}
	defer f.Close()
	spans, err := parseSpans(f, src)
	if err != nil {
		return nil, fmt.Errorf("lab: collector spans from %s: %w", l.CollectorFile(src), err)
	}
	return spans, nil
}

// WaitForSpans polls CollectorSpans(src) until at least n spans satisfy
// match (nil matches all) and returns the matching ones; see WaitFor for
// the deadline.
func (l *Lab) WaitForSpans(ctx context.Context, src Source, n int, match func(Span) bool) ([]Span, error) {
	return waitMatching(ctx, "spans", string(src), n, func(ctx context.Context) ([]Span, error) { return l.CollectorSpans(ctx, src) }, match)
}

// parseSpans reads OTLP JSON lines, one export request per line. Lines
// without spans (metrics, logs) are skipped, and so is a last line without
// its newline: the exporter may be half-way through writing it.
func parseSpans(r io.Reader, src Source) ([]Span, error) {
	var spans []Span
	br := bufio.NewReader(r)
	for lineNo := 1; ; lineNo++ {
		line, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return spans, nil
		}
		if err != nil {
			return nil, err
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var req otlpTraces
		if err := json.Unmarshal(line, &req); err != nil {
			return nil, fmt.Errorf("line %d: %w", lineNo, err)
		}
		for _, rs := range req.ResourceSpans {
			res := attrMap(rs.Resource.Attributes)
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					spans = append(spans, s.convert(src, res, ss.Scope))
				}
			}
		}
	}
}

// OTLP JSON (opentelemetry-proto's JSON mapping): IDs are hex, 64-bit
// integers may be strings, enums are numbers.
type otlpTraces struct {
	ResourceSpans []struct {
		Resource struct {
			Attributes []otlpKeyValue `json:"attributes"`
		} `json:"resource"`
		ScopeSpans []struct {
			Scope otlpScope  `json:"scope"`
			Spans []otlpSpan `json:"spans"`
		} `json:"scopeSpans"`
	} `json:"resourceSpans"`
}

type otlpScope struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type otlpSpan struct {
	TraceID           string         `json:"traceId"`
	SpanID            string         `json:"spanId"`
	ParentSpanID      string         `json:"parentSpanId"`
	TraceState        string         `json:"traceState"`
	Name              string         `json:"name"`
	Kind              otlpEnum       `json:"kind"`
	StartTimeUnixNano otlpInt        `json:"startTimeUnixNano"`
	EndTimeUnixNano   otlpInt        `json:"endTimeUnixNano"`
	Attributes        []otlpKeyValue `json:"attributes"`
	Events            []struct {
		TimeUnixNano otlpInt        `json:"timeUnixNano"`
		Name         string         `json:"name"`
		Attributes   []otlpKeyValue `json:"attributes"`
	} `json:"events"`
	Links []struct {
		TraceID    string         `json:"traceId"`
		SpanID     string         `json:"spanId"`
		Attributes []otlpKeyValue `json:"attributes"`
	} `json:"links"`
	Status struct {
		Code    otlpEnum `json:"code"`
		Message string   `json:"message"`
	} `json:"status"`
}

type otlpKeyValue struct {
	Key   string    `json:"key"`
	Value otlpValue `json:"value"`
}

type otlpValue struct {
	StringValue *string  `json:"stringValue"`
	BoolValue   *bool    `json:"boolValue"`
	IntValue    *otlpInt `json:"intValue"`
	DoubleValue *float64 `json:"doubleValue"`
	BytesValue  *string  `json:"bytesValue"` // base64
	ArrayValue  *struct {
		Values []otlpValue `json:"values"`
	} `json:"arrayValue"`
	KvlistValue *struct {
		Values []otlpKeyValue `json:"values"`
	} `json:"kvlistValue"`
}

// otlpInt accepts a 64-bit integer as a JSON number or string.
type otlpInt int64

func (n *otlpInt) UnmarshalJSON(b []byte) error {
	v, err := strconv.ParseInt(strings.Trim(string(b), `"`), 10, 64)
	if err != nil {
		return fmt.Errorf("integer %s: %w", b, err)
	}
	*n = otlpInt(v)
	return nil
}

// otlpEnum accepts an enum as a number or, as some encoders write it, by
// name (SPAN_KIND_SERVER, STATUS_CODE_ERROR).
type otlpEnum int

var otlpEnumNames = map[string]otlpEnum{
	"SPAN_KIND_UNSPECIFIED": 0, "SPAN_KIND_INTERNAL": 1, "SPAN_KIND_SERVER": 2,
	"SPAN_KIND_CLIENT": 3, "SPAN_KIND_PRODUCER": 4, "SPAN_KIND_CONSUMER": 5,
	"STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2,
}

func (e *otlpEnum) UnmarshalJSON(b []byte) error {
	if s, err := strconv.Unquote(string(b)); err == nil {
		v, ok := otlpEnumNames[s]
		if !ok {
			return fmt.Errorf("unknown enum %s", b)
		}
		*e = v
		return nil
	}
	v, err := strconv.Atoi(string(b))
	if err != nil {
		return fmt.Errorf("enum %s: %w", b, err)
	}
	*e = otlpEnum(v)
	return nil
}

func (s otlpSpan) convert(src Source, res map[string]any, scope otlpScope) Span {
	out := Span{
		Source:       src,
		Resource:     res,
		Scope:        scope.Name,
		ScopeVersion: scope.Version,
		TraceID:      strings.ToLower(s.TraceID),
		SpanID:       strings.ToLower(s.SpanID),
		ParentSpanID: strings.ToLower(s.ParentSpanID),
		TraceState:   s.TraceState,
		Name:         s.Name,
		// OTLP's SpanKind numbers match trace.SpanKind's.
		Kind:       trace.SpanKind(s.Kind),
		Start:      time.Unix(0, int64(s.StartTimeUnixNano)),
		End:        time.Unix(0, int64(s.EndTimeUnixNano)),
		Attributes: attrMap(s.Attributes),
		StatusMsg:  s.Status.Message,
	}
	// OTLP numbers status UNSET=0, OK=1, ERROR=2; codes.Code has Error=1, Ok=2.
	switch s.Status.Code {
	case 1:
		out.Status = codes.Ok
	case 2:
		out.Status = codes.Error
	}
	for _, e := range s.Events {
		out.Events = append(out.Events, Event{Name: e.Name, Time: time.Unix(0, int64(e.TimeUnixNano)), Attributes: attrMap(e.Attributes)})
	}
	for _, lk := range s.Links {
		out.Links = append(out.Links, Link{TraceID: strings.ToLower(lk.TraceID), SpanID: strings.ToLower(lk.SpanID), Attributes: attrMap(lk.Attributes)})
	}
	return out
}

func attrMap(kvs []otlpKeyValue) map[string]any {
	m := make(map[string]any, len(kvs))
	for _, kv := range kvs {
		m[kv.Key] = kv.Value.value()
	}
	return m
}

func (v otlpValue) value() any {
	switch {
	case v.StringValue != nil:
		return *v.StringValue
	case v.BoolValue != nil:
		return *v.BoolValue
	case v.IntValue != nil:
		return int64(*v.IntValue)
	case v.DoubleValue != nil:
		return *v.DoubleValue
	case v.BytesValue != nil:
		b, err := base64.StdEncoding.DecodeString(*v.BytesValue)
		if err != nil {
			return *v.BytesValue
		}
		return b
	case v.ArrayValue != nil:
		out := make([]any, 0, len(v.ArrayValue.Values))
		for _, e := range v.ArrayValue.Values {
			out = append(out, e.value())
		}
		return out
	case v.KvlistValue != nil:
		return attrMap(v.KvlistValue.Values)
	}
	return nil
}
