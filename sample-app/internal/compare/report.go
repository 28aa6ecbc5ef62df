package compare

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/otelswitch/otelswitch/sample-app/internal/load"
)

// Report is everything Run measured. It encodes as JSON (WriteJSON) with
// durations in nanoseconds.
type Report struct {
	Started  time.Time `json:"started"`
	Settings Settings  `json:"settings"`
	Machine  Machine   `json:"machine"`
	// Baseline ran with telemetry off (OTEL_SDK_DISABLED=true).
	Baseline Pass `json:"baseline"`
	// Alone holds one run per backend, in the order of Settings.Backends.
	Alone []Pass `json:"alone"`
	// FanOut ran every backend at once from one process; nil when fewer
	// than two backends could take part.
	FanOut *Pass `json:"fan_out,omitempty"`
	// Interrupted is set when the context ended before every run was done.
	Interrupted bool `json:"interrupted,omitempty"`
}

// Settings are the workload and environment every run shared.
type Settings struct {
	Backends    []string      `json:"backends"`
	Duration    time.Duration `json:"duration_ns"`
	Concurrency int           `json:"concurrency"`
	Seed        uint64        `json:"seed"`
	Mix         string        `json:"mix"`
	Environment string        `json:"environment"`
	Version     string        `json:"service_version"`
	RunID       string        `json:"run_id"`
	// Lab says whether the lab was started for this comparison or reused,
	// and where Jaeger's API is.
	Lab string `json:"lab"`
}

// Machine describes where the comparison ran: the lab's backends share it
// with the application, so its size matters for every number.
type Machine struct {
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	CPUs      int    `json:"cpus"`
	CPUModel  string `json:"cpu_model,omitempty"`
	MemoryMB  int64  `json:"memory_mb,omitempty"`
	GoVersion string `json:"go_version"`
	// LoadAvg is the 1, 5 and 15 minute load average when Run began:
	// anything else busy on the machine skews every number.
	LoadAvg string `json:"load_avg,omitempty"`
}

// Pass is one run of the workload.
type Pass struct {
	// Name is "off" for the baseline, the backend's name, or "fan-out".
	Name string `json:"name"`
	// Service is the service name the run's instance reported.
	Service string `json:"service"`
	// Backends is the run's TELEMETRY_BACKEND members, by Names.
	Backends []string `json:"backends,omitempty"`
	// SpansMade counts the spans the application ended, before any
	// backend saw them.
	SpansMade int64    `json:"spans_made"`
	Requests  Requests `json:"requests"`
	// Cost compares Requests with the baseline's; zero for the baseline.
	Cost       Cost       `json:"cost"`
	Deliveries []Delivery `json:"deliveries,omitempty"`
	// Err says why the run could not start or finish.
	Err string `json:"error,omitempty"`
}

// Requests summarizes what the load generator saw.
type Requests struct {
	Count  int           `json:"count"`
	Errors int           `json:"errors"`
	RPS    float64       `json:"rps"`
	P50    time.Duration `json:"p50_ns"`
	P90    time.Duration `json:"p90_ns"`
	P99    time.Duration `json:"p99_ns"`
	Max    time.Duration `json:"max_ns"`
	// CPU is the CPU time this process (the application, its telemetry and
	// the load generator, not the lab) spent per request.
	CPU time.Duration `json:"cpu_per_request_ns"`
}

func requestsOf(s load.Summary) Requests {
	return Requests{Count: s.Requests, Errors: s.Errors, RPS: s.RPS, P50: s.P50, P90: s.P90, P99: s.P99, Max: s.Max}
}

// Cost is a run's request latency, throughput and CPU per request relative
// to the baseline: 0.12 is 12% more (latency, CPU) or 12% more requests per
// second (throughput, so a cost shows as a negative number).
type Cost struct {
	P50        float64 `json:"p50"`
	P99        float64 `json:"p99"`
	Throughput float64 `json:"throughput"`
	CPU        float64 `json:"cpu_per_request"`
}

func costOf(r, base Requests) Cost {
	ratio := func(a, b float64) float64 {
		if b == 0 {
			return 0
		}
		return a/b - 1
	}
	return Cost{
		P50:        ratio(float64(r.P50), float64(base.P50)),
		P99:        ratio(float64(r.P99), float64(base.P99)),
		Throughput: ratio(r.RPS, base.RPS),
		CPU:        ratio(float64(r.CPU), float64(base.CPU)),
	}
}

// Status of a delivery.
const (
	StatusOK     = "ok"     // every span sent was stored, nothing lost
	StatusLossy  = "lossy"  // no export failed, but spans were dropped or not stored
	StatusFailed = "failed" // the backend did not start, an export failed, or nothing arrived
)

// Delivery is what one backend did with one run's spans.
type Delivery struct {
	Backend string `json:"backend"`
	Status  string `json:"status"`
	// Reason explains a status other than ok.
	Reason string `json:"reason,omitempty"`

	// From the sender (exporters.Stats).
	Sent          int64         `json:"spans_sent"`
	Dropped       int64         `json:"spans_dropped"`
	Queued        int64         `json:"spans_queued"`
	Exports       int64         `json:"exports"`
	FailedExports int64         `json:"failed_exports"`
	Bytes         int64         `json:"bytes_sent"`
	ExportP50     time.Duration `json:"export_latency_p50_ns"`
	ExportP99     time.Duration `json:"export_latency_p99_ns"`
	LastError     string        `json:"last_error,omitempty"`

	// From the backend.
	Stored int64 `json:"spans_stored"`
	// StoredExact is false when Stored is only a lower bound.
	StoredExact bool `json:"spans_stored_exact"`
	// StoredFrom says where Stored was counted.
	StoredFrom string `json:"stored_from"`
	// Seen is how the backend sees the service, read from what it stored.
	Seen Identity `json:"seen"`
	// StoreErr says why Stored could not be counted.
	StoreErr string `json:"store_error,omitempty"`
	// StartErr says why the run's instance could not start.
	StartErr string `json:"start_error,omitempty"`
	// Sampled is true when the path to the store samples (the gateway's
	// tail sampling): Stored below Sent is then what was kept, not a loss.
	Sampled bool `json:"sampled_downstream,omitempty"`

	// Logs counts log records, Metrics metric data points, the way the
	// fields above count spans.
	Logs    SignalDelivery `json:"logs"`
	Metrics SignalDelivery `json:"metrics"`
}

// SignalDelivery is what one backend did with one run's log records or
// metric data points.
type SignalDelivery struct {
	// Sent, Dropped and Bytes are the sender's (exporters.Stats).
	Sent    int64 `json:"sent"`
	Dropped int64 `json:"dropped"`
	Bytes   int64 `json:"bytes_sent"`
	// Stored is what the stand-in stored, read back from its output; -1
	// when the backend takes no such signal in the lab (Where says why).
	Stored int64 `json:"stored"`
	// Where says where the signal goes, or why it is not counted.
	Where string `json:"where,omitempty"`
}

// Identity is how a backend sees the service.
type Identity struct {
	Service string `json:"service"`
	Env     string `json:"env"`
	Version string `json:"version"`
	// From names the fields they were read from.
	From string `json:"from"`
}

func (id Identity) String() string {
	if id.Service == "" && id.Env == "" && id.Version == "" {
		return "-"
	}
	v := func(s string) string {
		if s == "" {
			return "(none)"
		}
		return s
	}
	return v(id.Service) + " · " + v(id.Env) + " · " + v(id.Version)
}

// judge sets Status and Reason from the counts, given how many spans the
// run made.
func (d *Delivery) judge(made int64) {
	d.Status, d.Reason = StatusOK, ""
	if !d.judgeSending(made) {
		d.judgeStored(made)
	}
	if d.Status != StatusFailed && !d.StoredExact {
		d.Reason = strings.TrimPrefix(d.Reason+"; stored is a lower bound", "; ")
	}
}

// judgeSending judges the start and the exports, and reports whether that
// settled the status.
func (d *Delivery) judgeSending(made int64) bool {
	switch {
	case d.StartErr != "":
		d.Status, d.Reason = StatusFailed, "did not start: "+d.StartErr
	case d.FailedExports > 0 && d.StoreErr == "" && made > 0 && d.Stored >= made:
		// An export that timed out on the sender's side after the backend
		// had taken it: nothing was lost.
		d.Reason = fmt.Sprintf("%d of %d exports reported failed (%s), yet every span made was stored: they arrived after the exporter gave up",
			d.FailedExports, d.Exports, cmp.Or(d.LastError, "the last export succeeded"))
	case d.FailedExports > 0:
		d.Status = StatusFailed
		d.Reason = fmt.Sprintf("%d of %d exports failed, %d spans dropped", d.FailedExports, d.Exports, d.Dropped)
		if d.LastError != "" {
			d.Reason += "; last error: " + d.LastError
		} else {
			d.Reason += "; the last export succeeded"
		}
	default:
		return false
	}
	return true
}

// judgeStored judges what was stored against what was made and sent.
func (d *Delivery) judgeStored(made int64) {
	switch {
	case d.StoreErr != "":
		d.Status, d.Reason = StatusFailed, "could not count what it stored: "+d.StoreErr
	case made > 0 && d.Stored == 0:
		d.Status, d.Reason = StatusFailed, fmt.Sprintf("stored nothing of %d spans made (%d sent)", made, d.Sent)
	case d.Dropped > 0 || d.Queued > 0:
		d.Status, d.Reason = StatusLossy, fmt.Sprintf("dropped %d spans, %d still queued at shutdown", d.Dropped, d.Queued)
	case d.Stored < d.Sent && d.Sampled:
		d.Reason = fmt.Sprintf("tail sampling kept %d of %d spans sent (%.0f%%); the rest were sampled out, not lost",
			d.Stored, d.Sent, 100*float64(d.Stored)/float64(d.Sent))
	case d.Stored < d.Sent:
		d.Status, d.Reason = StatusLossy, fmt.Sprintf("stored %d of %d spans sent", d.Stored, d.Sent)
	}
}

// worst returns the delivery with the worse status (failed, lossy, ok),
// a on a tie.
func worst(a, b *Delivery) *Delivery {
	rank := map[string]int{StatusOK: 0, StatusLossy: 1, StatusFailed: 2}
	if b != nil && (a == nil || rank[b.Status] > rank[a.Status]) {
		return b
	}
	return a
}

// delivery returns r's delivery for backend, or nil.
func (r *Pass) delivery(backend string) *Delivery {
	if r == nil {
		return nil
	}
	for i := range r.Deliveries {
		if r.Deliveries[i].Backend == backend {
			return &r.Deliveries[i]
		}
	}
	return nil
}

// alone returns the run of backend alone, or nil.
func (rep *Report) alone(backend string) *Pass {
	for i := range rep.Alone {
		if rep.Alone[i].Name == backend {
			return &rep.Alone[i]
		}
	}
	return nil
}

// thisMachine describes the machine, best effort.
func thisMachine() Machine {
	m := Machine{OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(), GoVersion: runtime.Version()}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			m.LoadAvg = strings.Join(f[:3], " ")
		}
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var kb int64
			if _, err := fmt.Sscanf(sc.Text(), "MemTotal: %d kB", &kb); err == nil {
				m.MemoryMB = kb / 1024
				break
			}
		}
		f.Close()
	}
	return m
}

// WriteJSON writes the report as indented JSON.
func (rep *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
