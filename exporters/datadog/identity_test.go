package datadog_test

import (
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/exporters/datadog"
	"github.com/otelswitch/otelswitch/internal/testutil"
)

// TestCorrelate128BitTraceID: dd.trace_id is written as dd-trace-go v2.12's
// span formatter (ddtrace/tracer/span.go, Format with %v) writes it:
// DD_TRACE_128_BIT_TRACEID_LOGGING_ENABLED defaults to true, and then a
// trace ID whose upper 64 bits are set is logged as 32 hex digits, one
// whose upper 64 bits are zero as its low 64 bits in decimal; false always
// logs the low 64 bits in decimal. dd.span_id is decimal either way.
func TestCorrelate128BitTraceID(t *testing.T) {
	const (
		full    = "6b0445ae00000000475f43d67920d18f"
		fullDec = "5142903887914652047" // 0x475f43d67920d18f
	)
	tests := []struct {
		name    string
		env     map[string]string // nil: the variable unset
		traceID string
		want    string
	}{
		{"default, upper bits set", nil, full, full},
		{"default, 64-bit ID", nil, "0000000000000000475f43d67920d18f", fullDec},
		{"default, low bits zero", nil, "6b0445ae000000000000000000000000", "6b0445ae000000000000000000000000"},
		{"default, upper bit only", nil, "00000000000000010000000000000001", "00000000000000010000000000000001"},
		{"true, upper bits set", map[string]string{"DD_TRACE_128_BIT_TRACEID_LOGGING_ENABLED": "true"}, full, full},
		{"1, upper bits set", map[string]string{"DD_TRACE_128_BIT_TRACEID_LOGGING_ENABLED": "1"}, full, full},
		{"true, 64-bit ID", map[string]string{"DD_TRACE_128_BIT_TRACEID_LOGGING_ENABLED": "true"}, "0000000000000000000000000000002a", "42"},
		{"false, upper bits set", map[string]string{"DD_TRACE_128_BIT_TRACEID_LOGGING_ENABLED": "false"}, full, fullDec},
		{"false, low bits max", map[string]string{"DD_TRACE_128_BIT_TRACEID_LOGGING_ENABLED": "false"}, "6b0445ae00000000ffffffffffffffff", "18446744073709551615"},
		{"false, 64-bit ID", map[string]string{"DD_TRACE_128_BIT_TRACEID_LOGGING_ENABLED": "false"}, "0000000000000000475f43d67920d18f", fullDec},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := datadog.ConfigFromEnv(testutil.Env(tt.env).Lookup)
			if err != nil {
				t.Fatal(err)
			}
			tid, err := trace.TraceIDFromHex(tt.traceID)
			if err != nil {
				t.Fatal(err)
			}
			sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: trace.SpanID{0, 0, 0, 0, 0, 0, 0, 7}})
			got := map[string]string{}
			for _, a := range datadog.Correlate(datadog.ResolveIdentity(c, settings(t, nil)))(sc) {
				got[a.Key] = a.Value.String()
			}
			if got["dd.trace_id"] != tt.want || got["dd.span_id"] != "7" {
				t.Errorf("dd.trace_id, dd.span_id = %q, %q; want %q, \"7\"", got["dd.trace_id"], got["dd.span_id"], tt.want)
			}
		})
	}
}

// TestCorrelate128BitLoggingInvalid: a value that is not a boolean is an
// error naming the variable, not a silent default.
func TestCorrelate128BitLoggingInvalid(t *testing.T) {
	_, err := datadog.ConfigFromEnv(testutil.Env(map[string]string{"DD_TRACE_128_BIT_TRACEID_LOGGING_ENABLED": "yes please"}).Lookup)
	if err == nil || !strings.Contains(err.Error(), "DD_TRACE_128_BIT_TRACEID_LOGGING_ENABLED") || !strings.Contains(err.Error(), "yes please") {
		t.Errorf("err = %v; want one naming the variable and the value", err)
	}
}
