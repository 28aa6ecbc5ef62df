package promscrape

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// Accept headers, as a Prometheus server sends them.
const (
	// AcceptText asks for the classic text format only.
	AcceptText = "text/plain;version=0.0.4"
	// AcceptOpenMetrics prefers OpenMetrics, the only text format with
	// exemplars, as Prometheus does when exemplar storage is on.
	AcceptOpenMetrics = "application/openmetrics-text;version=1.0.0;q=0.9,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)

// Sample is one parsed series value.
type Sample struct {
	Name     string
	Labels   map[string]string // without __name__
	Value    float64
	Exemplar *Exemplar // nil when the sample has none
}

// Exemplar is an exemplar attached to a sample.
type Exemplar struct {
	Labels map[string]string
	Value  float64
}

// Result is one scrape.
type Result struct {
	ContentType string
	Samples     []Sample
	Types       map[string]string // metric family name -> counter, gauge, histogram...
}

// Get scrapes url with the given Accept header and parses the body.
func Get(ctx context.Context, url, accept string) (Result, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Result{}, err
	}
	req.Header.Set("Accept", accept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Result{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return Result{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return Result{}, fmt.Errorf("GET %s: %s: %s", url, resp.Status, body)
	}
	return Parse(body, resp.Header.Get("Content-Type"))
}

// Parse parses an exposition in the format contentType names: the classic
// text format (text/plain) or OpenMetrics (application/openmetrics-text, which
// must end with "# EOF"). A malformed line is an error naming its number.
func Parse(body []byte, contentType string) (Result, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return Result{}, fmt.Errorf("content type %q: %w", contentType, err)
	}
	var openMetrics bool
	switch mt {
	case "text/plain":
	case "application/openmetrics-text":
		openMetrics = true
	default:
		return Result{}, fmt.Errorf("content type %q: not the text format or OpenMetrics", contentType)
	}
	res := Result{ContentType: contentType, Types: map[string]string{}}
	lines := strings.Split(string(body), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	eof := false
	for n, line := range lines {
		if eof {
			return res, fmt.Errorf("parse %s: line %d: content after # EOF", mt, n+1)
		}
		switch {
		case line == "# EOF" && openMetrics:
			eof = true
		case strings.HasPrefix(line, "# TYPE "):
			f := strings.Fields(line)
			if len(f) != 4 {
				return res, fmt.Errorf("parse %s: line %d: malformed TYPE %q", mt, n+1, line)
			}
			res.Types[f[2]] = f[3]
		case strings.HasPrefix(line, "#"), !openMetrics && strings.TrimSpace(line) == "":
			// HELP, UNIT and comments carry nothing a test reads.
		default:
			s, err := parseSample(line, openMetrics)
			if err != nil {
				return res, fmt.Errorf("parse %s: line %d: %w", mt, n+1, err)
			}
			if openMetrics && isCreated(s.Name, res.Types) {
				continue // a creation time, not a sample (Prometheus skips these too)
			}
			res.Samples = append(res.Samples, s)
		}
	}
	if openMetrics && !eof {
		return res, fmt.Errorf("parse %s: no # EOF at the end", mt)
	}
	return res, nil
}

// isCreated reports whether name is the _created series of a family that has
// one in OpenMetrics.
func isCreated(name string, types map[string]string) bool {
	base, ok := strings.CutSuffix(name, "_created")
	if !ok {
		return false
	}
	base = strings.TrimSuffix(base, "_total")
	switch types[base] {
	case "counter", "histogram", "summary", "gaugehistogram":
		return true
	}
	return false
}

// parseSample parses `name{labels} value [timestamp]`, followed in
// OpenMetrics by an optional ` # {labels} value [timestamp]` exemplar.
func parseSample(line string, openMetrics bool) (Sample, error) {
	rest := line
	var exemplar string
	if openMetrics {
		if i := strings.Index(line, " # "); i >= 0 {
			rest, exemplar = line[:i], line[i+3:]
		}
	}
	name, labels, rest, err := parseSeries(rest, true)
	if err != nil {
		return Sample{}, err
	}
	v, err := parseValue(rest)
	if err != nil {
		return Sample{}, err
	}
	s := Sample{Name: name, Labels: labels, Value: v}
	if exemplar != "" {
		_, exLabels, exRest, err := parseSeries(exemplar, false)
		if err != nil {
			return Sample{}, fmt.Errorf("exemplar: %w", err)
		}
		exValue, err := parseValue(exRest)
		if err != nil {
			return Sample{}, fmt.Errorf("exemplar: %w", err)
		}
		s.Exemplar = &Exemplar{Labels: exLabels, Value: exValue}
	}
	return s, nil
}

// parseValue parses ` value [timestamp]`.
func parseValue(s string) (float64, error) {
	f := strings.Fields(s)
	if len(f) < 1 || len(f) > 2 || !strings.HasPrefix(s, " ") {
		return 0, fmt.Errorf("want \" value [timestamp]\", got %q", s)
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return 0, fmt.Errorf("value %q: %w", f[0], err)
	}
	if len(f) == 2 {
		if _, err := strconv.ParseFloat(f[1], 64); err != nil {
			return 0, fmt.Errorf("timestamp %q: %w", f[1], err)
		}
	}
	return v, nil
}

// parseSeries parses a metric name (required when named is true) and an
// optional {label="value",...} set, returning what follows.
func parseSeries(s string, named bool) (name string, labels map[string]string, rest string, err error) {
	i := 0
	for i < len(s) && isNameByte(s[i], i == 0) {
		i++
	}
	name, s = s[:i], s[i:]
	if named && name == "" {
		return "", nil, "", errors.New("no metric name")
	}
	labels = map[string]string{}
	if !strings.HasPrefix(s, "{") {
		return name, labels, s, nil
	}
	s = s[1:]
	for {
		if strings.HasPrefix(s, "}") {
			return name, labels, s[1:], nil
		}
		j := 0
		for j < len(s) && isNameByte(s[j], j == 0) {
			j++
		}
		if j == 0 || !strings.HasPrefix(s[j:], "=\"") {
			return "", nil, "", fmt.Errorf("malformed label set at %q", s)
		}
		key := s[:j]
		s = s[j+2:]
		var val strings.Builder
		for {
			if s == "" {
				return "", nil, "", fmt.Errorf("unterminated value of label %s", key)
			}
			c := s[0]
			s = s[1:]
			if c == '"' {
				break
			}
			if c == '\\' && s != "" {
				switch s[0] {
				case 'n':
					c = '\n'
				case '\\', '"':
					c = s[0]
				default:
					return "", nil, "", fmt.Errorf("bad escape \\%c in label %s", s[0], key)
				}
				s = s[1:]
			}
			val.WriteByte(c)
		}
		labels[key] = val.String()
		if strings.HasPrefix(s, ",") {
			s = s[1:]
		} else if !strings.HasPrefix(s, "}") {
			return "", nil, "", fmt.Errorf("malformed label set at %q", s)
		}
	}
}

func isNameByte(c byte, first bool) bool {
	return c == '_' || c == ':' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || !first && '0' <= c && c <= '9'
}

// Find returns the samples named name whose labels include every label in
// match.
func (r Result) Find(name string, match map[string]string) []Sample {
	var out []Sample
	for _, s := range r.Samples {
		if s.Name != name {
			continue
		}
		ok := true
		for k, v := range match {
			ok = ok && s.Labels[k] == v
		}
		if ok {
			out = append(out, s)
		}
	}
	return out
}
