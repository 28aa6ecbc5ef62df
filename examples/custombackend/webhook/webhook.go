// Package webhook is a backend written outside otelswitch: it posts each
// batch of spans as JSON to WEBHOOK_URL with WEBHOOK_TOKEN as a bearer
// token. It uses only otelswitch's public packages (exporters, secret), as
// any module of yours can.
package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/secret"
)

// Name is the name to register the backend under and to put in
// TELEMETRY_BACKEND.
const Name = "webhook"

// The variables the backend reads.
const (
	envURL   = "WEBHOOK_URL"
	envToken = "WEBHOOK_TOKEN"
)

// Config is the backend's resolved configuration. The token is a
// secret.String, so the configuration prints, logs and encodes as it is
// (in tel.Config(), the startup log and `otelswitch doctor`) with the token
// redacted.
type Config struct {
	URL   string        `json:"url"`
	Token secret.String `json:"token"`
}

// ConfigFromEnv reads and validates the variables, reporting every problem
// at once, each naming its variable.
func ConfigFromEnv(lookup func(string) (string, bool)) (Config, error) {
	var c Config
	c.URL, _ = lookup(envURL)
	token, _ := lookup(envToken)
	c.Token = secret.String(token)
	var errs []error
	if u, err := url.Parse(c.URL); c.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("%s=%q: want an http or https URL, such as https://hooks.example.com/spans", envURL, c.URL))
	}
	if token == "" {
		errs = append(errs, fmt.Errorf("%s is not set; the webhook needs its bearer token", envToken))
	}
	return c, errors.Join(errs...)
}

// Factory builds the backend; register it with an exporters.Registry.
type Factory struct{}

var _ exporters.Factory = Factory{}

// Spec returns the zero configuration.
func (Factory) Spec() any { return &Config{} }

// Detect reports whether WEBHOOK_URL is set, so staging and production pick
// this backend when TELEMETRY_BACKEND is unset and no other vendor's
// credentials are.
func (f Factory) Detect(lookup func(string) (string, bool)) bool {
	return exporters.AnySet(lookup, f.DetectVars()...)
}

// DetectVars implements exporters.DetectingFactory: the error that asks
// for a backend in staging and production then names WEBHOOK_URL too.
func (Factory) DetectVars() []string { return []string{envURL} }

// New reads the configuration and builds the backend. It does not touch
// the network: the first batch does.
func (Factory) New(_ context.Context, s exporters.Settings) (*exporters.Backend, error) {
	c, err := ConfigFromEnv(s.Lookup)
	if err != nil {
		return nil, err
	}
	counters := exporters.NewCounters(Name)
	exp := &exporter{cfg: c, client: &http.Client{Timeout: s.ExportTimeout}}
	u, _ := url.Parse(c.URL)
	return &exporters.Backend{
		Name:   Name,
		Config: c,
		// The library's batch processor: bounded queue, drops counted,
		// failures logged once, flushed by tel.Shutdown.
		SpanProcessor: exporters.NewBatchProcessor(exp, s.SpanBatchOptions(counters)...),
		Stats:         counters,
		Endpoints: []exporters.Endpoint{{
			Signal: exporters.EndpointTraces, URL: u.Redacted(), Protocol: "json over http",
			Plaintext: u.Scheme == "http", Variable: envURL,
			Auth: "Authorization: Bearer", CredentialVar: envToken,
		}},
	}, nil
}

// span is what the webhook receives for each span.
type span struct {
	TraceID string `json:"trace_id"`
	SpanID  string `json:"span_id"`
	Name    string `json:"name"`
	Service string `json:"service"`
	StartNS int64  `json:"start_ns"`
	EndNS   int64  `json:"end_ns"`
}

type exporter struct {
	cfg    Config
	client *http.Client
}

func (e *exporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	out := make([]span, 0, len(spans))
	for _, s := range spans {
		service := ""
		for _, kv := range s.Resource().Attributes() {
			if kv.Key == "service.name" {
				service = kv.Value.AsString()
			}
		}
		out = append(out, span{
			TraceID: s.SpanContext().TraceID().String(), SpanID: s.SpanContext().SpanID().String(),
			Name: s.Name(), Service: service, StartNS: s.StartTime().UnixNano(), EndNS: s.EndTime().UnixNano(),
		})
	}
	body, err := json.Marshal(out)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+string(e.cfg.Token))
	resp, err := e.client.Do(req)
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		// The status in the form `otelswitch doctor` reads: ": 401 Unauthorized".
		return fmt.Errorf("webhook: post to %s: %s", e.cfg.URL, resp.Status)
	}
	return nil
}

func (e *exporter) Shutdown(context.Context) error { return nil }
