package datadog

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// rampUpInterval is dd-trace-go's: an Agent rate rises at most twofold
// once per interval.
const rampUpInterval = time.Second

// maxRatesBody bounds what is read of the Agent's answer to a trace
// payload: {"rate_by_service": {...}}, one entry per service and env.
const maxRatesBody = 1 << 20

// serviceEnv keys the Agent's rates, as "service:<name>,env:<env>".
type serviceEnv struct{ service, env string }

// agentRates is dd-trace-go's priority sampler: the rates by service and
// env the Agent returns with every trace payload it accepts, for traces no
// rule and no DD_TRACE_SAMPLE_RATE decide. Until the Agent answers, every
// trace is kept (rate 1).
type agentRates struct {
	mu         sync.RWMutex
	rates      map[serviceEnv]float64
	def        float64
	lastCapped time.Time
}

func newAgentRates() *agentRates { return &agentRates{def: 1} }

// rate returns the Agent's rate for a root of service in env.
func (a *agentRates) rate(service, env string) float64 {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if r, ok := a.rates[serviceEnv{service, env}]; ok {
		return r
	}
	return a.def
}

// read takes the rates from an Agent's answer as dd-trace-go's
// readRatesJSON does: a rate that rises is at most doubled, once per
// rampUpInterval (an Agent that restarts answers 1 for everything), one
// that falls applies at once, and the "service:,env:" entry becomes the
// default.
func (a *agentRates) read(body []byte, now time.Time) error {
	var payload struct {
		Rates map[string]float64 `json:"rate_by_service"`
	}
	if err := json.Unmarshal(body, &payload); err != nil {
		return err
	}
	rates := make(map[serviceEnv]float64, len(payload.Rates))
	for k, v := range payload.Rates {
		rates[parseServiceEnv(k)] = v
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	canIncrease := a.lastCapped.IsZero() || now.Sub(a.lastCapped) >= rampUpInterval
	capped := false
	for key, newRate := range rates {
		oldRate, ok := a.rates[key]
		if !ok {
			oldRate = a.def
		}
		r, c := cappedRate(oldRate, newRate, canIncrease)
		capped = capped || c
		rates[key] = r
	}
	if canIncrease && capped {
		a.lastCapped = now
	}
	a.rates = rates
	if v, ok := rates[serviceEnv{}]; ok {
		a.def = v
		delete(a.rates, serviceEnv{})
	}
	return nil
}

// parseServiceEnv reads "service:<name>,env:<env>"; anything else is the
// default key, as in dd-trace-go.
func parseServiceEnv(s string) serviceEnv {
	var k serviceEnv
	if after, ok := strings.CutPrefix(s, "service:"); ok {
		if svc, env, ok := strings.Cut(after, ",env:"); ok {
			k = serviceEnv{svc, env}
		}
	}
	return k
}

// cappedRate is dd-trace-go's: a rise is at most twofold, and held while
// canIncrease is false; a fall, or a rise from 0, applies at once.
func cappedRate(oldRate, newRate float64, canIncrease bool) (float64, bool) {
	if newRate <= oldRate || oldRate == 0 {
		return newRate, false
	}
	if !canIncrease {
		return oldRate, false
	}
	return min(oldRate*2, newRate), true
}

// ratesTransport hands the Agent's answer to every accepted trace payload
// to the sampler, as dd-trace-go's writer hands it to its priority sampler,
// and passes it on unchanged.
type ratesTransport struct {
	next  http.RoundTripper
	rates *agentRates
}

func (t ratesTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if err != nil || r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/traces") ||
		resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp, err
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxRatesBody))
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if rerr == nil {
		// A body that is not the rates leaves them as they were, as in
		// dd-trace-go (which counts a decode error and goes on).
		_ = t.rates.read(body, time.Now())
	}
	return resp, nil
}

// withAgentRates makes c feed the Agent's rates to s; a nil s (the
// OpenTelemetry sampler decides) changes nothing.
func withAgentRates(c *http.Client, s *Sampler) *http.Client {
	if s != nil {
		c.Transport = ratesTransport{next: c.Transport, rates: s.agent}
	}
	return c
}
