package procmetrics

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Scope is the instrumentation scope of the process metrics.
const Scope = "github.com/otelswitch/otelswitch/internal/procmetrics"

var (
	userMode   = metric.WithAttributeSet(attribute.NewSet(attribute.String("cpu.mode", "user")))
	systemMode = metric.WithAttributeSet(attribute.NewSet(attribute.String("cpu.mode", "system")))
)

// Register adds the process instruments to mp. They are observed for as long
// as mp lives.
func Register(mp metric.MeterProvider) error {
	m := mp.Meter(Scope)
	cpu, err := m.Float64ObservableCounter("process.cpu.time", metric.WithUnit("s"),
		metric.WithDescription("Total CPU seconds broken down by mode."))
	if err != nil {
		return fmt.Errorf("procmetrics: %w", err)
	}
	rss, err := m.Int64ObservableUpDownCounter("process.memory.usage", metric.WithUnit("By"),
		metric.WithDescription("The amount of physical memory in use (resident set size)."))
	if err != nil {
		return fmt.Errorf("procmetrics: %w", err)
	}
	fds, err := m.Int64ObservableUpDownCounter("process.unix.file_descriptor.count", metric.WithUnit("{file_descriptor}"),
		metric.WithDescription("Number of unix file descriptors in use by the process."))
	if err != nil {
		return fmt.Errorf("procmetrics: %w", err)
	}
	_, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		if user, system, ok := cpuTime(); ok {
			o.ObserveFloat64(cpu, user, userMode)
			o.ObserveFloat64(cpu, system, systemMode)
		}
		if n, ok := residentBytes(); ok {
			o.ObserveInt64(rss, n)
		}
		if n, ok := openFDs(); ok {
			o.ObserveInt64(fds, n)
		}
		return nil
	}, cpu, rss, fds)
	if err != nil {
		return fmt.Errorf("procmetrics: %w", err)
	}
	return nil
}

// residentBytes reads the resident set from /proc/self/statm (in pages).
func residentBytes() (int64, bool) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0, false
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return 0, false
	}
	return pages * int64(os.Getpagesize()), true
}

// openFDs counts the entries of /proc/self/fd, less the one reading it.
func openFDs() (int64, bool) {
	d, err := os.Open("/proc/self/fd")
	if err != nil {
		return 0, false
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return 0, false
	}
	return int64(len(names) - 1), true
}
