package compare

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"time"
)

// WriteHTML writes the report as one self-contained page: the table, its
// footnotes and legend, and bar charts of request latency (p50 and p99 per
// run), export latency (p50 and p99 per backend) and throughput and CPU
// per request. Styles and charts (SVG) are inline; the page loads nothing.
func (rep *Report) WriteHTML(w io.Writer) error {
	rows, notes := rep.table()
	d := htmlData{
		Report: rep,
		Header: tableHeader,
		Rows:   rows,
		Notes:  notes,
		Legend: Legend,
	}
	runs := append([]Pass{rep.Baseline}, rep.Alone...)
	if rep.FanOut != nil {
		runs = append(runs, *rep.FanOut)
	}
	labels := make([]string, len(runs))
	for i, r := range runs {
		labels[i] = r.Name
	}
	ms := func(get func(Pass) time.Duration) []float64 {
		v := make([]float64, len(runs))
		for i, r := range runs {
			v[i] = float64(get(r)) / 1e6
		}
		return v
	}
	d.Charts = append(d.Charts, newChart("request-latency", "Request latency per run (ms)", labels, []facet{
		{"p50", ms(func(r Pass) time.Duration { return r.Requests.P50 }), fmtMillis},
		{"p99", ms(func(r Pass) time.Duration { return r.Requests.P99 }), fmtMillis},
	}))

	var backendsRun []string
	var p50, p99 []float64
	for _, r := range rep.Alone {
		if dl := r.delivery(r.Name); dl != nil {
			backendsRun = append(backendsRun, r.Name)
			p50 = append(p50, float64(dl.ExportP50)/1e6)
			p99 = append(p99, float64(dl.ExportP99)/1e6)
		}
	}
	if len(backendsRun) > 0 {
		d.Charts = append(d.Charts, newChart("export-latency", "Export latency per backend, alone (ms)", backendsRun, []facet{
			{"p50", p50, fmtMillis},
			{"p99", p99, fmtMillis},
		}))
	}
	rps := make([]float64, len(runs))
	for i, r := range runs {
		rps[i] = r.Requests.RPS
	}
	d.Charts = append(d.Charts, newChart("throughput", "Throughput and CPU per request per run", labels, []facet{
		{"requests/s", rps, func(v float64) string { return fmt.Sprintf("%.0f", v) }},
		{"CPU µs/request", ms(func(r Pass) time.Duration { return r.Requests.CPU * 1000 }), func(v float64) string { return fmt.Sprintf("%.0f", v) }},
	}))
	return pageTemplate.Execute(w, d)
}

type htmlData struct {
	Report *Report
	Header []string
	Rows   []tableRow
	Notes  []string
	Legend []struct{ Column, Meaning string }
	Charts []chart
}

// Chart geometry, in SVG user units.
const (
	chartLabelWidth = 120
	chartFacetWidth = 360
	chartFacetGap   = 40
	chartBarHeight  = 22
	chartBarGap     = 8
	chartTop        = 48
	chartValueRoom  = 70
)

// facet is one panel of a chart: a value per label, on its own scale.
type facet struct {
	Name   string
	Values []float64
	Format func(float64) string
}

type chart struct {
	ID, Title     string
	Width, Height int
	Labels        []chartLabel
	Facets        []chartFacet
}

type chartLabel struct {
	Text string
	Y    int
}

type chartFacet struct {
	Name string
	X    int
	Bars []chartBar
}

type chartBar struct {
	Label      string
	X, Y, W, H int
	Value      string
	TextX      int
	TextY      int
}

// newChart lays out horizontal bars, a row per label and a panel per
// facet, each panel scaled to its own largest value.
func newChart(id, title string, labels []string, facets []facet) chart {
	c := chart{ID: id, Title: title}
	rowH := chartBarHeight + chartBarGap
	c.Height = chartTop + len(labels)*rowH + 10
	c.Width = chartLabelWidth + len(facets)*(chartFacetWidth+chartFacetGap)
	for i, l := range labels {
		c.Labels = append(c.Labels, chartLabel{Text: l, Y: chartTop + i*rowH + chartBarHeight/2 + 5})
	}
	for f, fc := range facets {
		x0 := chartLabelWidth + f*(chartFacetWidth+chartFacetGap)
		top := 0.0
		for _, v := range fc.Values {
			top = math.Max(top, v)
		}
		cf := chartFacet{Name: fc.Name, X: x0}
		for i, v := range fc.Values {
			w := 0
			if top > 0 && v > 0 {
				w = max(1, int(math.Round(v/top*float64(chartFacetWidth-chartValueRoom))))
			}
			y := chartTop + i*rowH
			cf.Bars = append(cf.Bars, chartBar{
				Label: labels[i], X: x0, Y: y, W: w, H: chartBarHeight,
				Value: fc.Format(v), TextX: x0 + w + 6, TextY: y + chartBarHeight/2 + 5,
			})
		}
		c.Facets = append(c.Facets, cf)
	}
	return c
}

func fmtMillis(v float64) string {
	switch {
	case v == 0:
		return "-"
	case v < 10:
		return fmt.Sprintf("%.2f", v)
	case v < 100:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.0f", v)
}

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>otelswitch compare {{.Report.Settings.RunID}}</title>
<style>
body { font: 13px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #1b1f24; background: #fff; }
h1 { font-size: 20px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 28px 0 8px; }
p.meta { margin: 2px 0; color: #57606a; }
table.compare { border-collapse: collapse; margin-top: 16px; font-variant-numeric: tabular-nums; }
table.compare th, table.compare td { border: 1px solid #d0d7de; padding: 4px 6px; text-align: right; white-space: nowrap; }
table.compare th { background: #f6f8fa; font-weight: 600; white-space: normal; vertical-align: bottom; }
table.compare :is(td, th):is(:first-child, :nth-child(2), :last-child) { text-align: left; }
table.compare td:last-child { white-space: normal; min-width: 16em; }
tr.baseline td { background: #f6f8fa; }
tr.fan-out td { border-top: 2px solid #57606a; font-weight: 600; }
tr.status-lossy td:nth-child(2) { background: #fff8c5; }
tr.status-failed td:nth-child(2) { background: #ffebe9; color: #a40e26; font-weight: 600; }
tr.status-ok td:nth-child(2) { color: #1a7f37; }
ol.notes { color: #a40e26; padding-left: 0; list-style: none; }
dl.legend { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; max-width: 1100px; color: #57606a; }
dl.legend dt { font-weight: 600; }
dl.legend dd { margin: 0; }
svg.chart { display: block; margin: 8px 0 16px; }
svg.chart text { font: 12px system-ui, sans-serif; fill: #1b1f24; }
svg.chart text.title { font-size: 14px; font-weight: 600; }
svg.chart text.facet { font-weight: 600; fill: #57606a; }
svg.chart rect.bar.f0 { fill: #54aeff; }
svg.chart rect.bar.f1 { fill: #0969da; }
svg.chart line.axis { stroke: #8c959f; }
</style>
</head>
<body>
<h1>Vendors side by side</h1>
{{with .Report}}<p class="meta">{{.Settings.Duration}} per run, {{.Settings.Concurrency}} at a time, seed {{.Settings.Seed}}, ENVIRONMENT={{.Settings.Environment}}, mix {{.Settings.Mix}}</p>
<p class="meta">machine: {{.Machine}}; started {{.Started.Format "2006-01-02 15:04:05 UTC"}}; services compare-{{.Settings.RunID}}-&lt;run&gt;</p>
{{if .Interrupted}}<p class="meta"><strong>Interrupted: the runs that did not finish are missing.</strong></p>{{end}}{{end}}
<table class="compare" id="compare-table">
<thead><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr class="{{.Kind}}{{if .Status}} status-{{.Status}}{{end}}">{{range .Cells}}<td>{{.}}</td>{{end}}</tr>
{{end}}</tbody>
</table>
{{if .Notes}}<ol class="notes">{{range .Notes}}<li>{{.}}</li>{{end}}</ol>{{end}}
<dl class="legend">{{range .Legend}}<dt>{{.Column}}</dt><dd>{{.Meaning}}</dd>{{end}}</dl>
{{range .Charts}}{{$h := .Height}}<h2>{{.Title}}</h2>
<svg class="chart" id="{{.ID}}" xmlns="http://www.w3.org/2000/svg" width="{{.Width}}" height="{{.Height}}" viewBox="0 0 {{.Width}} {{.Height}}" role="img" aria-label="{{.Title}}">
{{range .Labels}}<text x="0" y="{{.Y}}">{{.Text}}</text>
{{end}}{{range $i, $f := .Facets}}<text class="facet" x="{{$f.X}}" y="30">{{$f.Name}}</text>
<line class="axis" x1="{{$f.X}}" y1="38" x2="{{$f.X}}" y2="{{$h}}"/>
{{range $f.Bars}}<rect class="bar f{{$i}}" data-run="{{.Label}}" data-facet="{{$f.Name}}" x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}"><title>{{.Label}} {{$f.Name}}: {{.Value}}</title></rect>
<text x="{{.TextX}}" y="{{.TextY}}">{{.Value}}</text>
{{end}}{{end}}</svg>
{{end}}</body>
</html>
`))
