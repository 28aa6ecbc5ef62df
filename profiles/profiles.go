package profiles

import (
	"fmt"
	"strings"
	"time"
)

// Profile is what one environment means for telemetry.
type Profile struct {
	// Name is the ENVIRONMENT value that selects the profile.
	Name string
	// Backends are used when TELEMETRY_BACKEND is unset. Empty means: detect
	// the backend from the vendor credentials that are set.
	Backends []string
	// Sampler and SamplerArg are the OTEL_TRACES_SAMPLER defaults.
	Sampler    string
	SamplerArg float64
	// BatchDelay is how long a span may wait before it is sent;
	// MaxQueue bounds each backend's queue and MaxExport each export.
	BatchDelay time.Duration
	MaxQueue   int
	MaxExport  int
	// ExportTimeout and ShutdownTimeout are the defaults of
	// TELEMETRY_EXPORT_TIMEOUT and TELEMETRY_SHUTDOWN_TIMEOUT.
	ExportTimeout   time.Duration
	ShutdownTimeout time.Duration
	// MetricInterval is how often metrics are exported.
	MetricInterval time.Duration
	// Strict requires credentials and TLS to every host that is not loopback.
	Strict bool
	// LogFormat is "text" or "json".
	LogFormat string
	// Logs is the TELEMETRY_LOGS default: "local" (the log output only) or
	// "both" (also exported to the backends that take logs).
	Logs string
	// Record keeps every span in memory for the application's own tests.
	Record bool
}

// The profiles. Development shows a trace at once; production batches for
// throughput and keeps more in the queue to ride out a short outage.
var (
	Development = Profile{
		Name:            "development",
		Backends:        []string{"jaeger"},
		Sampler:         "parentbased_always_on",
		BatchDelay:      500 * time.Millisecond,
		MaxQueue:        2048,
		MaxExport:       512,
		ExportTimeout:   5 * time.Second,
		ShutdownTimeout: 5 * time.Second,
		MetricInterval:  10 * time.Second,
		LogFormat:       "text",
		Logs:            "local",
	}
	Test = Profile{
		Name:            "test",
		Backends:        []string{"none"},
		Sampler:         "always_on",
		BatchDelay:      100 * time.Millisecond,
		MaxQueue:        2048,
		MaxExport:       512,
		ExportTimeout:   time.Second,
		ShutdownTimeout: 2 * time.Second,
		MetricInterval:  time.Second,
		LogFormat:       "text",
		Logs:            "local",
		Record:          true,
	}
	Staging = Profile{
		Name:            "staging",
		Sampler:         "parentbased_always_on",
		BatchDelay:      2 * time.Second,
		MaxQueue:        4096,
		MaxExport:       512,
		ExportTimeout:   10 * time.Second,
		ShutdownTimeout: 10 * time.Second,
		MetricInterval:  30 * time.Second,
		Strict:          true,
		LogFormat:       "json",
		Logs:            "both",
	}
	// Production keeps every trace by default (ratio 1) and honours the
	// caller's decision; set OTEL_TRACES_SAMPLER_ARG to sample down.
	Production = Profile{
		Name:            "production",
		Sampler:         "parentbased_traceidratio",
		SamplerArg:      1,
		BatchDelay:      5 * time.Second,
		MaxQueue:        8192,
		MaxExport:       512,
		ExportTimeout:   10 * time.Second,
		ShutdownTimeout: 10 * time.Second,
		MetricInterval:  60 * time.Second,
		Strict:          true,
		LogFormat:       "json",
		Logs:            "both",
	}
)

// All lists the profiles in the order the documentation shows them.
var All = []Profile{Development, Staging, Production, Test}

// Names returns the profile names, for error messages.
func Names() []string {
	names := make([]string, len(All))
	for i, p := range All {
		names[i] = p.Name
	}
	return names
}

// Lookup returns the profile called name, in any case.
func Lookup(name string) (Profile, error) {
	for _, p := range All {
		if strings.EqualFold(p.Name, name) {
			return p, nil
		}
	}
	return Profile{}, fmt.Errorf("ENVIRONMENT=%q: unknown environment; want one of %s", name, strings.Join(Names(), ", "))
}
