package detect_test

import (
	"regexp"
	"testing"

	"go.opentelemetry.io/otel/attribute"

	"github.com/otelswitch/otelswitch/internal/detect"
	"github.com/otelswitch/otelswitch/internal/testutil"
)

const fixtureID = "3f4e2b1a0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f"

func TestContainerIDFromFixtures(t *testing.T) {
	tests := []struct {
		cgroup, mountinfo, want string
	}{
		{"cgroup-v1-docker", "mountinfo-host", fixtureID},
		{"cgroup-v1-kubepods", "mountinfo-host", fixtureID},
		{"cgroup-v1-ecs-fargate", "mountinfo-host", "55091c13b8d44ab0a5a8f1ee8a5c8b46-527074092"},
		{"cgroup-v2-host-namespace", "mountinfo-host", fixtureID},
		{"cgroup-v2-containerd", "mountinfo-host", fixtureID},
		// cgroup v2 with a private namespace: only the mount table knows.
		{"cgroup-v2-private", "mountinfo-v2-docker", fixtureID},
		{"cgroup-v2-private", "mountinfo-v2-podman", fixtureID},
		// Not in a container.
		{"cgroup-host-v1", "mountinfo-host", ""},
		{"cgroup-v2-private", "mountinfo-host", ""},
		{"missing", "missing", ""},
	}
	for _, tt := range tests {
		got := detect.ContainerID("testdata/"+tt.cgroup, "testdata/"+tt.mountinfo)
		if got != tt.want {
			t.Errorf("%s + %s: container ID %q; want %q", tt.cgroup, tt.mountinfo, got, tt.want)
		}
	}
}

func TestInstanceIDIsAStableUUID(t *testing.T) {
	id := detect.InstanceID()
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(id) {
		t.Errorf("service.instance.id %q is not a version 4 UUID", id)
	}
	if again := detect.InstanceID(); again != id {
		t.Errorf("second call %q; want the same %q for the process's life", again, id)
	}
}

func TestKubernetesFromDownwardAPIAndOperatorVariables(t *testing.T) {
	env := map[string]string{
		"K8S_POD_NAME": "books-7d9f", "K8S_NAMESPACE_NAME": "shop", "K8S_NODE_NAME": "node-1",
		"K8S_POD_UID": "2c48913c-b29f-11e7", "K8S_CONTAINER_NAME": "app",
		// The user's K8S_POD_NAME wins over the Operator's.
		"OTEL_RESOURCE_ATTRIBUTES_POD_NAME": "operator-pod",
	}
	got := attribute.NewSet(detect.Kubernetes(testutil.Env(env).Lookup)...)
	want := map[string]string{
		"k8s.pod.name": "books-7d9f", "k8s.namespace.name": "shop", "k8s.node.name": "node-1",
		"k8s.pod.uid": "2c48913c-b29f-11e7", "k8s.container.name": "app",
	}
	for k, v := range want {
		if g, _ := got.Value(attribute.Key(k)); g.AsString() != v {
			t.Errorf("%s = %q; want %q", k, g.AsString(), v)
		}
	}
	op := map[string]string{"OTEL_RESOURCE_ATTRIBUTES_POD_NAME": "p", "OTEL_RESOURCE_ATTRIBUTES_POD_UID": "u", "OTEL_RESOURCE_ATTRIBUTES_NODE_NAME": "n"}
	got = attribute.NewSet(detect.Kubernetes(testutil.Env(op).Lookup)...)
	for k, v := range map[string]string{"k8s.pod.name": "p", "k8s.pod.uid": "u", "k8s.node.name": "n"} {
		if g, _ := got.Value(attribute.Key(k)); g.AsString() != v {
			t.Errorf("from the Operator's variables: %s = %q; want %q", k, g.AsString(), v)
		}
	}
}
