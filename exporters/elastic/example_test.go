package elastic_test

import (
	"fmt"

	"github.com/otelswitch/otelswitch/exporters/elastic"
)

func ExampleConfig_Validate() {
	err := elastic.Config{ServerURL: "apm.example.com:8200", SecretToken: "s3cr3t", APIKey: "a2V5"}.Validate(true)
	fmt.Println(err)
	// Output:
	// ELASTIC_APM_SECRET_TOKEN and ELASTIC_APM_API_KEY are both set; set one: the secret token (Authorization: Bearer) or the API key (Authorization: ApiKey)
	// ELASTIC_APM_SERVER_URL="apm.example.com:8200": malformed URL; want http:// or https:// and a host, such as https://apm.example.com:8200
}

func ExampleConfig_Targets() {
	c := elastic.Config{ServerURL: "https://apm.example.com:8200", APIKey: "aWQ6a2V5", Protocol: "http/protobuf"}
	traces, _, _ := c.Targets(true)
	fmt.Println(traces.Protocol, traces.URL)
	fmt.Println(traces.Headers)
	// Output:
	// http/protobuf https://apm.example.com:8200/v1/traces
	// map[authorization:[REDACTED]]
}
