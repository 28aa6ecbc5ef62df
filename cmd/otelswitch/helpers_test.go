package main

import "github.com/otelswitch/otelswitch/exporters"

func endpointOf(credVar, hint string) exporters.Endpoint {
	return exporters.Endpoint{Signal: "traces", URL: "https://otlp.nr-data.net:4318/v1/traces", Protocol: "http/protobuf",
		Variable: "NEW_RELIC_REGION", Auth: "api-key header", CredentialVar: credVar, Hint: hint}
}
