//go:build !otelswitch_nocloud

package detect

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// The service account files Kubernetes mounts in every pod, where
// client-go's rest.InClusterConfig reads them. Variables so that tests can
// point them at fixtures.
var (
	k8sTokenPath = "/var/run/secrets/kubernetes.io/serviceaccount/token"
	k8sCAPath    = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"
)

// maxConfigMap bounds what is read of a ConfigMap: aws-auth lists the
// cluster's role mappings, a few kilobytes in practice.
const maxConfigMap = 1 << 20

// eks detects Amazon EKS as the contrib detector go.opentelemetry.io/contrib/
// detectors/aws/eks (v1.47) does, without its k8s.io/client-go dependency
// (which alone would add the Kubernetes API machinery to every binary):
//   - in a pod when KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are
//     set and the service account token and CA files exist (rest.InClusterConfig
//     and the detector's isK8s); otherwise not detected;
//   - on EKS when the API server returns the ConfigMap kube-system/aws-auth;
//     an error or a status other than 2xx fails the detector, as contrib's;
//   - k8s.cluster.name from amazon-cloudwatch/cluster-info's "cluster.name".
//
// Unlike contrib, container.id comes from ContainerID (cgroup v1 and v2, any
// runtime) and is left out when none is found: contrib matches /docker/ in
// /proc/self/cgroup only and fails on containerd nodes.
type eks struct {
	tokenPath, caPath string
}

func newEKS() eks { return eks{tokenPath: k8sTokenPath, caPath: k8sCAPath} }

// Detect implements resource.Detector.
func (d eks) Detect(ctx context.Context) (*resource.Resource, error) {
	api, ok, err := d.client()
	if err != nil || !ok {
		return resource.Empty(), err
	}
	defer api.client.CloseIdleConnections()
	auth, err := api.configMap(ctx, "kube-system", "aws-auth")
	if err != nil {
		return nil, fmt.Errorf("aws_eks: is this EKS? %w", err)
	}
	if auth == nil {
		return resource.Empty(), nil // contrib: a ConfigMap without data is not EKS's
	}
	attrs := []attribute.KeyValue{semconv.CloudProviderAWS, semconv.CloudPlatformAWSEKS}
	info, err := api.configMap(ctx, "amazon-cloudwatch", "cluster-info")
	if err != nil {
		return nil, fmt.Errorf("aws_eks: cluster name: %w", err)
	}
	if name := info["cluster.name"]; name != "" {
		attrs = append(attrs, semconv.K8SClusterName(name))
	}
	if id := ContainerID(CgroupPath, MountinfoPath); id != "" {
		attrs = append(attrs, semconv.ContainerID(id))
	}
	return resource.NewWithAttributes(semconv.SchemaURL, attrs...), nil
}

// kubeAPI is the in-cluster API server, reached as client-go reaches it:
// https to KUBERNETES_SERVICE_HOST:PORT, trusting the service account's CA,
// with its token as a bearer credential.
type kubeAPI struct {
	base   string
	token  string
	client *http.Client
}

// client returns the in-cluster API client, ok false outside a pod.
func (d eks) client() (api kubeAPI, ok bool, err error) {
	host, port := os.Getenv("KUBERNETES_SERVICE_HOST"), os.Getenv("KUBERNETES_SERVICE_PORT")
	if host == "" || port == "" {
		return api, false, nil
	}
	token, err := os.ReadFile(d.tokenPath)
	if errors.Is(err, fs.ErrNotExist) {
		return api, false, nil
	}
	if err != nil {
		return api, false, fmt.Errorf("aws_eks: service account token: %w", err)
	}
	ca, err := os.ReadFile(d.caPath)
	if errors.Is(err, fs.ErrNotExist) {
		return api, false, nil
	}
	pool := x509.NewCertPool()
	if err != nil || !pool.AppendCertsFromPEM(ca) {
		return api, false, fmt.Errorf("aws_eks: service account CA %s holds no PEM certificate (%v)", d.caPath, err)
	}
	tr := &http.Transport{
		Proxy:           http.ProxyFromEnvironment, // as client-go's default transport
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	}
	return kubeAPI{
		base:   "https://" + net.JoinHostPort(host, port),
		token:  strings.TrimSpace(string(token)),
		client: &http.Client{Transport: tr},
	}, true, nil
}

// configMap returns the data of ConfigMap namespace/name.
func (k kubeAPI) configMap(ctx context.Context, namespace, name string) (map[string]string, error) {
	u := k.base + "/api/v1/namespaces/" + namespace + "/configmaps/" + name
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, http.NoBody)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+k.token)
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("ConfigMap %s/%s: %w", namespace, name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("ConfigMap %s/%s: %s", namespace, name, resp.Status)
	}
	var cm struct {
		Data map[string]string `json:"data"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxConfigMap)).Decode(&cm); err != nil {
		return nil, fmt.Errorf("ConfigMap %s/%s: %w", namespace, name, err)
	}
	return cm.Data, nil
}
