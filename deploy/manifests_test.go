package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// manifests is every object in kubernetes/*.yaml, decoded into its API type.
type manifests struct {
	namespaces   map[string]*corev1.Namespace
	configMaps   map[string]*corev1.ConfigMap
	services     map[string]*corev1.Service
	accounts     map[string]*corev1.ServiceAccount
	daemonSets   map[string]*appsv1.DaemonSet
	deployments  map[string]*appsv1.Deployment
	pdbs         map[string]*policyv1.PodDisruptionBudget
	clusterRoles map[string]*rbacv1.ClusterRole
	bindings     map[string]*rbacv1.ClusterRoleBinding
}

// newObject returns an empty object of the API type for apiVersion and kind,
// and the map it belongs in.
func (m *manifests) newObject(apiVersion, kind string) (obj any, store func(name string), err error) {
	switch apiVersion + " " + kind {
	case "v1 Namespace":
		o := &corev1.Namespace{}
		return o, func(n string) { m.namespaces[n] = o }, nil
	case "v1 ConfigMap":
		o := &corev1.ConfigMap{}
		return o, func(n string) { m.configMaps[n] = o }, nil
	case "v1 Service":
		o := &corev1.Service{}
		return o, func(n string) { m.services[n] = o }, nil
	case "v1 ServiceAccount":
		o := &corev1.ServiceAccount{}
		return o, func(n string) { m.accounts[n] = o }, nil
	case "apps/v1 DaemonSet":
		o := &appsv1.DaemonSet{}
		return o, func(n string) { m.daemonSets[n] = o }, nil
	case "apps/v1 Deployment":
		o := &appsv1.Deployment{}
		return o, func(n string) { m.deployments[n] = o }, nil
	case "policy/v1 PodDisruptionBudget":
		o := &policyv1.PodDisruptionBudget{}
		return o, func(n string) { m.pdbs[n] = o }, nil
	case "rbac.authorization.k8s.io/v1 ClusterRole":
		o := &rbacv1.ClusterRole{}
		return o, func(n string) { m.clusterRoles[n] = o }, nil
	case "rbac.authorization.k8s.io/v1 ClusterRoleBinding":
		o := &rbacv1.ClusterRoleBinding{}
		return o, func(n string) { m.bindings[n] = o }, nil
	}
	return nil, nil, fmt.Errorf("apiVersion %q kind %q: not a type these tests know", apiVersion, kind)
}

// docSeparator splits a YAML stream into documents.
var docSeparator = regexp.MustCompile(`(?m)^---[ \t]*$`)

// loadManifests decodes every document of every kubernetes/*.yaml file
// strictly: an unknown or duplicated field is an error, as is a value of the
// wrong type, and so is a second object with the same kind and name.
func loadManifests(t *testing.T) *manifests {
	t.Helper()
	m := &manifests{
		namespaces: map[string]*corev1.Namespace{}, configMaps: map[string]*corev1.ConfigMap{},
		services: map[string]*corev1.Service{}, accounts: map[string]*corev1.ServiceAccount{},
		daemonSets: map[string]*appsv1.DaemonSet{}, deployments: map[string]*appsv1.Deployment{},
		pdbs: map[string]*policyv1.PodDisruptionBudget{}, clusterRoles: map[string]*rbacv1.ClusterRole{},
		bindings: map[string]*rbacv1.ClusterRoleBinding{},
	}
	files, err := filepath.Glob("kubernetes/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in kubernetes/ (%v)", err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range docSeparator.Split(string(b), -1) {
			if isEmptyDoc(doc) {
				continue
			}
			var tm metav1.TypeMeta
			if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
				t.Fatalf("%s document %d: %v", f, i+1, err)
			}
			obj, store, err := m.newObject(tm.APIVersion, tm.Kind)
			if err != nil {
				t.Fatalf("%s document %d: %v", f, i+1, err)
			}
			if err := decodeStrict([]byte(doc), obj); err != nil {
				t.Fatalf("%s document %d (%s): %v", f, i+1, tm.Kind, err)
			}
			meta := obj.(metav1.Object)
			key := tm.Kind + "/" + meta.GetNamespace() + "/" + meta.GetName()
			if meta.GetName() == "" {
				t.Fatalf("%s document %d: %s without a name", f, i+1, tm.Kind)
			}
			if seen[key] {
				t.Fatalf("%s document %d: %s defined twice", f, i+1, key)
			}
			seen[key] = true
			store(meta.GetName())
		}
	}
	return m
}

// decodeStrict decodes one YAML document the way the API server's strict
// field validation does: YAML to JSON refusing duplicate keys, then JSON into
// the type refusing unknown fields and fields whose case differs from the
// type's (encoding/json alone would accept clusterIp for clusterIP).
func decodeStrict(doc []byte, obj any) error {
	j, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return err
	}
	strict, err := sigsjson.UnmarshalStrict(j, obj)
	if err != nil {
		return err
	}
	return errors.Join(strict...)
}

func isEmptyDoc(doc string) bool {
	for _, line := range strings.Split(doc, "\n") {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
			return false
		}
	}
	return true
}

// TestStrictDecodingRejectsUnknownFields shows the decoder used here is
// strict, so a typo in a manifest cannot pass as an ignored field.
func TestStrictDecodingRejectsUnknownFields(t *testing.T) {
	doc := []byte("apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec:\n  clusterIp: None\n")
	if err := decodeStrict(doc, &corev1.Service{}); err == nil || !strings.Contains(err.Error(), "clusterIp") {
		t.Fatalf("strict decoding of a misspelt field: err = %v, want one naming clusterIp", err)
	}
}

func TestManifests(t *testing.T) {
	m := loadManifests(t)
	agentDS := get(t, m.daemonSets, "otelswitch-agent")
	gatewayDep := get(t, m.deployments, "otelswitch-gateway")
	appDep := get(t, m.deployments, "books")
	headless := get(t, m.services, "otelswitch-gateway-headless")
	env := readEnvFile(t, exampleEnv)

	t.Run("namespaces", func(t *testing.T) {
		check := func(kind, name, ns string) {
			if ns == "" {
				t.Errorf("%s %s has no namespace", kind, name)
			} else if m.namespaces[ns] == nil {
				t.Errorf("%s %s is in namespace %q, which no manifest creates", kind, name, ns)
			}
		}
		for n, o := range m.configMaps {
			check("ConfigMap", n, o.Namespace)
		}
		for n, o := range m.services {
			check("Service", n, o.Namespace)
		}
		for n, o := range m.accounts {
			check("ServiceAccount", n, o.Namespace)
		}
		for n, o := range m.daemonSets {
			check("DaemonSet", n, o.Namespace)
		}
		for n, o := range m.deployments {
			check("Deployment", n, o.Namespace)
		}
		for n, o := range m.pdbs {
			check("PodDisruptionBudget", n, o.Namespace)
		}
	})

	t.Run("workloads", func(t *testing.T) {
		check := func(kind, name string, sel *metav1.LabelSelector, tpl corev1.PodTemplateSpec) {
			s, err := metav1.LabelSelectorAsSelector(sel)
			if err != nil || s.Empty() {
				t.Errorf("%s %s: selector %v: %v", kind, name, sel, err)
			} else if !s.Matches(labels.Set(tpl.Labels)) {
				t.Errorf("%s %s: selector %v does not match its pod labels %v", kind, name, sel, tpl.Labels)
			}
			for _, c := range tpl.Spec.Containers {
				checkContainer(t, kind+" "+name, c)
			}
		}
		for n, o := range m.daemonSets {
			check("DaemonSet", n, o.Spec.Selector, o.Spec.Template)
		}
		for n, o := range m.deployments {
			check("Deployment", n, o.Spec.Selector, o.Spec.Template)
		}
	})

	t.Run("services select pods", func(t *testing.T) {
		for n, svc := range m.services {
			pods := podsSelected(m, svc.Namespace, labels.SelectorFromSet(svc.Spec.Selector))
			if len(pods) == 0 {
				t.Errorf("Service %s selects no pod template", n)
			}
			for _, p := range svc.Spec.Ports {
				for _, pod := range pods {
					if _, ok := containerPort(pod.Spec, p.TargetPort.String()); !ok && p.TargetPort.IntValue() == 0 {
						t.Errorf("Service %s port %s targets %q, which its pods do not name", n, p.Name, p.TargetPort.String())
					}
				}
			}
		}
	})

	t.Run("pod disruption budget", func(t *testing.T) {
		pdb := get(t, m.pdbs, "otelswitch-gateway")
		sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
		if err != nil {
			t.Fatal(err)
		}
		if pdb.Namespace != gatewayDep.Namespace || !sel.Matches(labels.Set(gatewayDep.Spec.Template.Labels)) {
			t.Errorf("PodDisruptionBudget %s does not cover the gateway's pods", pdb.Name)
		}
		if pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.IntValue() < 1 ||
			int32(pdb.Spec.MinAvailable.IntValue()) >= *gatewayDep.Spec.Replicas {
			t.Errorf("PodDisruptionBudget minAvailable %v: want at least 1 and fewer than the gateway's %d replicas",
				pdb.Spec.MinAvailable, *gatewayDep.Spec.Replicas)
		}
	})

	t.Run("rbac", func(t *testing.T) {
		sa := agentDS.Spec.Template.Spec.ServiceAccountName
		acct := get(t, m.accounts, sa)
		if acct.Namespace != agentDS.Namespace {
			t.Errorf("ServiceAccount %s is in %s, the agent in %s", sa, acct.Namespace, agentDS.Namespace)
		}
		bound := false
		for _, b := range m.bindings {
			for _, s := range b.Subjects {
				if s.Kind == "ServiceAccount" && s.Name == sa && s.Namespace == agentDS.Namespace {
					role := get(t, m.clusterRoles, b.RoleRef.Name)
					for _, res := range []string{"pods", "namespaces", "replicasets"} {
						if !grants(role, res, "watch") || !grants(role, res, "list") {
							t.Errorf("ClusterRole %s does not let the agent list and watch %s (k8sattributes needs it)", role.Name, res)
						}
					}
					bound = true
				}
			}
		}
		if !bound {
			t.Errorf("no ClusterRoleBinding binds ServiceAccount %s", sa)
		}
	})

	agent := collectorContainer(t, agentDS.Spec.Template.Spec)
	gateway := collectorContainer(t, gatewayDep.Spec.Template.Spec)

	t.Run("collector configs", func(t *testing.T) {
		for _, c := range []struct {
			name, file, ns string
			pod            corev1.PodSpec
			container      corev1.Container
		}{
			{"agent", agentConfig, agentDS.Namespace, agentDS.Spec.Template.Spec, agent},
			{"gateway", gatewayConfig, gatewayDep.Namespace, gatewayDep.Spec.Template.Spec, gateway},
		} {
			// The container runs the config file that is in the repository.
			path := mountedConfig(t, c.name, c.container)
			cm := configMapAt(t, m, c.pod, c.container, path)
			want, err := os.ReadFile(c.file)
			if err != nil {
				t.Fatal(err)
			}
			if cm.Namespace != c.ns {
				t.Errorf("%s's ConfigMap %s is in namespace %s, the %s in %s", c.name, cm.Name, cm.Namespace, c.name, c.ns)
			}
			if got := cm.Data[filepath.Base(path)]; got != string(want) {
				t.Errorf("ConfigMap %s key %s differs from %s; copy the file into it (indented by 4)", cm.Name, filepath.Base(path), c.file)
			}
			// It sets exactly the variables the config reads.
			read := configVars(t, c.file)
			set := map[string]corev1.EnvVar{}
			for _, e := range c.container.Env {
				set[e.Name] = e
				if !read[e.Name] {
					t.Errorf("the %s sets %s, which %s does not read", c.name, e.Name, c.file)
				}
			}
			for v := range read {
				if _, ok := set[v]; !ok {
					t.Errorf("the %s does not set %s, which %s reads", c.name, v, c.file)
				}
			}
			// Credentials only from a Secret, never a literal in a manifest.
			for _, e := range c.container.Env {
				if isCredential(e.Name) && (e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil) {
					t.Errorf("the %s's %s is not from a Secret", c.name, e.Name)
				}
			}
			// Image: the contrib release the project's collector is pinned to.
			if want := "otel/opentelemetry-collector-contrib:" + contribVersion(t); c.container.Image != want {
				t.Errorf("the %s runs %s, want %s (tools/collector/builder-config.yaml's contrib release)", c.name, c.container.Image, want)
			}
			// Probes on the health extension's port.
			health := portOf(t, c.name, value(t, c.container, strings.ToUpper(c.name)+"_HEALTH_ENDPOINT"))
			for what, p := range map[string]*corev1.Probe{"readiness": c.container.ReadinessProbe, "liveness": c.container.LivenessProbe} {
				if p == nil || p.HTTPGet == nil {
					t.Errorf("the %s has no HTTP %s probe", c.name, what)
					continue
				}
				if port := resolvePort(t, c.container, p.HTTPGet.Port.String()); port != health {
					t.Errorf("the %s's %s probe is on port %d, the health extension on %d", c.name, what, port, health)
				}
			}
			// The OTLP ports the config listens on are the ones declared.
			prefix := strings.ToUpper(c.name)
			for portName, v := range map[string]string{"otlp-grpc": prefix + "_OTLP_GRPC_ENDPOINT", "otlp-http": prefix + "_OTLP_HTTP_ENDPOINT", "metrics": prefix + "_METRICS_PORT"} {
				want := portOf(t, c.name, value(t, c.container, v))
				if got, ok := containerPort(c.pod, portName); !ok || int(got.ContainerPort) != want {
					t.Errorf("the %s's %s port is %d, %s says %d", c.name, portName, got.ContainerPort, v, want)
				}
			}
			// Literal values agree with example.env except where a manifest
			// must differ (keys come from the Secret).
			// The exporter lists differ on purpose: example.env enables every
			// vendor so validation covers them all, the manifest only Jaeger.
			for _, e := range c.container.Env {
				if e.ValueFrom == nil && !strings.HasSuffix(e.Name, "_EXPORTERS") && e.Value != env[e.Name] {
					t.Errorf("the %s sets %s=%q, example.env %q", c.name, e.Name, e.Value, env[e.Name])
				}
			}
		}
	})

	t.Run("agent to gateway", func(t *testing.T) {
		// The agent resolves the headless Service's DNS name.
		if headless.Spec.ClusterIP != corev1.ClusterIPNone {
			t.Errorf("Service %s is not headless (clusterIP %q): the load-balancing exporter would see one address", headless.Name, headless.Spec.ClusterIP)
		}
		wantHost := headless.Name + "." + headless.Namespace + ".svc.cluster.local"
		if got := value(t, agent, "GATEWAY_HOSTNAME"); got != wantHost {
			t.Errorf("agent GATEWAY_HOSTNAME=%q, want the headless Service %q", got, wantHost)
		}
		if pods := podsSelected(m, headless.Namespace, labels.SelectorFromSet(headless.Spec.Selector)); len(pods) != 1 || pods[0].Labels["app.kubernetes.io/name"] != gatewayDep.Spec.Template.Labels["app.kubernetes.io/name"] {
			t.Errorf("Service %s does not select exactly the gateway's pods", headless.Name)
		}
		port, err := strconv.Atoi(value(t, agent, "GATEWAY_OTLP_PORT"))
		if err != nil {
			t.Fatal(err)
		}
		grpc := portOf(t, "gateway", value(t, gateway, "GATEWAY_OTLP_GRPC_ENDPOINT"))
		svcPort := slices.IndexFunc(headless.Spec.Ports, func(p corev1.ServicePort) bool { return int(p.Port) == port })
		if port != grpc || svcPort < 0 {
			t.Errorf("agent sends to port %d; the gateway listens on %d; the headless Service has %v", port, grpc, headless.Spec.Ports)
		}
		// K8S_NODE_NAME is the node the agent runs on (k8sattributes' filter).
		if e := envVar(t, agent, "K8S_NODE_NAME"); e.ValueFrom == nil || e.ValueFrom.FieldRef == nil || e.ValueFrom.FieldRef.FieldPath != "spec.nodeName" {
			t.Errorf("agent K8S_NODE_NAME is not the downward API's spec.nodeName: %+v", e)
		}
		// Only the gateway holds keys.
		for _, c := range []corev1.Container{agent, collectorContainer(t, appDep.Spec.Template.Spec)} {
			for _, e := range c.Env {
				if isCredential(e.Name) {
					t.Errorf("%s sets %s: keys belong to the gateway only", c.Name, e.Name)
				}
			}
		}
	})

	t.Run("app to agent", func(t *testing.T) {
		app := appDep.Spec.Template.Spec.Containers[0]
		want := map[string]string{
			"TELEMETRY_BACKEND":           "otlp",
			"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
		}
		for k, v := range want {
			if got := value(t, app, k); got != v {
				t.Errorf("app %s=%q, want %q", k, got, v)
			}
		}
		// The endpoint is this node's agent: the node IP and the agent's
		// OTLP gRPC hostPort.
		if e := envVar(t, app, "NODE_IP"); e.ValueFrom == nil || e.ValueFrom.FieldRef == nil || e.ValueFrom.FieldRef.FieldPath != "status.hostIP" {
			t.Errorf("app NODE_IP is not the downward API's status.hostIP: %+v", e)
		}
		hostPort, ok := containerPort(agentDS.Spec.Template.Spec, "otlp-grpc")
		if !ok || hostPort.HostPort == 0 || hostPort.HostPort != hostPort.ContainerPort {
			t.Fatalf("the agent's otlp-grpc port %+v is not a hostPort equal to its containerPort", hostPort)
		}
		if got, want := value(t, app, "OTEL_EXPORTER_OTLP_ENDPOINT"), fmt.Sprintf("http://$(NODE_IP):%d", hostPort.HostPort); got != want {
			t.Errorf("app OTEL_EXPORTER_OTLP_ENDPOINT=%q, want %q", got, want)
		}
		// Identity from the downward API, referenced before use (Kubernetes
		// expands $(VAR) only for variables defined earlier in the list).
		fields := map[string]string{
			"K8S_POD_NAME": "metadata.name", "K8S_POD_UID": "metadata.uid", "K8S_POD_IP": "status.podIP",
			"K8S_NAMESPACE_NAME": "metadata.namespace", "K8S_NODE_NAME": "spec.nodeName",
		}
		attrs := value(t, app, "OTEL_RESOURCE_ATTRIBUTES")
		resIdx := slices.IndexFunc(app.Env, func(e corev1.EnvVar) bool { return e.Name == "OTEL_RESOURCE_ATTRIBUTES" })
		for v, path := range fields {
			e := envVar(t, app, v)
			if e.ValueFrom == nil || e.ValueFrom.FieldRef == nil || e.ValueFrom.FieldRef.FieldPath != path {
				t.Errorf("app %s is not the downward API's %s", v, path)
			}
			if !strings.Contains(attrs, "$("+v+")") {
				t.Errorf("app OTEL_RESOURCE_ATTRIBUTES does not use $(%s)", v)
			}
			if slices.IndexFunc(app.Env, func(e corev1.EnvVar) bool { return e.Name == v }) > resIdx {
				t.Errorf("app %s is defined after OTEL_RESOURCE_ATTRIBUTES, so $(%s) would not expand", v, v)
			}
		}
		// The agent's k8sattributes associates by these resource attributes.
		agentCfg, err := os.ReadFile(agentConfig)
		if err != nil {
			t.Fatal(err)
		}
		for _, attr := range []string{"k8s.pod.uid", "k8s.pod.ip"} {
			if !strings.Contains(attrs, attr+"=") || !bytes.Contains(agentCfg, []byte("name: "+attr)) {
				t.Errorf("%s is not both set by the app and used by the agent's pod_association", attr)
			}
		}
		// The app's probes hit its own port.
		for _, p := range []*corev1.Probe{app.ReadinessProbe, app.LivenessProbe} {
			if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/health" {
				t.Errorf("app probe %+v: want GET /health", p)
			}
		}
	})
}

// checkContainer: requests on every container, named ports unique.
func checkContainer(t *testing.T, owner string, c corev1.Container) {
	t.Helper()
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() {
		t.Errorf("%s container %s: no cpu and memory requests", owner, c.Name)
	}
	if c.Resources.Limits.Memory().IsZero() {
		t.Errorf("%s container %s: no memory limit", owner, c.Name)
	}
	if c.Image == "" || strings.HasSuffix(c.Image, ":latest") || !strings.Contains(c.Image, ":") {
		t.Errorf("%s container %s: image %q is not pinned to a tag", owner, c.Name, c.Image)
	}
	names := map[string]bool{}
	for _, p := range c.Ports {
		if names[p.Name] {
			t.Errorf("%s container %s: port name %s twice", owner, c.Name, p.Name)
		}
		names[p.Name] = true
	}
}

func get[T any](t *testing.T, m map[string]*T, name string) *T {
	t.Helper()
	o, ok := m[name]
	if !ok {
		t.Fatalf("no %T named %s in kubernetes/", o, name)
	}
	return o
}

func collectorContainer(t *testing.T, pod corev1.PodSpec) corev1.Container {
	t.Helper()
	if len(pod.Containers) != 1 {
		t.Fatalf("want one container, got %d", len(pod.Containers))
	}
	return pod.Containers[0]
}

func podsSelected(m *manifests, ns string, sel labels.Selector) []corev1.PodTemplateSpec {
	var pods []corev1.PodTemplateSpec
	for _, o := range m.daemonSets {
		if o.Namespace == ns && sel.Matches(labels.Set(o.Spec.Template.Labels)) {
			pods = append(pods, o.Spec.Template)
		}
	}
	for _, o := range m.deployments {
		if o.Namespace == ns && sel.Matches(labels.Set(o.Spec.Template.Labels)) {
			pods = append(pods, o.Spec.Template)
		}
	}
	return pods
}

func containerPort(pod corev1.PodSpec, name string) (corev1.ContainerPort, bool) {
	for _, c := range pod.Containers {
		for _, p := range c.Ports {
			if p.Name == name {
				return p, true
			}
		}
	}
	return corev1.ContainerPort{}, false
}

// resolvePort turns a probe's port (a number or a port name) into a number.
func resolvePort(t *testing.T, c corev1.Container, port string) int {
	t.Helper()
	if n, err := strconv.Atoi(port); err == nil {
		return n
	}
	for _, p := range c.Ports {
		if p.Name == port {
			return int(p.ContainerPort)
		}
	}
	t.Errorf("container %s has no port named %s", c.Name, port)
	return -1
}

func envVar(t *testing.T, c corev1.Container, name string) corev1.EnvVar {
	t.Helper()
	for _, e := range c.Env {
		if e.Name == name {
			return e
		}
	}
	t.Fatalf("container %s does not set %s", c.Name, name)
	return corev1.EnvVar{}
}

func value(t *testing.T, c corev1.Container, name string) string {
	t.Helper()
	return envVar(t, c, name).Value
}

// portOf reads the port of host:port, or a bare port number.
func portOf(t *testing.T, owner, v string) int {
	t.Helper()
	if _, p, err := net.SplitHostPort(v); err == nil {
		v = p
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("%s: %q is not host:port or a port", owner, v)
	}
	return n
}

// mountedConfig returns the path the container's --config flag names.
func mountedConfig(t *testing.T, name string, c corev1.Container) string {
	t.Helper()
	for _, a := range append(slices.Clone(c.Command), c.Args...) {
		if p, ok := strings.CutPrefix(a, "--config="); ok {
			return p
		}
	}
	t.Fatalf("the %s container has no --config=PATH argument", name)
	return ""
}

// configMapAt returns the ConfigMap mounted at path's directory.
func configMapAt(t *testing.T, m *manifests, pod corev1.PodSpec, c corev1.Container, path string) *corev1.ConfigMap {
	t.Helper()
	for _, vm := range c.VolumeMounts {
		if vm.MountPath != filepath.Dir(path) {
			continue
		}
		for _, v := range pod.Volumes {
			if v.Name == vm.Name && v.ConfigMap != nil {
				return get(t, m.configMaps, v.ConfigMap.Name)
			}
		}
	}
	t.Fatalf("container %s: no ConfigMap mounted at %s", c.Name, filepath.Dir(path))
	return nil
}

func grants(role *rbacv1.ClusterRole, resource, verb string) bool {
	for _, r := range role.Rules {
		if slices.Contains(r.Resources, resource) && slices.Contains(r.Verbs, verb) {
			return true
		}
	}
	return false
}

func isCredential(name string) bool {
	return strings.HasSuffix(name, "_API_KEY") || strings.HasSuffix(name, "_LICENSE_KEY") || strings.HasSuffix(name, "_SECRET_TOKEN")
}

// contribVersion reads the contrib release tools/collector is built from.
func contribVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../tools/collector/builder-config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`opentelemetry-collector-contrib/\S+ v(\d+\.\d+\.\d+)`).FindAllSubmatch(b, -1)
	if len(m) == 0 {
		t.Fatal("no contrib module in tools/collector/builder-config.yaml")
	}
	for _, x := range m[1:] {
		if string(x[1]) != string(m[0][1]) {
			t.Fatalf("tools/collector mixes contrib releases %s and %s", m[0][1], x[1])
		}
	}
	return string(m[0][1])
}
