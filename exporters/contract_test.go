package exporters_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/otelswitch/otelswitch/exporters/datadog"
	"github.com/otelswitch/otelswitch/exporters/elastic"
	"github.com/otelswitch/otelswitch/exporters/jaeger"
	"github.com/otelswitch/otelswitch/exporters/newrelic"
	"github.com/otelswitch/otelswitch/exporters/none"
	"github.com/otelswitch/otelswitch/exporters/otlp"
	"github.com/otelswitch/otelswitch/exporters/stdout"
	"github.com/otelswitch/otelswitch/internal/envconf"
)

// contract is what every backend package's Config has (doc.go).
type contract[R any] interface {
	Resolve(strict bool) (R, error)
	Validate(strict bool) error
}

// check reads env with the package's ConfigFromEnv and checks that
// Validate is Resolve's verdict in both environments, and that every field
// of the resolved configuration Telemetry.Config prints has a JSON name.
func check[C contract[R], R any](t *testing.T, name string, fromEnv func(envconf.LookupFunc) (C, error), env map[string]string, wantStrictErr bool) {
	t.Helper()
	c, err := fromEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatalf("%s: ConfigFromEnv: %v", name, err)
	}
	for _, strict := range []bool{false, true} {
		_, rerr := c.Resolve(strict)
		verr := c.Validate(strict)
		if (rerr == nil) != (verr == nil) || (rerr != nil && rerr.Error() != verr.Error()) {
			t.Errorf("%s strict=%v: Resolve says %v, Validate %v; want the same", name, strict, rerr, verr)
		}
		if strict && (verr != nil) != wantStrictErr {
			t.Errorf("%s: Validate(true) = %v; want an error: %v", name, verr, wantStrictErr)
		}
	}
	var r R
	for _, f := range untagged(reflect.TypeOf(r), nil) {
		t.Errorf("%s: %T.%s has no json tag; Telemetry.Config would print it under its Go name", name, r, f)
	}
}

// untagged returns the exported fields of t, embedded structs' included,
// that have no json tag.
func untagged(t reflect.Type, path []string) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if _, ok := f.Tag.Lookup("json"); !ok {
			if f.Anonymous && ft.Kind() == reflect.Struct {
				out = append(out, untagged(ft, append(path, f.Name))...)
				continue
			}
			out = append(out, strings.Join(append(path, f.Name), "."))
		}
	}
	return out
}

func TestEveryBackendPackageHasTheContract(t *testing.T) {
	empty := map[string]string{}
	check(t, "otlp", otlp.ConfigFromEnv, empty, false)
	check(t, "jaeger", jaeger.ConfigFromEnv, empty, false)
	check(t, "datadog", datadog.ConfigFromEnv, empty, false)
	check(t, "stdout", stdout.ConfigFromEnv, empty, false)
	check(t, "none", none.ConfigFromEnv, empty, false)
	// Staging and production need what development does without.
	check(t, "elastic", elastic.ConfigFromEnv, empty, true)
	check(t, "elastic", elastic.ConfigFromEnv, map[string]string{"ELASTIC_APM_SERVER_URL": "https://apm:8200", "ELASTIC_APM_API_KEY": "k"}, false)
	check(t, "newrelic", newrelic.ConfigFromEnv, empty, true)
	check(t, "newrelic", newrelic.ConfigFromEnv, map[string]string{"NEW_RELIC_LICENSE_KEY": strings.Repeat("a", 40)}, false)
	check(t, "newrelic agent", newrelic.ConfigFromEnv, map[string]string{"NEW_RELIC_LICENSE_KEY": strings.Repeat("a", 40), "NEW_RELIC_MODE": "agent"}, false)
}

// The protocol, compression and credential checks are one set, used by
// every package, with one wording.
func TestOneWordingForSharedChecks(t *testing.T) {
	for _, tt := range []struct {
		name, want string
		err        error
	}{
		{"otlp", `OTEL_EXPORTER_OTLP_PROTOCOL="udp": unknown protocol; want grpc or http/protobuf`,
			otlp.Config{Protocol: "udp"}.Validate(false)},
		{"jaeger", `JAEGER_PROTOCOL="udp": unknown protocol; want grpc or http/protobuf`,
			jaeger.Config{Protocol: "udp"}.Validate(false)},
		{"elastic", `ELASTIC_OTLP_PROTOCOL="udp": unknown protocol; want grpc or http/protobuf`,
			elastic.Config{Protocol: "udp"}.Validate(false)},
		{"newrelic", `NEW_RELIC_OTLP_PROTOCOL="udp": unknown protocol; want grpc or http/protobuf`,
			newrelic.Config{Protocol: "udp"}.Validate(false)},
		{"datadog", `DATADOG_OTLP_PROTOCOL="udp": unknown protocol; want grpc or http/protobuf`,
			datadog.Config{Mode: datadog.ModeOTLP, OTLPProtocol: "udp"}.Validate(false)},
		{"otlp compression", `OTEL_EXPORTER_OTLP_COMPRESSION="zstd": unknown compression; want gzip or none`,
			otlp.Config{Compression: "zstd"}.Validate(false)},
		{"newrelic compression", `NEW_RELIC_OTLP_COMPRESSION="zstd": unknown compression; want gzip or none`,
			newrelic.Config{Compression: "zstd"}.Validate(false)},
		{"elastic credential", `ELASTIC_APM_API_KEY holds whitespace or a control character; copy it without spaces or line breaks`,
			elastic.Config{APIKey: "k\n"}.Validate(false)},
		{"newrelic credential", `NEW_RELIC_LICENSE_KEY holds whitespace or a control character; copy it without spaces or line breaks`,
			newrelic.Config{LicenseKey: "k k"}.Validate(false)},
	} {
		if tt.err == nil || !strings.Contains(tt.err.Error(), tt.want) {
			t.Errorf("%s: %v; want %q", tt.name, tt.err, tt.want)
		}
	}
}
