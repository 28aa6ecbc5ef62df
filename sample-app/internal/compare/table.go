package compare

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Kinds of table rows.
const (
	rowBaseline = "baseline"
	rowBackend  = "backend"
	rowFanOut   = "fan-out"
)

type tableRow struct {
	Kind   string
	Status string // StatusOK, StatusLossy, StatusFailed, or "" for the baseline
	Cells  []string
}

var tableHeader = []string{
	"BACKEND", "STATUS", "SPANS", "SENT", "STORED", "DROPPED", "FAILED", "BYTES",
	"EXPORT p50", "EXPORT p99", "REQ p50", "REQ p99", "REQ/S", "CPU/REQ", "FAN-OUT STORED/SENT",
	"SEEN AS service · env · version",
}

// table lays the report out as rows of cells under tableHeader, with the
// footnotes the status cells point to.
func (rep *Report) table() (rows []tableRow, notes []string) {
	base := rep.Baseline
	rows = append(rows, tableRow{Kind: rowBaseline, Cells: []string{
		"off (baseline)", "-", num(base.SpansMade), "-", "-", "-", "-", "-", "-", "-",
		fmtDuration(base.Requests.P50), fmtDuration(base.Requests.P99), fmt.Sprintf("%.0f", base.Requests.RPS),
		fmtDuration(base.Requests.CPU), "-", "-",
	}})
	note := func(text string) string {
		notes = append(notes, fmt.Sprintf("[%d] %s", len(notes)+1, text))
		return strconv.Itoa(len(notes))
	}
	for i := range rep.Alone {
		run := &rep.Alone[i]
		d := run.delivery(run.Name)
		f := rep.FanOut.delivery(run.Name)
		var refs []string
		if run.Err != "" {
			refs = append(refs, note(run.Name+" alone: the run itself: "+run.Err))
		}
		if d.Status != StatusOK || d.Reason != "" {
			refs = append(refs, note(run.Name+" alone: "+d.Reason))
		}
		fan := "not in it"
		switch {
		case rep.FanOut == nil:
			fan = "-"
		case f != nil:
			fan = num(f.Stored) + lowerBound(f) + "/" + num(f.Sent)
			if f.Status != StatusOK || f.Reason != "" {
				refs = append(refs, note(run.Name+" in the fan-out: "+f.Reason))
			}
		}
		w := worst(d, f)
		status := w.Status
		if len(refs) > 0 {
			status += " [" + strings.Join(refs, ",") + "]"
		}
		rows = append(rows, tableRow{Kind: rowBackend, Status: w.Status, Cells: []string{
			run.Name, status, num(run.SpansMade), num(d.Sent), num(d.Stored) + lowerBound(d), num(d.Dropped),
			num(d.FailedExports), fmtBytes(d.Bytes), fmtDuration(d.ExportP50), fmtDuration(d.ExportP99),
			withCost(fmtDuration(run.Requests.P50), run.Cost.P50), withCost(fmtDuration(run.Requests.P99), run.Cost.P99),
			withCost(fmt.Sprintf("%.0f", run.Requests.RPS), run.Cost.Throughput),
			withCost(fmtDuration(run.Requests.CPU), run.Cost.CPU), fan, d.Seen.String(),
		}})
	}
	if fo := rep.FanOut; fo != nil {
		var sum Delivery
		exact := true
		status := StatusOK
		var bad []string
		for i := range fo.Deliveries {
			d := &fo.Deliveries[i]
			if d.Status != StatusOK {
				bad = append(bad, d.Backend)
			}
			sum.Sent += d.Sent
			sum.Stored += d.Stored
			sum.Dropped += d.Dropped
			sum.FailedExports += d.FailedExports
			sum.Bytes += d.Bytes
			exact = exact && d.StoredExact
			status = worst(&Delivery{Status: status}, d).Status
		}
		sum.StoredExact = exact
		cell := status
		if len(bad) > 0 {
			cell += " (" + strings.Join(bad, ", ") + ")"
		}
		if fo.Err != "" {
			cell += " [" + note("fan-out: the run itself: "+fo.Err) + "]"
		}
		rows = append(rows, tableRow{Kind: rowFanOut, Status: status, Cells: []string{
			fmt.Sprintf("fan-out (%d)", len(fo.Deliveries)), cell, num(fo.SpansMade), num(sum.Sent), num(sum.Stored) + lowerBound(&sum),
			num(sum.Dropped), num(sum.FailedExports), fmtBytes(sum.Bytes), "-", "-",
			withCost(fmtDuration(fo.Requests.P50), fo.Cost.P50), withCost(fmtDuration(fo.Requests.P99), fo.Cost.P99),
			withCost(fmt.Sprintf("%.0f", fo.Requests.RPS), fo.Cost.Throughput),
			withCost(fmtDuration(fo.Requests.CPU), fo.Cost.CPU), "-", "-",
		}})
	}
	return rows, notes
}

// WriteTable writes the report as a text table with its footnotes.
func (rep *Report) WriteTable(w io.Writer) error {
	ew := &errWriter{w: w}
	s := rep.Settings
	fmt.Fprintf(ew, "%s per run, %d at a time, seed %d, ENVIRONMENT=%s, mix %s\n", s.Duration, s.Concurrency, s.Seed, s.Environment, s.Mix)
	fmt.Fprintf(ew, "machine: %s\n", rep.Machine)
	fmt.Fprintf(ew, "lab: %s; services compare-%s-<run>\n\n", s.Lab, s.RunID)
	rows, notes := rep.table()
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(tableHeader, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r.Cells, "\t"))
	}
	tw.Flush()
	if len(notes) > 0 {
		fmt.Fprintln(ew)
		for _, n := range notes {
			fmt.Fprintln(ew, n)
		}
	}
	fmt.Fprintln(ew)
	tw = tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join([]string{"BACKEND", "LOGS STORED/SENT", "LOG BYTES", "LOGS DROPPED", "METRIC POINTS STORED/SENT", "METRIC BYTES", "POINTS DROPPED"}, "\t"))
	for i := range rep.Alone {
		run := &rep.Alone[i]
		d := run.delivery(run.Name)
		if d == nil {
			continue
		}
		fmt.Fprintln(tw, strings.Join([]string{run.Name,
			signalCell(d.Logs), fmtBytes(d.Logs.Bytes), num(d.Logs.Dropped),
			signalCell(d.Metrics), fmtBytes(d.Metrics.Bytes), num(d.Metrics.Dropped)}, "\t"))
	}
	tw.Flush()
	if rep.Interrupted {
		fmt.Fprintln(ew, "\nInterrupted: the runs that did not finish are missing.")
	}
	fmt.Fprintln(ew)
	tw = tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	for _, l := range Legend {
		fmt.Fprintf(tw, "%s\t%s\n", l.Column, l.Meaning)
	}
	tw.Flush()
	return ew.err
}

// Legend explains the table, a line per column.
var Legend = []struct{ Column, Meaning string }{
	{"off", "the baseline: telemetry off, OTEL_SDK_DISABLED=true (no-op providers: no span is even recorded)"},
	{"STATUS", "ok: every span sent was stored (for gateway: what its tail sampling kept, see the note); lossy: spans dropped or missing; failed: see the note"},
	{"SPANS", "spans the application made in the run, counted by a span processor beside the backends"},
	{"SENT", "spans the backend's exporter delivered and saw acknowledged (exporters.Stats), its run alone"},
	{"STORED", "spans the stand-in (or the gateway, after tail sampling) actually stored, counted from Jaeger's API or the collector's output; + marks a lower bound"},
	{"DROPPED, FAILED", "spans dropped and export calls that failed, by exporters.Stats"},
	{"BYTES", "payload bytes the exporter put on the wire, after compression"},
	{"EXPORT p50/p99", "time per export call"},
	{"REQ p50/p99, REQ/S", "request latency and throughput of the run, and the change against off; the lab shares the machine, so its work shows here too"},
	{"CPU/REQ", "CPU time of this process alone (application, telemetry, load generator; not the lab) per request"},
	{"FAN-OUT", "stored/sent for the backend when all ran at once; the fan-out row holds that run's totals and cost"},
	{"LOGS, METRIC POINTS", "second table: log records and metric data points the stand-in stored (read back from the collector's output) / the exporter delivered; - where the backend stores none in the lab (Jaeger; Datadog native logs go to stdout for the Agent to tail)"},
	{"LOG BYTES, METRIC BYTES", "payload bytes of that signal on the wire, after compression, by exporters.Stats"},
	{"SEEN AS", "service, env and version as read back from what the backend stored"},
}

func (m Machine) String() string {
	s := fmt.Sprintf("%s/%s, %d CPUs", m.OS, m.Arch, m.CPUs)
	if m.CPUModel != "" {
		s += " (" + m.CPUModel + ")"
	}
	if m.MemoryMB > 0 {
		s += fmt.Sprintf(", %.0f GB RAM", float64(m.MemoryMB)/1024)
	}
	s += ", " + m.GoVersion
	if m.LoadAvg != "" {
		s += ", load average " + m.LoadAvg + " at the start"
	}
	return s
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func lowerBound(d *Delivery) string {
	if d == nil || d.StoredExact {
		return ""
	}
	return "+"
}

// signalCell is stored/sent, or "-" where the stand-in stores none.
func signalCell(s SignalDelivery) string {
	if s.Stored < 0 {
		return "-/" + num(s.Sent)
	}
	return num(s.Stored) + "/" + num(s.Sent)
}

func num(n int64) string { return strconv.FormatInt(n, 10) }

// withCost renders a value and its change against the baseline.
func withCost(v string, change float64) string {
	return v + " " + fmtPercent(change)
}

// fmtPercent renders a ratio as a signed percentage: one decimal under
// 10%, none above.
func fmtPercent(x float64) string {
	p := 100 * x
	if math.Abs(p) < 9.95 {
		return fmt.Sprintf("%+.1f%%", p)
	}
	return fmt.Sprintf("%+.0f%%", p)
}

// fmtDuration renders d with three significant digits, "-" for 0.
func fmtDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/1e6)
	case d < 100*time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/1e6)
	case d < 10*time.Second:
		return fmt.Sprintf("%.0fms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}

// fmtBytes renders n in decimal units, "-" for 0.
func fmtBytes(n int64) string {
	switch {
	case n <= 0:
		return "-"
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1e6:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	case n < 1e9:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.2f GB", float64(n)/1e9)
}
