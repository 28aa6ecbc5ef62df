package lab

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"
)

// LogRecord is one log record as a collector receiver accepted it,
// flattened from the file exporter's OTLP JSON.
type LogRecord struct {
	Source       Source
	Resource     map[string]any
	Scope        string
	TraceID      string // 32 hex digits, "" when the record has none
	SpanID       string
	Severity     int // OTLP SeverityNumber: 9 INFO, 13 WARN, 17 ERROR
	SeverityText string
	Body         any
	Attributes   map[string]any
	Time         time.Time
}

// MetricPoints is one metric of one export request: its name, resource and
// how many data points it carried.
type MetricPoints struct {
	Source   Source
	Resource map[string]any
	Scope    string
	Name     string
	Points   int
	// PointAttributes are each data point's attributes, where the
	// collector's attributes processor puts the lab.* ones.
	PointAttributes []map[string]any
}

// CollectorLogs returns every log record the receiver src has accepted so
// far, in arrival order.
func (l *Lab) CollectorLogs(ctx context.Context, src Source) ([]LogRecord, error) {
	var out []LogRecord
	err := l.readLines(ctx, src, func(line []byte) error {
		var req otlpLogs
		if err := json.Unmarshal(line, &req); err != nil {
			return err
		}
		for _, rl := range req.ResourceLogs {
			res := attrMap(rl.Resource.Attributes)
			for _, sl := range rl.ScopeLogs {
				for _, r := range sl.LogRecords {
					out = append(out, LogRecord{
						Source: src, Resource: res, Scope: sl.Scope.Name,
						TraceID: strings.ToLower(r.TraceID), SpanID: strings.ToLower(r.SpanID),
						Severity: int(r.SeverityNumber), SeverityText: r.SeverityText,
						Body: r.Body.value(), Attributes: attrMap(r.Attributes),
						Time: time.Unix(0, int64(r.TimeUnixNano)),
					})
				}
			}
		}
		return nil
	})
	return out, err
}

// WaitForLogs polls CollectorLogs(src) until at least n records satisfy
// match (nil matches all) and returns the matching ones; see WaitFor for
// the deadline.
func (l *Lab) WaitForLogs(ctx context.Context, src Source, n int, match func(LogRecord) bool) ([]LogRecord, error) {
	return waitMatching(ctx, "log records", string(src), n, func(ctx context.Context) ([]LogRecord, error) { return l.CollectorLogs(ctx, src) }, match)
}

// CollectorMetrics returns every metric the receiver src has accepted so
// far, one entry per metric per export request.
func (l *Lab) CollectorMetrics(ctx context.Context, src Source) ([]MetricPoints, error) {
	var out []MetricPoints
	err := l.readLines(ctx, src, func(line []byte) error {
		var req otlpMetrics
		if err := json.Unmarshal(line, &req); err != nil {
			return err
		}
		for _, rm := range req.ResourceMetrics {
			res := attrMap(rm.Resource.Attributes)
			for _, sm := range rm.ScopeMetrics {
				for _, m := range sm.Metrics {
					mp := MetricPoints{Source: src, Resource: res, Scope: sm.Scope.Name, Name: m.Name}
					for _, d := range []*otlpPoints{m.Sum, m.Gauge, m.Histogram, m.ExponentialHistogram, m.Summary} {
						if d == nil {
							continue
						}
						for _, p := range d.DataPoints {
							mp.Points++
							mp.PointAttributes = append(mp.PointAttributes, attrMap(p.Attributes))
						}
					}
					out = append(out, mp)
				}
			}
		}
		return nil
	})
	return out, err
}

// readLines calls fn with each complete line of src's file; a last line
// without its newline is left for the next call, as the exporter may be
// half-way through writing it.
func (l *Lab) readLines(ctx context.Context, src Source, fn func([]byte) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := os.Open(l.CollectorFile(src))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	for lineNo := 1; ; lineNo++ {
		line, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("lab: %s: %w", l.CollectorFile(src), err)
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if err := fn(line); err != nil {
			return fmt.Errorf("lab: %s line %d: %w", l.CollectorFile(src), lineNo, err)
		}
	}
}

type otlpLogs struct {
	ResourceLogs []struct {
		Resource struct {
			Attributes []otlpKeyValue `json:"attributes"`
		} `json:"resource"`
		ScopeLogs []struct {
			Scope      otlpScope `json:"scope"`
			LogRecords []struct {
				TimeUnixNano   otlpInt        `json:"timeUnixNano"`
				SeverityNumber otlpEnum       `json:"severityNumber"`
				SeverityText   string         `json:"severityText"`
				Body           otlpValue      `json:"body"`
				Attributes     []otlpKeyValue `json:"attributes"`
				TraceID        string         `json:"traceId"`
				SpanID         string         `json:"spanId"`
			} `json:"logRecords"`
		} `json:"scopeLogs"`
	} `json:"resourceLogs"`
}

type otlpPoints struct {
	DataPoints []struct {
		Attributes []otlpKeyValue `json:"attributes"`
	} `json:"dataPoints"`
}

type otlpMetrics struct {
	ResourceMetrics []struct {
		Resource struct {
			Attributes []otlpKeyValue `json:"attributes"`
		} `json:"resource"`
		ScopeMetrics []struct {
			Scope   otlpScope `json:"scope"`
			Metrics []struct {
				Name                 string      `json:"name"`
				Sum                  *otlpPoints `json:"sum"`
				Gauge                *otlpPoints `json:"gauge"`
				Histogram            *otlpPoints `json:"histogram"`
				ExponentialHistogram *otlpPoints `json:"exponentialHistogram"`
				Summary              *otlpPoints `json:"summary"`
			} `json:"metrics"`
		} `json:"scopeMetrics"`
	} `json:"resourceMetrics"`
}
