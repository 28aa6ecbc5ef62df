package newrelic_test

import (
	"fmt"

	"github.com/otelswitch/otelswitch/exporters/newrelic"
)

func ExampleConfig_Validate() {
	err := newrelic.Config{Region: "mars", Mode: "agent"}.Validate(false)
	fmt.Println(err)
	// Output:
	// NEW_RELIC_LICENSE_KEY is not set; the newrelic backend needs the account's licence key (API keys page, type Ingest - License)
	// NEW_RELIC_REGION="mars": unknown region; want us, eu or fedramp
}

func ExampleConfig_Targets() {
	c := newrelic.Config{LicenseKey: "0123456789abcdef0123456789abcdef0123NRAL", Region: "eu"}
	traces, metrics, _ := c.Targets()
	fmt.Println(traces.Protocol, traces.Compression, traces.URL)
	fmt.Println(metrics.URL)
	fmt.Println(traces.Headers)
	// Output:
	// http/protobuf gzip https://otlp.eu01.nr-data.net:4318/v1/traces
	// https://otlp.eu01.nr-data.net:4318/v1/metrics
	// map[api-key:[REDACTED]]
}
