package datadog

import (
	"cmp"
	"encoding/binary"
	"log/slog"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/internal/envconf"
)

// Identity is what Datadog files a service's spans, metrics and logs under
// (Unified Service Tagging), and the tags on every span.
type Identity struct {
	Service string `json:"service"`
	Env     string `json:"env"`
	Version string `json:"version,omitempty"`
	// Tags are DD_TAGS without service, env and version; when DD_TAGS is
	// unset, native mode takes them from OTEL_RESOURCE_ATTRIBUTES instead,
	// as dd-trace-go does.
	Tags []Tag `json:"tags,omitempty"`
	// TraceID128 logs dd.trace_id as 128-bit hex
	// (DD_TRACE_128_BIT_TRACEID_LOGGING_ENABLED).
	TraceID128 bool `json:"trace_id_128_logging"`
}

// Tag is one key:value of DD_TAGS.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Resource attribute keys Datadog reads service, env and version from.
const (
	attrServiceName    = "service.name"
	attrServiceVersion = "service.version"
	attrEnvName        = "deployment.environment.name"
	attrEnvLegacy      = "deployment.environment"
)

// ResolveIdentity applies the precedence documented in docs/datadog.md, the
// same for every mode and for log correlation. For each of service, env and
// version, Datadog's variable wins, then the entry in DD_TAGS, then the
// OpenTelemetry resource:
//
//	service: DD_SERVICE > service in DD_TAGS > service.name (WithServiceName, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES)
//	env:     DD_ENV     > env in DD_TAGS     > deployment.environment (OTEL_RESOURCE_ATTRIBUTES) > deployment.environment.name (ENVIRONMENT)
//	version: DD_VERSION > version in DD_TAGS > service.version (WithServiceVersion, SERVICE_VERSION, OTEL_RESOURCE_ATTRIBUTES)
func ResolveIdentity(c Config, s exporters.Settings) Identity {
	tags := parseTags(c.Tags)
	fromTags := func(k string) string {
		v := ""
		for _, t := range tags {
			if t.key == k {
				v = t.value // the last one wins, as in dd-trace-go's map
			}
		}
		return v
	}
	// A legacy deployment.environment is only on the resource when the
	// user put it there (OTEL_RESOURCE_ATTRIBUTES); dd-trace-go maps it to
	// env, so it wins over the .name form bootstrap sets from ENVIRONMENT.
	resEnv := ""
	if s.Resource != nil {
		set := s.Resource.Set()
		if v, ok := set.Value(attrEnvLegacy); ok && v.AsString() != "" {
			resEnv = v.AsString()
		} else if v, ok := set.Value(attrEnvName); ok {
			resEnv = v.String()
		}
	}
	id := Identity{
		Service: cmp.Or(c.Service, fromTags("service"), s.ServiceName),
		Env:     cmp.Or(c.Env, fromTags("env"), resEnv, s.Environment),
		Version: cmp.Or(c.Version, fromTags("version"), s.ServiceVersion),

		TraceID128: c.TraceID128Logging,
	}
	for _, t := range tags {
		switch t.key {
		case "service", "env", "version":
			continue
		}
		id.Tags = append(id.Tags, Tag{t.key, t.value})
	}
	return id
}

// nativeTags are the global tags of native mode: DD_TAGS, or when it is
// unset OTEL_RESOURCE_ATTRIBUTES without the keys that become service, env
// and version, as dd-trace-go maps them.
func nativeTags(c Config, id Identity, lookup envconf.LookupFunc) []Tag {
	if c.Tags != "" || lookup == nil {
		return id.Tags
	}
	raw, _ := lookup(envResourceAttributes)
	pairs, err := envconf.ParseList(envResourceAttributes, raw)
	if err != nil {
		return nil // bootstrap reports the error; Init fails before this is used
	}
	var tags []Tag
	for _, p := range pairs {
		switch p.Key {
		case attrServiceName, attrServiceVersion, attrEnvName, attrEnvLegacy:
			continue
		}
		tags = append(tags, Tag{p.Key, p.Value})
	}
	return tags
}

// withIdentity returns r with service.name, deployment.environment(.name),
// service.version and DD_TAGS set from id, for the Agent's OTLP ingest to
// read them. deployment.environment is for Agents older than 7.57, which
// do not read the .name form.
func withIdentity(r *resource.Resource, id Identity) *resource.Resource {
	kvs := r.Attributes()
	kvs = append(kvs,
		attribute.String(attrServiceName, id.Service),
		attribute.String(attrEnvName, id.Env),
		attribute.String(attrEnvLegacy, id.Env),
	)
	if id.Version != "" {
		kvs = append(kvs, attribute.String(attrServiceVersion, id.Version))
	}
	for _, t := range id.Tags {
		kvs = append(kvs, attribute.String(t.Key, t.Value))
	}
	// NewWithAttributes keeps the last value of a repeated key.
	return resource.NewWithAttributes(r.SchemaURL(), kvs...)
}

// Correlation keys Datadog joins logs to traces on.
const (
	logTraceID = "dd.trace_id"
	logSpanID  = "dd.span_id"
	logService = "dd.service"
	logEnv     = "dd.env"
	logVersion = "dd.version"
)

// Correlate returns the log attributes Datadog links a log record to its
// trace with, as dd-trace-go v2's span formatter writes them: dd.trace_id
// as the whole trace ID in 32 hex digits when id.TraceID128 is on (the
// default) and its upper 64 bits are set, else the low 64 bits in decimal;
// dd.span_id in decimal; and dd.service, dd.env and dd.version from id
// (dd.version only when set). Datadog's log pipeline joins either form of
// the trace ID to the trace.
func Correlate(id Identity) func(trace.SpanContext) []slog.Attr {
	service := slog.String(logService, id.Service)
	env := slog.String(logEnv, id.Env)
	version := slog.String(logVersion, id.Version)
	return func(sc trace.SpanContext) []slog.Attr {
		tid, sid := sc.TraceID(), sc.SpanID()
		out := make([]slog.Attr, 0, 5)
		traceID := strconv.FormatUint(binary.BigEndian.Uint64(tid[8:]), 10)
		if id.TraceID128 && binary.BigEndian.Uint64(tid[:8]) != 0 {
			// As dd-trace-go's span formatter with the variable on.
			traceID = tid.String()
		}
		out = append(out,
			slog.String(logTraceID, traceID),
			slog.String(logSpanID, strconv.FormatUint(binary.BigEndian.Uint64(sid[:]), 10)),
			service, env,
		)
		if id.Version != "" {
			out = append(out, version)
		}
		return out
	}
}
