package bootstrap_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/otelswitch/otelswitch/bootstrap"
	"github.com/otelswitch/otelswitch/internal/detect"
)

func spanResource(t *testing.T, tel *bootstrap.Telemetry) *resource.Resource {
	t.Helper()
	_, span := tel.TracerProvider().Tracer("t").Start(context.Background(), "op")
	span.End()
	ended := tel.Recorder().Ended()
	return ended[len(ended)-1].Resource()
}

func attr(r *resource.Resource, key string) string {
	v, _ := r.Set().Value(attribute.Key(key))
	return v.String()
}

func TestResourceIdentity(t *testing.T) {
	tel, _ := initEnv(t, env{"ENVIRONMENT": "test", "K8S_POD_NAME": "books-7d9f", "K8S_NAMESPACE_NAME": "shop",
		"OTEL_RESOURCE_ATTRIBUTES_NODE_NAME": "node-1"})
	res := spanResource(t, tel)
	id := attr(res, "service.instance.id")
	if !regexp.MustCompile(`^[0-9a-f-]{36}$`).MatchString(id) || id != detect.InstanceID() {
		t.Errorf("service.instance.id %q; want the process's UUID", id)
	}
	for k, v := range map[string]string{"k8s.pod.name": "books-7d9f", "k8s.namespace.name": "shop", "k8s.node.name": "node-1"} {
		if got := attr(res, k); got != v {
			t.Errorf("%s = %q; want %q", k, got, v)
		}
	}
	if b, err := os.ReadFile("/etc/machine-id"); err == nil && len(strings.TrimSpace(string(b))) > 0 {
		if got := attr(res, "host.id"); got != strings.TrimSpace(string(b)) {
			t.Errorf("host.id %q; want /etc/machine-id's %q", got, strings.TrimSpace(string(b)))
		}
	}
	if cid := detect.ContainerID(detect.CgroupPath, detect.MountinfoPath); attr(res, "container.id") != cid {
		t.Errorf("container.id %q; want %q", attr(res, "container.id"), cid)
	}

	// A second Init in the process reports the same instance; the
	// attributes variable overrides it.
	tel2, _ := initEnv(t, env{"ENVIRONMENT": "test"})
	if got := attr(spanResource(t, tel2), "service.instance.id"); got != id {
		t.Errorf("second Init: service.instance.id %q; want %q", got, id)
	}
	tel3, _ := initEnv(t, env{"ENVIRONMENT": "test", "OTEL_RESOURCE_ATTRIBUTES": "service.instance.id=pod-a,k8s.pod.name=explicit", "K8S_POD_NAME": "books-7d9f"})
	res = spanResource(t, tel3)
	if attr(res, "service.instance.id") != "pod-a" || attr(res, "k8s.pod.name") != "explicit" {
		t.Errorf("OTEL_RESOURCE_ATTRIBUTES did not win: %v", res)
	}
}

// Init with a metadata service that never answers returns within the
// detection budget, reports the detector and still works.
func TestInitDetectionBudget(t *testing.T) {
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	defer hang.Close()
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", hang.URL)
	start := time.Now()
	tel, logs := initEnv(t, env{"ENVIRONMENT": "test", "OTEL_RESOURCE_DETECTORS": "aws_ec2", "TELEMETRY_DETECT_TIMEOUT": "250ms"})
	// The budget, plus Init's own work on a loaded machine; the metadata
	// service would hold it 10 s.
	if took := time.Since(start); took > 1250*time.Millisecond {
		t.Errorf("Init took %v with a detection budget of 250ms", took)
	}
	d := tel.Config().Detectors
	if len(d) != 1 || d[0].Name != "aws_ec2" || d[0].Result != detect.TimedOut {
		t.Errorf("Config.Detectors %+v; want aws_ec2 timed out", d)
	}
	if n := strings.Count(logs.String(), "resource detector gave nothing"); n != 1 {
		t.Errorf("%d warnings; want one:\n%s", n, logs)
	}
	for _, bad := range []env{{"OTEL_RESOURCE_DETECTORS": "heroku"}, {"TELEMETRY_DETECT_TIMEOUT": "0s"}} {
		if err := initErr(bad); err == nil || !strings.Contains(err.Error(), "OTEL_RESOURCE_DETECTORS=\"heroku\": unknown detector") && !strings.Contains(err.Error(), "TELEMETRY_DETECT_TIMEOUT=0s: want a positive duration") {
			t.Errorf("%v: error %v", bad, err)
		}
	}
}
