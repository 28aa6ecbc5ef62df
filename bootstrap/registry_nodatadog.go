//go:build otelswitch_nodatadog

package bootstrap

// Built with otelswitch_nodatadog (docs/performance.md, "Slim builds"): nothing imports exporters/datadog, so
// dd-trace-go is not linked. The propagator lives in that package too, so it
// goes with it: choosing either names the tag.
var datadogFactory = leftOut{
	name: datadogName, tag: "otelswitch_nodatadog", sdk: "dd-trace-go",
	detectVars: []string{"DD_AGENT_HOST", "DD_TRACE_AGENT_URL"}, propagators: []string{datadogName},
}
