package lab

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"text/template"
)

// Source names a collector receiver. Each receiver's pipeline writes what it
// accepted to its own file and stamps every span, data point and log record
// with the attribute `lab.receiver` = Source.
type Source string

// The collector's receivers.
const (
	// SourceOTLP is the plain OTLP receiver (CollectorOTLPGRPC/HTTP): no
	// auth, New Relic's wire protocol. The `api-key` header arrives as the
	// span attribute `lab.header.api-key`.
	SourceOTLP Source = "otlp"
	// SourceElasticBearer accepts only `Authorization: Bearer <SecretToken>`
	// (ElasticBearerGRPC/HTTP). The header arrives as
	// `lab.header.authorization`.
	SourceElasticBearer Source = "elastic-bearer"
	// SourceElasticAPIKey accepts only `Authorization: ApiKey <APIKey>`
	// (ElasticAPIKeyGRPC/HTTP).
	SourceElasticAPIKey Source = "elastic-apikey"
	// SourceDatadog is the Datadog Agent trace intake (DatadogAgent).
	SourceDatadog Source = "datadog"
)

// SourceStatsd is the DogStatsD receiver (Lab.DogStatsD, UDP): metrics
// only, so it is not in Sources, whose receivers take every signal. Its
// metrics pipeline writes to its own file, read with CollectorMetrics.
const SourceStatsd Source = "statsd"

// Sources lists every collector receiver that takes traces.
var Sources = []Source{SourceOTLP, SourceElasticBearer, SourceElasticAPIKey, SourceDatadog}

// Span attributes the collector adds to everything it receives.
const (
	AttrReceiver      = "lab.receiver"
	AttrAPIKey        = "lab.header.api-key"
	AttrAuthorization = "lab.header.authorization"
)

// datadogGate keeps the upper 64 bits of dd-trace-go's 128-bit trace IDs
// (sent in the _dd.p.tid tag); without it they arrive cut to 64 bits.
const datadogGate = "receiver.datadogreceiver.Enable128BitTraceID"

// datadogStatsGate, on by default, stops the datadog exporter computing APM
// stats; WithDatadogExporter turns it off.
const datadogStatsGate = "exporter.datadogexporter.DisableAPMStats"

// jaegerConfig is Jaeger v2's all-in-one reduced to what the lab uses:
// every listener the default config opens (zipkin, thrift, sampling,
// expvar, zpages, metrics on 8888) would collide between parallel labs.
// No batch processor: spans should be queryable as soon as they arrive.
var jaegerConfig = template.Must(template.New("jaeger").Parse(`# Written by internal/lab; see docs/lab.md.
service:
  extensions: [jaeger_storage, jaeger_query, healthcheckv2{{if .Strategies}}, remote_sampling{{end}}]
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [jaeger_storage_exporter]
  telemetry:
    resource:
      service.name: jaeger
    metrics:
      level: none
    logs:
      level: info

extensions:
  healthcheckv2:
    use_v2: true
    http:
      endpoint: {{.Addr "jaegerHealth"}}
  jaeger_query:
    # On by default: Jaeger would trace its own queries to localhost:4317,
    # i.e. into whatever Jaeger holds that port, and stall 5 s on exit.
    enable_tracing: false
{{- if .UIAssets}}
    ui:
      assets_path: {{.UIAssets}}
{{- end}}
    storage:
      traces: memstore
    http:
      endpoint: {{.Addr "jaegerUI"}}
    grpc:
      endpoint: {{.Addr "jaegerQueryGRPC"}}
{{- if .Strategies}}
  remote_sampling:
    file:
      path: {{.Strategies}}
    http:
      endpoint: {{.Addr "jaegerSamplingHTTP"}}
    grpc:
      endpoint: {{.Addr "jaegerSamplingGRPC"}}
{{- end}}
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 100000

receivers:
  otlp:
    protocols:
      grpc:
        endpoint: {{.Addr "jaegerOTLPGRPC"}}
      http:
        endpoint: {{.Addr "jaegerOTLPHTTP"}}

exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`))

// collectorConfig gives each Source its own receiver and pipelines. No
// batch processor: it would drop the request metadata the attributes
// processor reads, and delay the files the tests poll.
var collectorConfig = template.Must(template.New("collector").Parse(`# Written by internal/lab; see docs/lab.md.
extensions:
  health_check:
    endpoint: {{.Addr "collectorHealth"}}
  bearertokenauth/elastic-bearer:
    scheme: Bearer
    token: ${env:` + envCollectorSecretToken + `}
  bearertokenauth/elastic-apikey:
    scheme: ApiKey
    token: ${env:` + envCollectorAPIKey + `}

receivers:
  otlp:
    protocols:
      grpc:
        endpoint: {{.Addr "collectorOTLPGRPC"}}
        include_metadata: true{{template "tls" $}}
      http:
        endpoint: {{.Addr "collectorOTLPHTTP"}}
        include_metadata: true{{template "tls" $}}
{{- range $r := .AuthReceivers}}
  otlp/{{$r.Name}}:
    protocols:
      grpc:
        endpoint: {{$.Addr $r.GRPC}}
        include_metadata: true{{template "tls" $}}
        auth:
          authenticator: bearertokenauth/{{$r.Name}}
      http:
        endpoint: {{$.Addr $r.HTTP}}
        include_metadata: true{{template "tls" $}}
        auth:
          authenticator: bearertokenauth/{{$r.Name}}
{{- end}}
  datadog:
    endpoint: {{.Addr "datadog"}}
    read_timeout: 60s
  statsd:
    endpoint: {{.Addr "dogstatsd"}}
    transport: udp
    aggregation_interval: 1s

processors:
  attributes/statsd:
    actions:
      - {key: ` + AttrReceiver + `, value: statsd, action: upsert}
{{- range .Sources}}
  attributes/{{.}}:
    actions:
      - {key: ` + AttrReceiver + `, value: {{.}}, action: upsert}
      - {key: ` + AttrAPIKey + `, from_context: metadata.api-key, action: upsert}
      - {key: ` + AttrAuthorization + `, from_context: metadata.authorization, action: upsert}
{{- if and $.DatadogIntake (eq . "datadog")}}
      # The receiver keeps dd-trace-go's resource only as dd.span.Resource;
      # the exporter's mapping reads resource.name.
      - {key: resource.name, from_attribute: dd.span.Resource, action: insert}
{{- end}}
{{- end}}

exporters:
  debug:
    verbosity: basic
  otlp/jaeger:
    endpoint: {{.Addr "jaegerOTLPGRPC"}}
    tls:
      insecure: true
{{- range .Sources}}
  file/{{.}}:
    path: {{index $.Files .}}
    flush_interval: 100ms
{{- end}}
  file/statsd:
    path: {{.StatsdFile}}
    flush_interval: 100ms
{{- if .DatadogIntake}}
  datadog/intake:
    api:
      key: 0123456789abcdef0123456789abcdef # a placeholder; the lab's intake takes any key
      site: datadoghq.com
    hostname: otelswitch-lab
    host_metadata:
      enabled: false
    traces:
      endpoint: {{.DatadogIntake}}
      trace_buffer: 100
    metrics:
      endpoint: {{.DatadogIntake}}
    logs:
      endpoint: {{.DatadogIntake}}
{{- end}}

service:
  telemetry:
    metrics:
      level: none
    logs:
      level: info
  extensions: [health_check, bearertokenauth/elastic-bearer, bearertokenauth/elastic-apikey]
  pipelines:
    metrics/statsd:
      receivers: [statsd]
      processors: [attributes/statsd]
      exporters: [file/statsd]
{{- range .Sources}}
    traces/{{.}}:
      receivers: [{{index $.Receivers .}}]
      processors: [attributes/{{.}}]
      exporters: [file/{{.}}, otlp/jaeger, debug{{if and $.DatadogIntake (or (eq . "otlp") (eq . "datadog"))}}, datadog/intake{{end}}]
    metrics/{{.}}:
      receivers: [{{index $.Receivers .}}]
      processors: [attributes/{{.}}]
      exporters: [file/{{.}}]
{{- if ne . "datadog"}}
    logs/{{.}}:
      receivers: [{{index $.Receivers .}}]
      processors: [attributes/{{.}}]
      exporters: [file/{{.}}]
{{- end}}
{{- end}}
{{- define "tls"}}
{{- if .TLSCert}}
        tls:
          cert_file: {{.TLSCert}}
          key_file: {{.TLSKey}}
{{- end}}
{{- end}}
`))

// templateData feeds both templates.
type templateData struct {
	ports    portSet
	UIAssets string
	// Strategies is the remote sampling strategies file; "" leaves the
	// remote_sampling extension out.
	Strategies string
	Sources    []Source
	Files      map[Source]string
	Receivers  map[Source]string
	// StatsdFile is where the DogStatsD receiver's metrics go.
	StatsdFile string
	// TLSCert and TLSKey serve the OTLP receivers over TLS when set.
	TLSCert, TLSKey string
	// DatadogIntake is the URL the datadog exporter sends to; "" leaves
	// the exporter out.
	DatadogIntake string
}

type authReceiver struct{ Name, GRPC, HTTP string }

func (templateData) AuthReceivers() []authReceiver {
	return []authReceiver{
		{string(SourceElasticBearer), "elasticBearerGRPC", "elasticBearerHTTP"},
		{string(SourceElasticAPIKey), "elasticAPIKeyGRPC", "elasticAPIKeyHTTP"},
	}
}

var templatePorts = map[string]portID{
	"jaegerOTLPGRPC":     portJaegerOTLPGRPC,
	"jaegerOTLPHTTP":     portJaegerOTLPHTTP,
	"jaegerUI":           portJaegerUI,
	"jaegerQueryGRPC":    portJaegerQueryGRPC,
	"jaegerHealth":       portJaegerHealth,
	"collectorOTLPGRPC":  portCollectorOTLPGRPC,
	"collectorOTLPHTTP":  portCollectorOTLPHTTP,
	"elasticBearerGRPC":  portElasticBearerGRPC,
	"elasticBearerHTTP":  portElasticBearerHTTP,
	"elasticAPIKeyGRPC":  portElasticAPIKeyGRPC,
	"elasticAPIKeyHTTP":  portElasticAPIKeyHTTP,
	"datadog":            portDatadogReceiver,
	"collectorHealth":    portCollectorHealth,
	"jaegerSamplingHTTP": portJaegerSamplingHTTP,
	"jaegerSamplingGRPC": portJaegerSamplingGRPC,
	"dogstatsd":          portDogStatsD,
}

// Addr is called by the templates; an unknown name fails the execution.
func (d templateData) Addr(name string) (string, error) {
	id, ok := templatePorts[name]
	if !ok {
		return "", fmt.Errorf("unknown port %q", name)
	}
	return d.ports.addr(id), nil
}

// collectorFile is where the pipeline of src writes, under the lab dir.
func collectorFile(dir string, src Source) string {
	return filepath.Join(dir, "collector", string(src)+".jsonl")
}

// writeConfigs renders both configs into dir and returns their paths.
func writeConfigs(dir string, p portSet, c config) (jaegerPath, collectorPath string, err error) {
	data := templateData{
		ports:         p,
		UIAssets:      c.uiAssets,
		Strategies:    c.strategies,
		Sources:       Sources,
		Files:         map[Source]string{},
		Receivers:     map[Source]string{},
		StatsdFile:    collectorFile(dir, SourceStatsd),
		TLSCert:       c.tlsCert,
		TLSKey:        c.tlsKey,
		DatadogIntake: c.datadogIntake,
	}
	for _, s := range Sources {
		data.Files[s] = collectorFile(dir, s)
		data.Receivers[s] = "otlp/" + string(s)
	}
	data.Receivers[SourceOTLP] = "otlp"
	data.Receivers[SourceDatadog] = "datadog"
	if err := os.MkdirAll(filepath.Join(dir, "collector"), 0o755); err != nil {
		return "", "", fmt.Errorf("lab: %w", err)
	}
	jaegerPath = filepath.Join(dir, "jaeger.yaml")
	collectorPath = filepath.Join(dir, "otelcol.yaml")
	for _, f := range []struct {
		path string
		tmpl *template.Template
	}{{jaegerPath, jaegerConfig}, {collectorPath, collectorConfig}} {
		var buf bytes.Buffer
		if err := f.tmpl.Execute(&buf, data); err != nil {
			return "", "", fmt.Errorf("lab: rendering %s: %w", filepath.Base(f.path), err)
		}
		if err := os.WriteFile(f.path, buf.Bytes(), 0o644); err != nil {
			return "", "", fmt.Errorf("lab: %w", err)
		}
	}
	return jaegerPath, collectorPath, nil
}
