package promscrape

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/prometheus/prometheus/model/exemplar"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/textparse"
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

// Parse parses an exposition in the format contentType names.
func Parse(body []byte, contentType string) (Result, error) {
	p, err := textparse.New(body, contentType, labels.NewSymbolTable(), textparse.ParserOptions{OpenMetricsSkipCTSeries: true})
	if err != nil {
		return Result{}, fmt.Errorf("content type %q: %w", contentType, err)
	}
	res := Result{ContentType: contentType, Types: map[string]string{}}
	for {
		e, err := p.Next()
		if errors.Is(err, io.EOF) {
			return res, nil
		}
		if err != nil {
			return res, fmt.Errorf("parse %s: %w", contentType, err)
		}
		switch e {
		case textparse.EntryType:
			name, typ := p.Type()
			res.Types[string(name)] = string(typ)
		case textparse.EntrySeries:
			_, _, v := p.Series()
			var ls labels.Labels
			p.Labels(&ls)
			s := Sample{Name: ls.Get(labels.MetricName), Labels: map[string]string{}, Value: v}
			ls.Range(func(l labels.Label) {
				if l.Name != labels.MetricName {
					s.Labels[l.Name] = l.Value
				}
			})
			var ex exemplar.Exemplar
			if p.Exemplar(&ex) {
				s.Exemplar = &Exemplar{Labels: ex.Labels.Map(), Value: ex.Value}
			}
			res.Samples = append(res.Samples, s)
		}
	}
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
