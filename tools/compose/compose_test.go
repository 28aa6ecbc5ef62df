package compose_test

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/otelswitch/otelswitch/internal/lab"
)

// loadCompose loads docker-compose.yml the way `docker compose` would, with
// no daemon and with env instead of the process environment.
func loadCompose(t *testing.T, env []string, more ...cli.ProjectOptionsFn) (*cli.ProjectOptions, string) {
	t.Helper()
	root, err := lab.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, "docker-compose.yml")
	opts, err := cli.NewProjectOptions([]string{path},
		append([]cli.ProjectOptionsFn{cli.WithWorkingDirectory(root), cli.WithEnv(env), cli.WithProfiles([]string{"datadog"})}, more...)...)
	if err != nil {
		t.Fatal(err)
	}
	return opts, root
}

func TestComposeFile(t *testing.T) {
	const ddKey = "dd-api-key-from-the-environment"
	opts, root := loadCompose(t, []string{"DD_API_KEY=" + ddKey})
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("loading docker-compose.yml: %v", err)
	}

	wantServices := []string{"collector", "datadog-agent", "jaeger", "sample-app"}
	if got := p.ServiceNames(); !slices.Equal(sorted(got), wantServices) {
		t.Fatalf("services = %v; want %v", got, wantServices)
	}

	t.Run("ports", func(t *testing.T) {
		want := map[string][]string{
			"jaeger":        {"16686:16686", "4317:4317", "4318:4318"},
			"collector":     {"14317:14317", "14318:14318", "24317:24317", "24318:24318", "34317:34317", "34318:34318", "8126:8126"},
			"datadog-agent": {"18126:8126", "44317:4317"},
			"sample-app":    {"8080:8080"},
		}
		for name, ports := range want {
			if got := published(p.Services[name]); !slices.Equal(got, sorted(ports)) {
				t.Errorf("%s publishes %v; want %v", name, got, ports)
			}
		}
		// The lab's fixed ports and the compose file's must agree, so docs
		// and habits carry over from one to the other.
		for _, pp := range lab.PublicPorts() {
			hp := fmt.Sprintf("%d:%d", pp.Port, pp.Port)
			if !slices.Contains(published(p.Services["jaeger"]), hp) && !slices.Contains(published(p.Services["collector"]), hp) {
				t.Errorf("%s: port %s of WithFixedPorts is not published", pp.Name, hp)
			}
		}
	})

	t.Run("environment", func(t *testing.T) {
		for _, tt := range []struct{ service, key, want string }{
			{"datadog-agent", "DD_API_KEY", ddKey}, // taken from the environment
			{"datadog-agent", "DD_OTLP_CONFIG_RECEIVER_PROTOCOLS_GRPC_ENDPOINT", "0.0.0.0:4317"},
			{"datadog-agent", "DD_APM_NON_LOCAL_TRAFFIC", "true"},
			{"sample-app", "ENVIRONMENT", "development"},
			{"sample-app", "TELEMETRY_BACKEND", "jaeger"},
			{"sample-app", "JAEGER_ENDPOINT", "jaeger:4317"},
			{"sample-app", "DD_AGENT_HOST", "collector"},
			{"sample-app", "NEW_RELIC_OTLP_ENDPOINT", "http://collector:14318"},
			{"sample-app", "ELASTIC_APM_SERVER_URL", "http://collector:24318"},
			{"collector", "ELASTIC_APM_SECRET_TOKEN", "lab-secret-token"},
		} {
			if got := env(p.Services[tt.service], tt.key); got != tt.want {
				t.Errorf("%s: %s = %q; want %q", tt.service, tt.key, got, tt.want)
			}
		}
		// The app and the stand-in must agree on the Elastic token.
		if a, c := env(p.Services["sample-app"], "ELASTIC_APM_SECRET_TOKEN"), env(p.Services["collector"], "ELASTIC_APM_SECRET_TOKEN"); a != c {
			t.Errorf("sample-app sends secret token %q, collector expects %q", a, c)
		}
	})

	t.Run("endpoints resolve to services", func(t *testing.T) {
		app := p.Services["sample-app"]
		for _, key := range []string{"JAEGER_ENDPOINT", "NEW_RELIC_OTLP_ENDPOINT", "ELASTIC_APM_SERVER_URL"} {
			h, port := hostPort(t, env(app, key))
			svc, ok := p.Services[h]
			if !ok {
				t.Errorf("%s points at %q, not a service", key, h)
				continue
			}
			if !slices.ContainsFunc(svc.Ports, func(pc types.ServicePortConfig) bool { return int(pc.Target) == port }) {
				t.Errorf("%s points at %s:%d, which %s does not expose", key, h, port, h)
			}
			if !slices.Contains(dependsOn(app), h) {
				t.Errorf("sample-app does not depend on %s", h)
			}
		}
	})

	t.Run("files exist", func(t *testing.T) {
		for _, f := range []string{"sample-app/Dockerfile", "tools/compose/otelcol.yaml"} {
			if _, err := os.Stat(filepath.Join(root, f)); err != nil {
				t.Error(err)
			}
		}
		if b := p.Services["sample-app"].Build; b == nil || b.Dockerfile != "sample-app/Dockerfile" {
			t.Errorf("sample-app build = %+v; want sample-app/Dockerfile", b)
		}
	})
}

// TestComposeNoSecrets reads the file without interpolation: credentials must
// come from the environment (lab stand-ins may default to an obvious
// lab-* placeholder, real vendor keys may not), and no value anywhere may
// look like a pasted key.
func TestComposeNoSecrets(t *testing.T) {
	opts, _ := loadCompose(t, nil, cli.WithInterpolation(false))
	model, err := opts.LoadModel(context.Background())
	if err != nil {
		t.Fatalf("loading docker-compose.yml: %v", err)
	}
	credential := regexp.MustCompile(`(?i)(KEY|TOKEN|SECRET|PASSWORD|LICENSE)`)
	fromEnv := regexp.MustCompile(`^\$\{([A-Z0-9_]+)(:-lab-[a-z-]+)?\}$`)
	vendorKeys := map[string]bool{"DD_API_KEY": true, "NEW_RELIC_LICENSE_KEY": false}
	services, _ := model["services"].(map[string]any)
	checked := 0
	for name, s := range services {
		envMap, _ := s.(map[string]any)["environment"].(map[string]any)
		for k, v := range envMap {
			if !credential.MatchString(k) {
				continue
			}
			checked++
			val, _ := v.(string)
			m := fromEnv.FindStringSubmatch(val)
			switch {
			case m == nil || m[1] != k:
				t.Errorf("%s: %s = %q; want ${%s} from the environment", name, k, val, k)
			case vendorKeys[k] && m[2] != "":
				t.Errorf("%s: %s = %q; a real vendor key must have no default", name, k, val)
			}
		}
	}
	if checked < 5 {
		t.Errorf("checked only %d credential variables; did the environment format change?", checked)
	}
	longToken := regexp.MustCompile(`[A-Za-z0-9]{32,}`) // e.g. a Datadog API key: 32 hex digits
	walkStrings(model, func(path, s string) {
		if longToken.MatchString(s) {
			t.Errorf("%s = %q looks like a hard-coded secret", path, s)
		}
	})
}

func published(s types.ServiceConfig) []string {
	var out []string
	for _, p := range s.Ports {
		out = append(out, p.Published+":"+strconv.Itoa(int(p.Target)))
	}
	return sorted(out)
}

func env(s types.ServiceConfig, key string) string {
	if v := s.Environment[key]; v != nil {
		return *v
	}
	return ""
}

func dependsOn(s types.ServiceConfig) []string {
	var out []string
	for name := range s.DependsOn {
		out = append(out, name)
	}
	return out
}

// hostPort accepts host:port or a URL.
func hostPort(t *testing.T, v string) (string, int) {
	t.Helper()
	if u, err := url.Parse(v); err == nil && u.Host != "" {
		v = u.Host
	}
	h, p, err := net.SplitHostPort(v)
	if err != nil {
		t.Fatalf("%q: %v", v, err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatalf("%q: %v", v, err)
	}
	return h, n
}

func walkStrings(v any, f func(path, s string)) {
	var walk func(string, any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case string:
			f(path, v)
		case map[string]any:
			for k, e := range v {
				walk(path+"."+k, e)
			}
		case []any:
			for i, e := range v {
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
		}
	}
	walk("", v)
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	return s
}
