package detect

import (
	"bufio"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// instanceID is made once per process: every Init in it reports the same
// service.instance.id, and a restarted process a new one.
var instanceID = sync.OnceValue(func() string { return uuid.NewString() })

// InstanceID returns the process's service.instance.id, a random UUID
// (version 4) stable for the life of the process.
func InstanceID() string { return instanceID() }

// Where the kernel describes the process's cgroups.
const (
	CgroupPath    = "/proc/self/cgroup"
	MountinfoPath = "/proc/self/mountinfo"
)

var (
	// A cgroup v1 line is hierarchy-ID:controllers:path, and the container
	// runtimes put the ID in the path's last element: /docker/<id>,
	// /kubepods/.../<id>, cri-containerd-<id>.scope, crio-<id>.scope.
	cgroupLine = regexp.MustCompile(`^\d+:[^:]*:(.+)$`)
	// A 64-hex container ID, or an ECS task's 32-hex-number ID, as the
	// last path element, maybe with a runtime prefix and a .scope suffix.
	containerInPath = regexp.MustCompile(`(?:^|[/\-:])([0-9a-f]{64}|[0-9a-f]{32}-\d+)(?:\.scope)?$`)
	// Under cgroup v2 with a private cgroup namespace /proc/self/cgroup is
	// only "0::/"; the ID is left in the mount sources of files the
	// runtime bind-mounts: .../containers/<id>/hostname, /etc/hosts...
	containerInMount = regexp.MustCompile(`[/-]containers/([0-9a-f]{64})/`)
)

// ContainerID reads the container ID from the cgroup file (cgroup v1, and
// v2 with the host's cgroup namespace), else from the mount table (cgroup
// v2 with a private namespace, the default of Docker and containerd on v2
// hosts). It returns "" outside a container or when neither file names one.
func ContainerID(cgroupPath, mountinfoPath string) string {
	if id := scanFile(cgroupPath, func(line string) string {
		m := cgroupLine.FindStringSubmatch(line)
		if m == nil {
			return ""
		}
		if c := containerInPath.FindStringSubmatch(m[1]); c != nil {
			return c[1]
		}
		return ""
	}); id != "" {
		return id
	}
	return scanFile(mountinfoPath, func(line string) string {
		if m := containerInMount.FindStringSubmatch(line); m != nil {
			return m[1]
		}
		return ""
	})
}

// scanFile returns the first non-empty find over path's lines.
func scanFile(path string, find func(string) string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	return scanLines(f, find)
}

func scanLines(r io.Reader, find func(string) string) string {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if v := find(sc.Text()); v != "" {
			return v
		}
	}
	return ""
}

// kubernetes maps each Kubernetes attribute to the variables that can carry
// it: first the one users set from the downward API, then the one the
// OpenTelemetry Operator injects (it sets the namespace and container name
// in OTEL_RESOURCE_ATTRIBUTES itself).
var kubernetes = []struct {
	key  attribute.Key
	vars []string
}{
	{semconv.K8SNamespaceNameKey, []string{"K8S_NAMESPACE_NAME"}},
	{semconv.K8SPodNameKey, []string{"K8S_POD_NAME", "OTEL_RESOURCE_ATTRIBUTES_POD_NAME"}},
	{semconv.K8SPodUIDKey, []string{"K8S_POD_UID", "OTEL_RESOURCE_ATTRIBUTES_POD_UID"}},
	{semconv.K8SNodeNameKey, []string{"K8S_NODE_NAME", "OTEL_RESOURCE_ATTRIBUTES_NODE_NAME"}},
	{semconv.K8SContainerNameKey, []string{"K8S_CONTAINER_NAME"}},
}

// KubernetesVariables lists every variable Kubernetes reads, for docs.
func KubernetesVariables() []string {
	var vars []string
	for _, k := range kubernetes {
		vars = append(vars, k.vars...)
	}
	return vars
}

// Kubernetes returns the Kubernetes attributes the variables set.
func Kubernetes(lookup func(string) (string, bool)) []attribute.KeyValue {
	var attrs []attribute.KeyValue
	for _, k := range kubernetes {
		for _, v := range k.vars {
			if val, ok := lookup(v); ok && strings.TrimSpace(val) != "" {
				attrs = append(attrs, k.key.String(strings.TrimSpace(val)))
				break
			}
		}
	}
	return attrs
}
