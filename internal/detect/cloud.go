package detect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/otel/sdk/resource"
)

// cloudNames are the OTEL_RESOURCE_DETECTORS names of the cloud detectors,
// as the other OpenTelemetry SDKs spell them (Python's entry points; the
// short forms below are JavaScript's and the OpenTelemetry Operator's).
// cloudDetectors (cloud_detectors.go) runs each; a binary built with
// -tags otelswitch_nocloud has none (cloud_nocloud.go), and naming one is
// an error that says so.
var cloudNames = []string{"aws_ec2", "aws_ecs", "aws_eks", "gcp", "azure_vm"}

var aliases = map[string]string{"ec2": "aws_ec2", "ecs": "aws_ecs", "eks": "aws_eks", "azure": "azure_vm"}

// NoCloudTag is the build tag that leaves the cloud detectors, and the AWS,
// GCP and Azure packages they import, out of the binary.
const NoCloudTag = "otelswitch_nocloud"

// local are detector names other SDKs list that otelswitch always runs;
// naming them is allowed and changes nothing.
var local = []string{"env", "host", "os", "process", "container", "serviceinstance", "k8s"}

// Names lists the accepted OTEL_RESOURCE_DETECTORS values, for errors and docs.
func Names() string {
	n := slices.Clone(cloudNames)
	for k := range aliases {
		n = append(n, k)
	}
	n = append(append(n, local...), "none")
	slices.Sort(n)
	return strings.Join(n, ", ")
}

// ParseDetectors reads OTEL_RESOURCE_DETECTORS (variable names it in
// errors) into the cloud detectors to run, canonical names, in order.
func ParseDetectors(variable, value string) ([]string, error) {
	var names []string
	var errs []error
	for _, item := range strings.Split(strings.ToLower(value), ",") {
		item = strings.TrimSpace(item)
		if a, ok := aliases[item]; ok {
			item = a
		}
		switch {
		case item == "" || item == "none" || slices.Contains(local, item):
		case !slices.Contains(cloudNames, item):
			errs = append(errs, fmt.Errorf("%s=%q: unknown detector %q; want any of %s", variable, value, item, Names()))
		case cloudDetectors[item] == nil:
			errs = append(errs, fmt.Errorf("%s=%q: detector %q is not in this binary: it was built with -tags %s, which leaves the cloud detectors out; rebuild without that tag to use it", variable, value, item, NoCloudTag))
		case !slices.Contains(names, item):
			names = append(names, item)
		}
	}
	return names, errors.Join(errs...)
}

// Outcome is what one cloud detector did.
type Outcome struct {
	Name string `json:"name"`
	// Result is "detected", "not detected" (ran, found nothing: not on that
	// cloud), "failed" or "timed out".
	Result string   `json:"result"`
	Took   Duration `json:"took"`
	Error  string   `json:"error,omitempty"`
}

// Duration prints as Go's duration text.
type Duration time.Duration

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// Results of a detector.
const (
	Detected    = "detected"
	NotDetected = "not detected"
	Failed      = "failed"
	TimedOut    = "timed out"
)

// Cloud runs the named detectors at once and waits for them at most budget
// in all. It returns their attributes merged in the order named, and one
// Outcome for each. A detector that fails or is still running when the
// budget is spent is logged once (a warning), reported in its Outcome, and
// left out; it is never fatal. Detectors still running are cancelled.
func Cloud(ctx context.Context, names []string, budget time.Duration, logger *slog.Logger) (*resource.Resource, []Outcome) {
	if len(names) == 0 {
		return resource.Empty(), nil
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	outcomes, found := runDetectors(ctx, names)
	merged := resource.Empty()
	for i, o := range outcomes {
		switch o.Result {
		case Detected:
			merged = mergeFound(merged, found[i])
		case Failed, TimedOut:
			if o.Result == TimedOut {
				o.Took = Duration(budget)
			}
			logger.Warn("resource detector gave nothing; its attributes are missing", "detector", o.Name, "result", o.Result, "error", o.Error, "budget", budget.String())
		}
	}
	return merged, outcomes
}

// detected is what one detector gave, and when.
type detected struct {
	i    int
	res  *resource.Resource
	err  error
	took time.Duration
}

// runDetectors starts the named detectors at once and collects them until
// ctx ends: an outcome for each (TimedOut for those still running) and the
// resource of each that detected something.
func runDetectors(ctx context.Context, names []string) ([]Outcome, []*resource.Resource) {
	// Buffered, so a detector that finishes after the budget never blocks.
	done := make(chan detected, len(names))
	start := time.Now()
	for i, n := range names {
		d := cloudDetectors[n]()
		go func() {
			res, err := d.Detect(ctx)
			done <- detected{i, res, err, time.Since(start)}
		}()
	}
	outcomes := make([]Outcome, len(names))
	found := make([]*resource.Resource, len(names))
	for i, n := range names {
		outcomes[i] = Outcome{Name: n, Result: TimedOut}
	}
	for range names {
		select {
		case r := <-done:
			outcomes[r.i], found[r.i] = r.outcome(outcomes[r.i], ctx.Err() != nil)
		case <-ctx.Done():
			return outcomes, found
		}
	}
	return outcomes, found
}

// outcome is o filled from r; late says the budget was spent when r came.
func (r detected) outcome(o Outcome, late bool) (Outcome, *resource.Resource) {
	o.Took = Duration(r.took)
	switch {
	case r.err != nil && !errors.Is(r.err, resource.ErrPartialResource):
		o.Result, o.Error = Failed, r.err.Error()
		if late {
			o.Result = TimedOut
		}
		return o, nil
	case r.res == nil || r.res.Len() == 0:
		o.Result = NotDetected
		return o, nil
	}
	o.Result = Detected
	if r.err != nil {
		o.Error = r.err.Error()
	}
	return o, r.res
}

// mergeFound adds a detector's attributes to merged; schema URLs in
// conflict keep the attributes.
func mergeFound(merged, found *resource.Resource) *resource.Resource {
	if m, err := resource.Merge(merged, found); err == nil {
		return m
	}
	m, _ := resource.Merge(merged, resource.NewSchemaless(found.Attributes()...))
	return m
}
