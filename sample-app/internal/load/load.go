package load

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for Config's zero values.
const (
	DefaultConcurrency      = 8
	DefaultSeed             = 1
	DefaultIOMillis         = 20
	DefaultCPURounds        = 20_000
	DefaultProgressInterval = time.Second
	DefaultTimeout          = 30 * time.Second
)

// Config bounds and shapes a run. URL and at least one of Duration and
// Requests are required.
type Config struct {
	URL         string        // base URL of the service, e.g. http://localhost:8080
	Duration    time.Duration // stop starting requests after this long; 0: no limit
	Requests    int           // stop after this many requests; 0: no limit
	Concurrency int           // workers sending at once; 0: DefaultConcurrency
	Seed        uint64        // picks the sequence of requests; 0: DefaultSeed
	Mix         Mix           // nil: DefaultMix
	IOMillis    int           // how long /io_task sleeps; 0: DefaultIOMillis
	CPURounds   int           // how hard /cpu_task works; 0: DefaultCPURounds
	// Client sends the requests; nil: a plain client with DefaultTimeout and
	// a connection per worker. It is not traced: the service's spans start at
	// its server.
	Client *http.Client
	// Progress receives a progress line, rewritten with \r every
	// ProgressInterval (0: DefaultProgressInterval); nil: none.
	Progress         io.Writer
	ProgressInterval time.Duration
}

// Result is what a run measured.
type Result struct {
	Config  Config // with defaults filled in
	Started time.Time
	Elapsed time.Duration
	// Samples holds every finished request in completion order. Requests
	// cut off by the caller's context are not in it.
	Samples []Sample
}

// Summary summarizes every sample.
func (r Result) Summary() Summary { return Summarize(r.Samples, r.Elapsed) }

// ByOp summarizes the samples of each op in the run.
func (r Result) ByOp() map[Op]Summary {
	groups := map[Op][]Sample{}
	for _, s := range r.Samples {
		groups[s.Op] = append(groups[s.Op], s)
	}
	out := make(map[Op]Summary, len(groups))
	for op, ss := range groups {
		out[op] = Summarize(ss, r.Elapsed)
	}
	return out
}

func (c Config) withDefaults() (Config, error) {
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Seed == 0 {
		c.Seed = DefaultSeed
	}
	if c.Mix == nil {
		c.Mix = DefaultMix
	}
	if c.IOMillis == 0 {
		c.IOMillis = DefaultIOMillis
	}
	if c.CPURounds == 0 {
		c.CPURounds = DefaultCPURounds
	}
	if c.ProgressInterval <= 0 {
		c.ProgressInterval = DefaultProgressInterval
	}
	if c.Client == nil {
		c.Client = &http.Client{Timeout: DefaultTimeout, Transport: &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			MaxIdleConns:        c.Concurrency,
			MaxIdleConnsPerHost: c.Concurrency,
			IdleConnTimeout:     90 * time.Second,
		}}
	}
	var errs []error
	u, err := url.Parse(c.URL)
	if c.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("url %q: want the service's base URL, such as http://localhost:8080", c.URL))
	} else {
		c.URL = strings.TrimRight(c.URL, "/")
	}
	if c.Duration <= 0 && c.Requests <= 0 {
		errs = append(errs, errors.New("no bound: set a duration, a request count, or both"))
	}
	if c.Duration < 0 || c.Requests < 0 {
		errs = append(errs, errors.New("duration and requests must not be negative"))
	}
	if c.Concurrency < 1 {
		errs = append(errs, fmt.Errorf("concurrency %d: want 1 or more", c.Concurrency))
	}
	if err := c.Mix.validate(); err != nil {
		errs = append(errs, err)
	}
	if c.IOMillis < 0 || c.CPURounds < 0 {
		errs = append(errs, errors.New("io and cpu task sizes must not be negative"))
	}
	return c, errors.Join(errs...)
}

// Run sends requests until a bound in cfg is reached or ctx ends, and returns
// what it measured. Requests in flight when the duration runs out are allowed
// to finish; those in flight when ctx ends are abandoned and not counted. Run
// fails only on a bad Config or when the service cannot be reached at all.
func Run(ctx context.Context, cfg Config) (Result, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return Result{}, fmt.Errorf("load: %w", err)
	}
	r := &runner{cfg: cfg, total: cfg.Mix.total()}
	if err := r.primeIDs(ctx); err != nil {
		return Result{}, err
	}

	r.start = time.Now()
	if cfg.Duration > 0 {
		r.deadline = r.start.Add(cfg.Duration)
	}
	stopProgress := r.progress()
	var wg sync.WaitGroup
	for range cfg.Concurrency {
		wg.Go(func() { r.work(ctx) })
	}
	wg.Wait()
	elapsed := time.Since(r.start)
	stopProgress()
	return Result{Config: cfg, Started: r.start, Elapsed: elapsed, Samples: r.samples}, nil
}

type runner struct {
	cfg      Config
	total    int
	start    time.Time
	deadline time.Time
	next     atomic.Int64

	mu      sync.Mutex
	samples []Sample
	ids     []int64 // books known to exist
}

// primeIDs learns existing books so reads have targets from the start, and
// proves the service answers.
func (r *runner) primeIDs(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.cfg.URL+"/books?page_size=100", nil)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	resp, err := r.cfg.Client.Do(req)
	if err != nil {
		return fmt.Errorf("load: cannot reach %s: %w", r.cfg.URL, err)
	}
	defer resp.Body.Close()
	var page struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	if resp.StatusCode == http.StatusOK && json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&page) == nil {
		for _, b := range page.Items {
			r.ids = append(r.ids, b.ID)
		}
	}
	return nil
}

func (r *runner) work(ctx context.Context) {
	for ctx.Err() == nil {
		if !r.deadline.IsZero() && !time.Now().Before(r.deadline) {
			return
		}
		i := r.next.Add(1) - 1
		if r.cfg.Requests > 0 && i >= int64(r.cfg.Requests) {
			return
		}
		s, ok := r.do(ctx, i)
		if !ok {
			return // ctx ended mid-request
		}
		r.mu.Lock()
		r.samples = append(r.samples, s)
		r.mu.Unlock()
	}
}

// do sends request number i: the same op for the same seed and i.
func (r *runner) do(ctx context.Context, i int64) (Sample, bool) {
	rng := rand.New(rand.NewPCG(r.cfg.Seed, uint64(i)))
	op := r.cfg.Mix.pick(rng.IntN(r.total))
	method, path, body := http.MethodGet, "", ""
	switch op {
	case OpGet, OpUpdate, OpDelete:
		id, ok := r.pickID(rng, op == OpDelete)
		if !ok {
			op = OpCreate // nothing to read yet
			break
		}
		path = "/books/" + strconv.FormatInt(id, 10)
		switch op {
		case OpUpdate:
			method, body = http.MethodPut, bookJSON(i, rng)
		case OpDelete:
			method = http.MethodDelete
		}
	case OpList:
		path = fmt.Sprintf("/books?page=%d&page_size=20", 1+rng.IntN(3))
	case OpIO:
		path = fmt.Sprintf("/io_task?ms=%d", r.cfg.IOMillis)
	case OpCPU:
		path = fmt.Sprintf("/cpu_task?n=%d", r.cfg.CPURounds)
	case OpChain:
		path = "/chain"
	case OpHealth:
		path = "/health"
	case OpError:
		path = "/error"
	}
	if op == OpCreate {
		method, path, body = http.MethodPost, "/books", bookJSON(i, rng)
	}

	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.cfg.URL+path, rd)
	if err != nil {
		return Sample{Op: op, Err: err.Error()}, true
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("X-Request-ID", fmt.Sprintf("load-%d-%d", r.cfg.Seed, i))
	start := time.Now()
	resp, err := r.cfg.Client.Do(req)
	var respBody []byte
	if err == nil {
		respBody, err = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
	}
	s := Sample{Op: op, Start: start.Sub(r.start), Latency: time.Since(start)}
	if ctx.Err() != nil {
		return s, false
	}
	if err != nil {
		s.Err = err.Error()
		return s, true
	}
	s.Status = resp.StatusCode
	if op == OpCreate && resp.StatusCode == http.StatusCreated {
		var b struct {
			ID int64 `json:"id"`
		}
		if json.Unmarshal(respBody, &b) == nil && b.ID > 0 {
			r.mu.Lock()
			r.ids = append(r.ids, b.ID)
			r.mu.Unlock()
		}
	}
	return s, true
}

func (r *runner) pickID(rng *rand.Rand, remove bool) (int64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.ids) == 0 {
		return 0, false
	}
	k := rng.IntN(len(r.ids))
	id := r.ids[k]
	if remove {
		r.ids = slices.Delete(r.ids, k, k+1)
	}
	return id, true
}

func bookJSON(i int64, rng *rand.Rand) string {
	b, _ := json.Marshal(map[string]any{
		"title":  fmt.Sprintf("Load test book %d", i),
		"author": []string{"Ursula K. Le Guin", "Octavia E. Butler", "Italo Calvino", "Chinua Achebe"}[rng.IntN(4)],
		"year":   1900 + rng.IntN(125),
	})
	return string(b)
}

// progress rewrites a status line every interval until the returned func is
// called, which prints the last one and ends the line.
func (r *runner) progress() (stop func()) {
	w := r.cfg.Progress
	if w == nil {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(r.cfg.ProgressInterval)
		defer t.Stop()
		seen := 0
		for {
			select {
			case <-t.C:
				seen = r.printProgress(w, seen)
			case <-done:
				r.printProgress(w, seen)
				fmt.Fprintln(w)
				return
			}
		}
	}()
	return func() { close(done); <-finished }
}

// printProgress writes one line: totals so far and the p99 of the requests
// finished since the previous line.
func (r *runner) printProgress(w io.Writer, seen int) int {
	r.mu.Lock()
	n := len(r.samples)
	recent := make([]time.Duration, 0, n-seen)
	errs := 0
	for i, s := range r.samples {
		if s.Failed() {
			errs++
		}
		if i >= seen {
			recent = append(recent, s.Latency)
		}
	}
	r.mu.Unlock()
	slices.Sort(recent)
	elapsed := time.Since(r.start)
	bound := ""
	if r.cfg.Duration > 0 {
		bound = "/" + r.cfg.Duration.String()
	}
	if r.cfg.Requests > 0 {
		bound += fmt.Sprintf(" %d/%d req", n, r.cfg.Requests)
	} else {
		bound += fmt.Sprintf(" %d req", n)
	}
	var line bytes.Buffer
	fmt.Fprintf(&line, "\r%6.1fs%s  %d errors  %.0f req/s  p99 %s (last interval)   ",
		elapsed.Seconds(), bound, errs, float64(n)/elapsed.Seconds(), round(Percentile(recent, 99)))
	w.Write(line.Bytes())
	return n
}
