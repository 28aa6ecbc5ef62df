package e2e_test

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/otelswitch/otelswitch/bootstrap"
	"github.com/otelswitch/otelswitch/internal/lab"
)

// Metrics go through the same backends as spans, where the vendor takes OTLP
// metrics: cumulative for a generic OTLP endpoint, delta for New Relic.
func TestMetricsReachTheCollector(t *testing.T) {
	tests := []struct {
		name        string
		env         func(*lab.Lab) env
		temporality float64 // OTLP AggregationTemporality: 1 delta, 2 cumulative
	}{
		{"otlp", func(l *lab.Lab) env {
			return env{"TELEMETRY_BACKEND": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://" + l.CollectorOTLPHTTP}
		}, 2},
		{"newrelic", func(l *lab.Lab) env {
			return env{"TELEMETRY_BACKEND": "newrelic", "NEW_RELIC_LICENSE_KEY": "metrics-licence-key-00000000000000000000",
				"NEW_RELIC_OTLP_ENDPOINT": "http://" + l.CollectorOTLPHTTP}
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := lab.ForTest(t)
			e := resourceEnv("e2e-metrics-" + tt.name).With(env{"TELEMETRY_METRICS": "true"}).With(tt.env(l))
			tel, err := bootstrap.Init(context.Background(), bootstrap.WithLookupEnv(e.Lookup), bootstrap.WithoutGlobals(), bootstrap.WithLogOutput(io.Discard))
			if err != nil {
				t.Fatal(err)
			}
			counter, err := tel.MeterProvider().Meter("otelswitch/e2e").Int64Counter("books.created")
			if err != nil {
				t.Fatal(err)
			}
			counter.Add(context.Background(), 3, metric.WithAttributes(attribute.String("genre", "go")))
			if err := tel.Shutdown(context.Background()); err != nil { // the final collection is exported on shutdown
				t.Fatal(err)
			}
			sum := waitForSum(t, l, "books.created", "e2e-metrics-"+tt.name)
			if sum.Temporality != tt.temporality || sum.Value != "3" {
				t.Errorf("books.created = %+v, want value 3 with temporality %v", sum, tt.temporality)
			}
		})
	}
}

type sumPoint struct {
	Temporality float64
	Value       string
}

// waitForSum reads the collector's OTLP JSON for a sum metric of service.
func waitForSum(t *testing.T, l *lab.Lab, name, service string) sumPoint {
	t.Helper()
	var found *sumPoint
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := lab.WaitFor(ctx, func(context.Context) (bool, error) {
		data, err := os.ReadFile(l.CollectorFile(lab.SourceOTLP))
		if err != nil {
			return false, nil
		}
		for _, line := range strings.Split(string(data), "\n") {
			var req struct {
				ResourceMetrics []struct {
					Resource struct {
						Attributes []struct {
							Key   string
							Value struct{ StringValue string }
						}
					}
					ScopeMetrics []struct {
						Metrics []struct {
							Name string
							Sum  struct {
								AggregationTemporality float64
								DataPoints             []struct{ AsInt string }
							}
						}
					}
				}
			}
			if json.Unmarshal([]byte(line), &req) != nil {
				continue
			}
			for _, rm := range req.ResourceMetrics {
				ours := false
				for _, a := range rm.Resource.Attributes {
					ours = ours || (a.Key == "service.name" && a.Value.StringValue == service)
				}
				for _, sm := range rm.ScopeMetrics {
					for _, m := range sm.Metrics {
						if ours && m.Name == name && len(m.Sum.DataPoints) > 0 {
							found = &sumPoint{m.Sum.AggregationTemporality, m.Sum.DataPoints[0].AsInt}
						}
					}
				}
			}
		}
		return found != nil, nil
	})
	if err != nil {
		t.Fatalf("no %s metric from %s in the collector's output: %v", name, service, err)
	}
	return *found
}
