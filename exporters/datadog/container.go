package datadog

import (
	"net/http"

	"go.opentelemetry.io/otel/sdk/resource"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// containerIDHeader is the header dd-trace-go sends the container ID in; the
// Agent looks the container's tags (pod, namespace, image...) up by it.
const containerIDHeader = "Datadog-Container-ID"

// containerIDOf returns the container.id the resource carries, or "".
func containerIDOf(r *resource.Resource) string {
	if r == nil {
		return ""
	}
	v, _ := r.Set().Value(semconv.ContainerIDKey)
	return v.AsString()
}

// containerTransport adds Datadog-Container-ID to requests dd-trace-go
// sends without it. dd-trace-go finds the ID in /proc/self/cgroup only,
// which under cgroup v2 with a private namespace (Docker's and
// containerd's default on v2 hosts) holds none; otelswitch's detection also
// reads the mount table (internal/detect).
type containerTransport struct {
	next http.RoundTripper
	id   string
}

func (t containerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get(containerIDHeader) == "" {
		r = r.Clone(r.Context())
		r.Header.Set(containerIDHeader, t.id)
	}
	return t.next.RoundTrip(r)
}

// withContainerID makes c send id as Datadog-Container-ID; "" changes
// nothing.
func withContainerID(c *http.Client, id string) *http.Client {
	if id != "" {
		c.Transport = containerTransport{next: c.Transport, id: id}
	}
	return c
}
