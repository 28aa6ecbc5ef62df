package lab

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Lab is a running backend lab. Addresses are host:port on 127.0.0.1 unless
// the field says URL. Fields are set by Start and must not be changed.
type Lab struct {
	// Jaeger v2 all-in-one, in-memory storage.
	JaegerOTLPGRPC string // OTLP/gRPC in
	JaegerOTLPHTTP string // OTLP/HTTP in (POST /v1/traces)
	JaegerUI       string // URL of the UI; the query API (/api/...) lives here too
	// JaegerSampling is the URL of Jaeger's remote sampling endpoint
	// (GET ?service=name), "" unless WithRemoteSampling.
	JaegerSampling string

	// Collector receivers; see Source for what each one checks and records.
	CollectorOTLPGRPC string // SourceOTLP: no auth (New Relic stand-in)
	CollectorOTLPHTTP string
	ElasticBearerGRPC string // SourceElasticBearer: Authorization: Bearer SecretToken
	ElasticBearerHTTP string
	ElasticAPIKeyGRPC string // SourceElasticAPIKey: Authorization: ApiKey APIKey
	ElasticAPIKeyHTTP string
	DatadogAgent      string // SourceDatadog: dd-trace-go's agent address (/info, /v0.4/traces)
	DogStatsD         string // SourceStatsd: the Agent's DogStatsD, UDP (dd-trace-go's runtime metrics)

	// Credentials the Elastic receivers accept: random per Start unless set
	// with WithSecretToken or WithAPIKey.
	SecretToken string
	APIKey      string

	// Dir holds the rendered configs (jaeger.yaml, otelcol.yaml), the
	// processes' logs (jaeger.log, otelcol.log) and the collector's output
	// (collector/<source>.jsonl).
	Dir string

	ports      portSet
	removeDir  bool
	jaeger     *process
	collector  *process
	datadog    *datadogProxy // DatadogAgent: serialises posts to the receiver
	httpClient *http.Client

	closeOnce sync.Once
	closeErr  error
}

// Start builds the configs, starts Jaeger and then the collector from the
// bin directory, and returns once both report healthy. ctx bounds only the
// start; the lab runs until Close. On any failure Start stops whatever it
// had started and returns an error that names the failing process and ends
// with its log's tail. A taken port gives an error wrapping ErrPortInUse
// that names the port; missing binaries give ErrNotBuilt.
func Start(ctx context.Context, opts ...Option) (*Lab, error) {
	c := newConfig(opts)
	dir, err := binDir(c.binDir)
	if err != nil {
		return nil, err
	}
	jaegerBin, err := binaryPath(dir, jaegerBinary)
	if err != nil {
		return nil, err
	}
	collectorBin, err := binaryPath(dir, collectorBinary)
	if err != nil {
		return nil, err
	}
	if c.secretToken == "" {
		c.secretToken = randomToken()
	}
	if c.apiKey == "" {
		c.apiKey = randomToken()
	}
	ctx, cancel := context.WithTimeout(ctx, c.startTimeout)
	defer cancel()

	// Ephemeral ports are checked free and then released, so another
	// process can take one before a child binds it: try again with new ones.
	const attempts = 3
	for attempt := 1; ; attempt++ {
		l, err := start(ctx, c, jaegerBin, collectorBin)
		if err == nil || c.fixedPorts || c.ports != nil || attempt == attempts ||
			!errors.Is(err, errBindRace) || ctx.Err() != nil {
			return l, err
		}
	}
}

// errBindRace marks a start that failed because a child could not bind a
// port that was free a moment earlier.
var errBindRace = errors.New("address already in use")

func start(ctx context.Context, c config, jaegerBin, collectorBin string) (_ *Lab, err error) {
	var p portSet
	switch {
	case c.ports != nil:
		p = *c.ports
	case c.fixedPorts:
		p = fixedPorts()
	default:
		if p, err = freePorts(); err != nil {
			return nil, err
		}
	}
	if err := checkPorts(p); err != nil {
		return nil, err
	}

	l := newLab(p, c)
	if l.Dir == "" {
		if l.Dir, err = os.MkdirTemp("", "otelswitch-lab-"); err != nil {
			return nil, fmt.Errorf("lab: %w", err)
		}
		l.removeDir = true
	} else if err := os.MkdirAll(l.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, l.Close())
		}
	}()

	if err := l.startProcesses(ctx, c, jaegerBin, collectorBin); err != nil {
		return nil, err
	}
	if l.datadog, err = startDatadogProxy(p.addr(portDatadog), p.addr(portDatadogReceiver)); err != nil {
		return nil, err
	}
	return l, nil
}

// startProcesses writes the configs, then starts Jaeger and the collector
// in turn, each once the one before is healthy.
func (l *Lab) startProcesses(ctx context.Context, c config, jaegerBin, collectorBin string) error {
	jaegerCfg, collectorCfg, err := writeConfigs(l.Dir, l.ports, c)
	if err != nil {
		return err
	}
	// Children get a minimal environment so the developer's OTEL_* or DD_*
	// variables cannot change how the lab behaves.
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + os.TempDir()}

	l.jaeger, err = startProcess("jaeger", jaegerBin, []string{"--config", jaegerCfg},
		env, filepath.Join(l.Dir, "jaeger.log"))
	if err != nil {
		return err
	}
	if err := l.waitHealthy(ctx, l.jaeger, "http://"+l.ports.addr(portJaegerHealth)+"/status"); err != nil {
		return err
	}
	l.collector, err = startProcess("otelcol", collectorBin,
		[]string{"--config", collectorCfg, "--feature-gates=" + featureGates(c)},
		append(env, envCollectorSecretToken+"="+c.secretToken, envCollectorAPIKey+"="+c.apiKey),
		filepath.Join(l.Dir, "otelcol.log"))
	if err != nil {
		return err
	}
	return l.waitHealthy(ctx, l.collector, "http://"+l.ports.addr(portCollectorHealth)+"/")
}

// newLab describes a lab on ports p, as Start and Attach both need it.
func newLab(p portSet, c config) *Lab {
	return &Lab{
		JaegerOTLPGRPC:    p.addr(portJaegerOTLPGRPC),
		JaegerOTLPHTTP:    p.addr(portJaegerOTLPHTTP),
		JaegerUI:          "http://" + p.addr(portJaegerUI),
		CollectorOTLPGRPC: p.addr(portCollectorOTLPGRPC),
		CollectorOTLPHTTP: p.addr(portCollectorOTLPHTTP),
		ElasticBearerGRPC: p.addr(portElasticBearerGRPC),
		ElasticBearerHTTP: p.addr(portElasticBearerHTTP),
		ElasticAPIKeyGRPC: p.addr(portElasticAPIKeyGRPC),
		ElasticAPIKeyHTTP: p.addr(portElasticAPIKeyHTTP),
		DatadogAgent:      p.addr(portDatadog),
		JaegerSampling:    samplingURL(p, c),
		DogStatsD:         p.addr(portDogStatsD),
		SecretToken:       c.secretToken,
		APIKey:            c.apiKey,
		Dir:               c.dir,
		ports:             p,
		httpClient:        &http.Client{Timeout: 10 * time.Second},
	}
}

// waitHealthy polls url until it answers 200, p exits or ctx ends.
func (l *Lab) waitHealthy(ctx context.Context, p *process, url string) error {
	return waitHealthy(ctx, l.httpClient, p, url)
}

func waitHealthy(ctx context.Context, client *http.Client, p *process, url string) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		if done, why := p.exited(); done {
			return startError(p, fmt.Errorf("%s exited (%v) before becoming healthy", p.name, why))
		}
		if last = probe(ctx, client, url); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return startError(p, fmt.Errorf("%s not healthy at %s: %w (last probe: %v)", p.name, url, ctx.Err(), last))
		case <-tick.C:
		}
	}
}

func probe(ctx context.Context, c *http.Client, url string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %s", resp.Status)
	}
	return nil
}

// startError adds the tail of p's log and marks bind races for a retry.
func startError(p *process, err error) error {
	tail := p.logTail(20)
	if strings.Contains(tail, errBindRace.Error()) {
		err = fmt.Errorf("%w (%w)", err, errBindRace)
	}
	return fmt.Errorf("lab: %w\n--- last lines of %s ---\n%s", err, p.logPath, tail)
}

// Close stops the collector, then Jaeger (so the collector can still flush
// to it), each by SIGTERM and then SIGKILL to its whole process group, and
// removes the lab directory unless it came from WithDir. It is safe to call
// more than once; later calls return the first call's result.
func (l *Lab) Close() error {
	l.closeOnce.Do(func() {
		var errs []error
		if l.datadog != nil {
			errs = append(errs, l.datadog.close())
		}
		for _, p := range []*process{l.collector, l.jaeger} {
			if p != nil {
				errs = append(errs, p.stop())
			}
		}
		if l.removeDir {
			errs = append(errs, os.RemoveAll(l.Dir))
		}
		l.closeErr = errors.Join(errs...)
	})
	return l.closeErr
}

// Wait blocks until ctx ends, returning nil, or until Jaeger or the
// collector exits on its own, returning an error with the tail of its log.
func (l *Lab) Wait(ctx context.Context) error {
	if l.jaeger == nil || l.collector == nil {
		return errors.New("lab: Wait needs a lab this process started, not one from Attach")
	}
	select {
	case <-ctx.Done():
		return nil
	case <-l.jaeger.done:
		return l.exitError(l.jaeger)
	case <-l.collector.done:
		return l.exitError(l.collector)
	}
}

func (l *Lab) exitError(p *process) error {
	_, why := p.exited()
	return fmt.Errorf("lab: %s exited (%v)\n--- last lines of %s ---\n%s", p.name, why, p.logPath, p.logTail(20))
}

// CollectorFile returns the file the collector's src pipeline writes OTLP
// JSON lines to (traces, metrics and logs, one export request per line).
func (l *Lab) CollectorFile(src Source) string {
	return collectorFile(l.Dir, src)
}

// Logs returns about the last n lines of each process's log, for test
// failure messages.
func (l *Lab) Logs(n int) string {
	var b strings.Builder
	for _, p := range []*process{l.jaeger, l.collector} {
		if p != nil {
			fmt.Fprintf(&b, "--- %s ---\n%s\n", p.logPath, p.logTail(n))
		}
	}
	return b.String()
}

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand documents it)
	return hex.EncodeToString(b)
}

// featureGates are the collector's: the Datadog receiver keeps 128-bit
// trace IDs, and with WithDatadogExporter the exporter computes APM stats
// (its DisableAPMStats gate is on by default in this release).
func featureGates(c config) string {
	if c.datadogIntake != "" {
		return datadogGate + ",-" + datadogStatsGate
	}
	return datadogGate
}

// samplingURL is where Jaeger serves remote sampling strategies over HTTP.
func samplingURL(p portSet, c config) string {
	if c.strategies == "" {
		return ""
	}
	return "http://" + p.addr(portJaegerSamplingHTTP) + "/sampling"
}
