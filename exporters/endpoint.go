package exporters

// Signals, as Endpoint.Signal names them. (Stats names what it counts
// with SignalSpans, SignalMetrics and SignalLogs: "metric data points" is
// right for a count, "metrics" for where the signal goes.)
const (
	EndpointTraces  = "traces"
	EndpointMetrics = "metrics"
	EndpointLogs    = "logs"
)

// Endpoint says where a backend sends one signal and how, in the terms of
// the variables the user set: the startup log and `otelswitch doctor` print
// it, and the doctor's advice names its variables. It holds no credential.
type Endpoint struct {
	// Signal is EndpointTraces, EndpointMetrics or EndpointLogs.
	Signal string `json:"signal"`
	// URL is the final address, credentials removed: for OTLP over HTTP the
	// full URL data is posted to, for gRPC scheme, host and port.
	URL string `json:"url"`
	// Protocol is how data travels, such as "grpc", "http/protobuf" or
	// "datadog-agent".
	Protocol string `json:"protocol"`
	// Plaintext is set when nothing is encrypted.
	Plaintext bool `json:"plaintext"`
	// Variable names the variable URL came from, or would come from, such
	// as JAEGER_ENDPOINT.
	Variable string `json:"variable,omitempty"`
	// Default is set when URL is the backend's default: Variable is unset.
	Default bool `json:"default,omitempty"`
	// Auth is the authentication scheme, such as "api-key header",
	// "Authorization: Bearer" or "none".
	Auth string `json:"auth"`
	// CredentialVar names the variable holding the credential, if any.
	CredentialVar string `json:"credential_var,omitempty"`
	// CertificateVar names the variable that selects the CA to trust, and
	// Certificate is its value (a file name); empty means the system roots.
	CertificateVar string `json:"certificate_var,omitempty"`
	Certificate    string `json:"certificate,omitempty"`
	// Hint is a vendor's advice for a rejected credential, such as New
	// Relic's region.
	Hint string `json:"hint,omitempty"`
}
