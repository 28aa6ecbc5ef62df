package lab

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	pb "github.com/DataDog/datadog-agent/pkg/proto/pbgo/trace"
	"github.com/klauspost/compress/zstd"
	"google.golang.org/protobuf/proto"
)

// DatadogIntake stands in for Datadog's backend: the URL that the
// collector's datadog exporter (WithDatadogExporter) sends to. It decodes
// what Datadog's trace intake would receive, with datadog-agent's own
// payload types: traces (POST /api/v0.2/traces, an AgentPayload in
// protobuf or msgpack) and APM stats (POST /api/v0.2/stats, a StatsPayload
// in msgpack), each gzip or zstd compressed as Content-Encoding says. The
// API key is answered as valid; every other post (usage metrics, series)
// is accepted and only counted.
type DatadogIntake struct {
	URL string

	srv  *http.Server
	done chan struct{}

	mu     sync.Mutex
	traces []*pb.AgentPayload
	stats  []*pb.StatsPayload
	keys   map[string]bool // DD-API-KEY headers seen
	other  map[string]int  // path -> posts accepted without decoding
	errs   []error
}

// NewDatadogIntake serves an intake on a free port of 127.0.0.1 until
// Close.
func NewDatadogIntake() (*DatadogIntake, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("lab: Datadog intake: %w", err)
	}
	d := &DatadogIntake{
		URL:   "http://" + ln.Addr().String(),
		done:  make(chan struct{}),
		keys:  map[string]bool{},
		other: map[string]int{},
	}
	d.srv = &http.Server{Handler: http.HandlerFunc(d.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(d.done)
		_ = d.srv.Serve(ln) // ErrServerClosed after Close
	}()
	return d, nil
}

// Close stops the intake.
func (d *DatadogIntake) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := d.srv.Shutdown(ctx)
	<-d.done
	return err
}

func (d *DatadogIntake) serve(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	if k := r.Header.Get("DD-API-KEY"); k != "" {
		d.keys[k] = true
	}
	d.mu.Unlock()
	if r.URL.Path == "/api/v1/validate" {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"valid":true}`)
		return
	}
	err := d.decode(r)
	d.mu.Lock()
	if err != nil {
		d.errs = append(d.errs, fmt.Errorf("%s: %w", r.URL.Path, err))
	}
	d.mu.Unlock()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, "{}")
}

// decode stores one post's payload.
func (d *DatadogIntake) decode(r *http.Request) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	switch r.URL.Path {
	case "/api/v0.2/traces":
		p := &pb.AgentPayload{}
		if strings.Contains(r.Header.Get("Content-Type"), "msgpack") {
			_, err = p.UnmarshalMsg(body)
		} else {
			err = proto.Unmarshal(body, p)
		}
		if err != nil {
			return fmt.Errorf("decoding AgentPayload: %w", err)
		}
		d.mu.Lock()
		d.traces = append(d.traces, p)
		d.mu.Unlock()
	case "/api/v0.2/stats":
		p := &pb.StatsPayload{}
		if _, err := p.UnmarshalMsg(body); err != nil {
			return fmt.Errorf("decoding StatsPayload: %w", err)
		}
		d.mu.Lock()
		d.stats = append(d.stats, p)
		d.mu.Unlock()
	default:
		d.mu.Lock()
		d.other[r.URL.Path]++
		d.mu.Unlock()
	}
	return nil
}

// readBody reads r's body, decompressed as its Content-Encoding says.
func readBody(r *http.Request) ([]byte, error) {
	var rd io.Reader = r.Body
	switch enc := r.Header.Get("Content-Encoding"); enc {
	case "", "identity":
	case "gzip", "deflate": // the trace writer labels its gzip "gzip"
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return nil, fmt.Errorf("gzip body: %w", err)
		}
		defer zr.Close()
		rd = zr
	case "zstd":
		zr, err := zstd.NewReader(r.Body)
		if err != nil {
			return nil, fmt.Errorf("zstd body: %w", err)
		}
		defer zr.Close()
		rd = zr
	default:
		return nil, fmt.Errorf("unknown Content-Encoding %q", enc)
	}
	b, err := io.ReadAll(rd)
	if err != nil {
		return nil, fmt.Errorf("reading body: %w", err)
	}
	return b, nil
}

// DatadogSpan is one span as Datadog's intake received it, with what its
// payload says about it.
type DatadogSpan struct {
	*pb.Span
	Hostname   string // AgentPayload.HostName
	Env        string // TracerPayload.Env, else AgentPayload.Env
	AppVersion string // TracerPayload.AppVersion
	Priority   int32  // the chunk's sampling priority
	Origin     string // the chunk's origin
	ChunkTags  map[string]string
}

// TraceIDHex is the span's 128-bit trace ID in hex: the upper 64 bits from
// _dd.p.tid, the lower from TraceID.
func (s DatadogSpan) TraceIDHex() string {
	return fmt.Sprintf("%016s%016x", s.Meta["_dd.p.tid"], s.TraceID)
}

// Spans returns every span received so far, in arrival order.
func (d *DatadogIntake) Spans() []DatadogSpan {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []DatadogSpan
	for _, ap := range d.traces {
		for _, tp := range ap.TracerPayloads {
			env := tp.Env
			if env == "" {
				env = ap.Env
			}
			for _, c := range tp.Chunks {
				for _, s := range c.Spans {
					out = append(out, DatadogSpan{Span: s, Hostname: ap.HostName, Env: env, AppVersion: tp.AppVersion,
						Priority: c.Priority, Origin: c.Origin, ChunkTags: c.Tags})
				}
			}
		}
	}
	return out
}

// DatadogStats is one APM stats group (the counts for one service,
// operation, resource, ... in one time bucket) with its payload's fields.
type DatadogStats struct {
	*pb.ClientGroupedStats
	Hostname string // ClientStatsPayload.Hostname
	Env      string
	Version  string
	Start    time.Time // the bucket's
}

// Stats returns every APM stats group received so far.
func (d *DatadogIntake) Stats() []DatadogStats {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []DatadogStats
	for _, sp := range d.stats {
		for _, cs := range sp.Stats {
			for _, b := range cs.Stats {
				for _, g := range b.Stats {
					out = append(out, DatadogStats{ClientGroupedStats: g, Hostname: cs.Hostname, Env: cs.Env,
						Version: cs.Version, Start: time.Unix(0, int64(b.Start))})
				}
			}
		}
	}
	return out
}

// APIKeys returns the DD-API-KEY headers seen.
func (d *DatadogIntake) APIKeys() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for k := range d.keys {
		out = append(out, k)
	}
	return out
}

// Err reports the posts that could not be decoded.
func (d *DatadogIntake) Err() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return errors.Join(d.errs...)
}

// WaitForSpans polls Spans until at least n satisfy match (nil matches
// all) and returns the matching ones; see WaitFor for the deadline. A post
// that could not be decoded is reported as the wait's error.
func (d *DatadogIntake) WaitForSpans(ctx context.Context, n int, match func(DatadogSpan) bool) ([]DatadogSpan, error) {
	return waitMatching(ctx, "spans", "the Datadog intake", n, fetchChecked(d, d.Spans), match)
}

// WaitForStats polls Stats until at least n groups satisfy match (nil
// matches all) and returns the matching ones. The exporter sends a stats
// bucket once it has closed: about 10 to 20 seconds after the spans.
func (d *DatadogIntake) WaitForStats(ctx context.Context, n int, match func(DatadogStats) bool) ([]DatadogStats, error) {
	return waitMatching(ctx, "stats groups", "the Datadog intake", n, fetchChecked(d, d.Stats), match)
}

// fetchChecked returns all's items, or the error of a post that could not
// be decoded.
func fetchChecked[T any](d *DatadogIntake, all func() []T) func(context.Context) ([]T, error) {
	return func(context.Context) ([]T, error) {
		if err := d.Err(); err != nil {
			return nil, err
		}
		return all(), nil
	}
}
