//go:build !otelswitch_nocloud

package detect_test

import (
	"bytes"
	"context"
	"encoding/pem"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/otelswitch/otelswitch/internal/detect"
)

// standIn serves the paths given, 404 elsewhere, like a metadata service.
func standIn(t *testing.T, paths map[string]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := paths[r.Method+" "+r.URL.Path]
		if !ok {
			body, ok = paths[r.URL.Path]
		}
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Metadata-Flavor", "Google")
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func value(r *resource.Resource, key string) string {
	v, _ := r.Set().Value(attribute.Key(key))
	return v.String()
}

func TestCloudEC2AgainstAStandInIMDS(t *testing.T) {
	srv := standIn(t, map[string]string{
		"PUT /latest/api/token": "token",
		"/latest/dynamic/instance-identity/document": `{"accountId":"123456789012","availabilityZone":"eu-west-1a",
			"imageId":"ami-5fb8c835","instanceId":"i-0abc","instanceType":"t3.small","region":"eu-west-1"}`,
		"/latest/meta-data/hostname": "ip-10-0-0-1.eu-west-1.compute.internal",
	})
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", srv.URL)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "false")
	res, out := detect.Cloud(context.Background(), []string{"aws_ec2"}, 5*time.Second, nil)
	if out[0].Result != detect.Detected {
		t.Fatalf("outcome %+v", out)
	}
	for k, v := range map[string]string{"cloud.provider": "aws", "cloud.platform": "aws_ec2", "cloud.region": "eu-west-1",
		"host.id": "i-0abc", "host.type": "t3.small", "host.name": "ip-10-0-0-1.eu-west-1.compute.internal"} {
		if got := value(res, k); got != v {
			t.Errorf("%s = %q; want %q", k, got, v)
		}
	}
}

func TestCloudECSAgainstAStandInTaskMetadataEndpoint(t *testing.T) {
	srv := standIn(t, map[string]string{
		"/v4": `{"DockerId":"ea32192c8553fbff06c9340478a2ff089b2bb5646fb718b4ee206641c9086d66","Name":"app",
			"ContainerARN":"arn:aws:ecs:us-west-2:111122223333:container/0206b271-b33f-47ab-86c6-a0ba208a70a9","LogDriver":"json-file"}`,
		"/v4/task": `{"Cluster":"arn:aws:ecs:us-west-2:111122223333:cluster/default",
			"TaskARN":"arn:aws:ecs:us-west-2:111122223333:task/default/158d1c8083dd49d6b527399fd6414f5c",
			"Family":"books","Revision":"26","AvailabilityZone":"us-west-2d","LaunchType":"FARGATE"}`,
	})
	t.Setenv("ECS_CONTAINER_METADATA_URI_V4", srv.URL+"/v4")
	res, out := detect.Cloud(context.Background(), []string{"aws_ecs"}, 5*time.Second, nil)
	if out[0].Result != detect.Detected {
		t.Fatalf("outcome %+v", out)
	}
	for k, v := range map[string]string{"cloud.platform": "aws_ecs", "cloud.region": "us-west-2", "cloud.account.id": "111122223333",
		"aws.ecs.task.family": "books", "aws.ecs.launchtype": "fargate"} {
		if got := value(res, k); got != v {
			t.Errorf("%s = %q; want %q", k, got, v)
		}
	}
}

func TestCloudGCPAgainstAStandInMetadataServer(t *testing.T) {
	srv := standIn(t, map[string]string{
		"/computeMetadata/v1/project/project-id":         "shop-prod",
		"/computeMetadata/v1/instance/id":                "4520031799277581759",
		"/computeMetadata/v1/instance/zone":              "projects/233510669999/zones/europe-west1-b",
		"/computeMetadata/v1/instance/machine-type":      "projects/233510669999/machineTypes/e2-small",
		"/computeMetadata/v1/instance/name":              "books-vm",
		"/computeMetadata/v1/instance/hostname":          "books-vm.c.shop-prod.internal",
		"/computeMetadata/v1/instance/attributes/":       "",
		"/computeMetadata/v1/instance/attributes/region": "europe-west1",
	})
	t.Setenv("GCE_METADATA_HOST", strings.TrimPrefix(srv.URL, "http://"))
	res, out := detect.Cloud(context.Background(), []string{"gcp"}, 5*time.Second, nil)
	if out[0].Result != detect.Detected {
		t.Fatalf("outcome %+v", out)
	}
	for k, v := range map[string]string{"cloud.provider": "gcp", "cloud.account.id": "shop-prod", "host.id": "4520031799277581759",
		"cloud.availability_zone": "europe-west1-b"} {
		if got := value(res, k); got != v {
			t.Errorf("%s = %q; want %q", k, got, v)
		}
	}
}

// A metadata service that never answers costs the budget, no more; the
// detector is logged once and reported, and the others still count.
func TestCloudBudgetBoundsAHangingDetector(t *testing.T) {
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	defer hang.Close()
	ecs := standIn(t, map[string]string{
		"/v4":      `{"Name":"app","ContainerARN":"arn:aws:ecs:us-west-2:111122223333:container/x","LogDriver":"json-file"}`,
		"/v4/task": `{"Cluster":"default","TaskARN":"arn:aws:ecs:us-west-2:111122223333:task/default/abc","Family":"f","Revision":"1","LaunchType":"EC2"}`,
	})
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", hang.URL)
	t.Setenv("ECS_CONTAINER_METADATA_URI_V4", ecs.URL+"/v4")
	var logs bytes.Buffer
	budget := 300 * time.Millisecond
	start := time.Now()
	res, out := detect.Cloud(context.Background(), []string{"aws_ec2", "aws_ecs"}, budget, slog.New(slog.NewTextHandler(&logs, nil)))
	took := time.Since(start)
	if took > budget+500*time.Millisecond {
		t.Errorf("Cloud took %v with a budget of %v", took, budget)
	}
	if out[0].Result != detect.TimedOut || out[1].Result != detect.Detected {
		t.Errorf("outcomes %+v; want ec2 timed out, ecs detected", out)
	}
	if value(res, "cloud.platform") != "aws_ecs" {
		t.Errorf("resource %v lost the detector that answered", res)
	}
	if n := strings.Count(logs.String(), "resource detector gave nothing"); n != 1 || !strings.Contains(logs.String(), "detector=aws_ec2") {
		t.Errorf("%d warnings; want one, for aws_ec2:\n%s", n, logs.String())
	}
}

func TestCloudFailureIsReportedNotFatal(t *testing.T) {
	srv := standIn(t, map[string]string{"/v4": `not json`, "/v4/task": `{}`})
	t.Setenv("ECS_CONTAINER_METADATA_URI_V4", srv.URL+"/v4")
	res, out := detect.Cloud(context.Background(), []string{"aws_ecs"}, time.Second, nil)
	if out[0].Result != detect.Failed || out[0].Error == "" || res.Len() != 0 {
		t.Errorf("outcome %+v, resource %v; want failed with its error, nothing detected", out, res)
	}
}

func TestParseDetectors(t *testing.T) {
	got, err := detect.ParseDetectors("OTEL_RESOURCE_DETECTORS", "env,host,EC2, gcp,aws_ec2,azure,eks")
	if err != nil || strings.Join(got, ",") != "aws_ec2,gcp,azure_vm,aws_eks" {
		t.Errorf("got %q, %v", got, err)
	}
	_, err = detect.ParseDetectors("OTEL_RESOURCE_DETECTORS", "gcp,alibaba")
	if err == nil || !strings.Contains(err.Error(), `OTEL_RESOURCE_DETECTORS="gcp,alibaba": unknown detector "alibaba"; want any of `) {
		t.Errorf("error %v", err)
	}
}

func TestCloudAzureAgainstAStandInIMDS(t *testing.T) {
	var header string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		header = r.Header.Get("Metadata")
		if r.URL.Path != "/metadata/instance/compute" || r.URL.Query().Get("format") != "json" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(`{"vmId":"02aab8a4-74ef-476e-8182-f6d2ba4166a6","location":"westeurope","name":"books-vm",
			"vmSize":"Standard_D2s_v3","osType":"Linux","version":"22.04.202401010","subscriptionId":"8d10da13-8125-4ba9-a717-bf7490507b3d",
			"resourceGroupName":"shop","zone":"2","osProfile":{"computerName":"books-host"},
			"resourceId":"/subscriptions/8d10da13-8125-4ba9-a717-bf7490507b3d/resourceGroups/shop/providers/Microsoft.Compute/virtualMachines/books-vm"}`))
	}))
	defer srv.Close()
	defer detect.UseAzureEndpoint(srv.URL + "/metadata/instance/compute?api-version=2021-12-13&format=json")()
	res, out := detect.Cloud(context.Background(), []string{"azure_vm"}, 5*time.Second, nil)
	if out[0].Result != detect.Detected {
		t.Fatalf("outcome %+v", out)
	}
	if header != "True" {
		t.Errorf("Metadata header %q; IMDS refuses requests without Metadata: True", header)
	}
	for k, v := range map[string]string{"cloud.provider": "azure", "cloud.platform": "azure.vm", "cloud.region": "westeurope",
		"host.id": "02aab8a4-74ef-476e-8182-f6d2ba4166a6", "host.name": "books-host", "host.type": "Standard_D2s_v3",
		"cloud.account.id": "8d10da13-8125-4ba9-a717-bf7490507b3d", "cloud.availability_zone": "2", "azure.resource_group.name": "shop"} {
		if got := value(res, k); got != v {
			t.Errorf("%s = %q; want %q", k, got, v)
		}
	}

	// Off Azure (a 4xx from whatever answers): not detected, no warning.
	notAzure := standIn(t, map[string]string{})
	defer detect.UseAzureEndpoint(notAzure.URL + "/metadata/instance/compute")()
	var logs bytes.Buffer
	if _, out := detect.Cloud(context.Background(), []string{"azure_vm"}, 5*time.Second, slog.New(slog.NewTextHandler(&logs, nil))); out[0].Result != detect.NotDetected || logs.Len() > 0 {
		t.Errorf("off Azure: outcome %+v, log %q; want not detected, silently", out, logs.String())
	}
}

// kubeAPIStandIn is an in-cluster API server: TLS with its own CA, which
// the service account's ca.crt fixture holds, and a bearer token.
func kubeAPIStandIn(t *testing.T, configMaps map[string]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer fixture-token" {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		body, ok := configMaps[strings.TrimPrefix(r.URL.Path, "/api/v1/namespaces/")]
		if body == "hang" {
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
			return
		}
		if !ok {
			http.Error(w, `{"kind":"Status","reason":"NotFound"}`, http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	token, ca := filepath.Join(dir, "token"), filepath.Join(dir, "ca.crt")
	pemCA := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(token, []byte("fixture-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ca, pemCA, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(detect.UseKubernetesFiles(token, ca))
	u, _ := url.Parse(srv.URL)
	t.Setenv("KUBERNETES_SERVICE_HOST", u.Hostname())
	t.Setenv("KUBERNETES_SERVICE_PORT", u.Port())
	return srv
}

func TestCloudEKSAgainstAStandInAPIServer(t *testing.T) {
	const (
		awsAuth     = "kube-system/configmaps/aws-auth"
		clusterInfo = "amazon-cloudwatch/configmaps/cluster-info"
	)
	kubeAPIStandIn(t, map[string]string{
		awsAuth:     `{"kind":"ConfigMap","data":{"mapRoles":"- rolearn: arn:aws:iam::111122223333:role/nodes\n"}}`,
		clusterInfo: `{"kind":"ConfigMap","data":{"cluster.name":"shop-prod","logs.region":"eu-west-1"}}`,
	})
	res, out := detect.Cloud(context.Background(), []string{"aws_eks"}, 5*time.Second, nil)
	if out[0].Result != detect.Detected {
		t.Fatalf("outcome %+v", out)
	}
	for k, v := range map[string]string{"cloud.provider": "aws", "cloud.platform": "aws_eks", "k8s.cluster.name": "shop-prod"} {
		if got := value(res, k); got != v {
			t.Errorf("%s = %q; want %q", k, got, v)
		}
	}
}

// What the contrib EKS detector does in the other cases: outside a pod and
// on a Kubernetes that is not EKS's, nothing; an API server that does not
// give aws-auth (missing, or a service account without read access to
// kube-system's ConfigMaps), failed, logged once, not fatal.
func TestCloudEKSOtherwise(t *testing.T) {
	t.Run("outside a pod", func(t *testing.T) {
		t.Setenv("KUBERNETES_SERVICE_HOST", "")
		if _, out := detect.Cloud(context.Background(), []string{"aws_eks"}, 5*time.Second, nil); out[0].Result != detect.NotDetected {
			t.Errorf("outcome %+v; want not detected", out)
		}
	})
	t.Run("not EKS", func(t *testing.T) {
		kubeAPIStandIn(t, map[string]string{"kube-system/configmaps/aws-auth": `{"kind":"ConfigMap"}`})
		if _, out := detect.Cloud(context.Background(), []string{"aws_eks"}, 5*time.Second, nil); out[0].Result != detect.NotDetected {
			t.Errorf("outcome %+v; want not detected", out)
		}
	})
	t.Run("API server that never answers", func(t *testing.T) {
		kubeAPIStandIn(t, map[string]string{"kube-system/configmaps/aws-auth": "hang"})
		start := time.Now()
		_, out := detect.Cloud(context.Background(), []string{"aws_eks"}, 300*time.Millisecond, nil)
		if took := time.Since(start); took > 3*time.Second || out[0].Result != detect.TimedOut {
			t.Errorf("outcome %+v after %v; want timed out at the 300ms budget, long before the 10s hang", out, took)
		}
	})
	t.Run("no aws-auth", func(t *testing.T) {
		kubeAPIStandIn(t, map[string]string{})
		var logs bytes.Buffer
		_, out := detect.Cloud(context.Background(), []string{"aws_eks"}, 5*time.Second, slog.New(slog.NewTextHandler(&logs, nil)))
		if out[0].Result != detect.Failed || !strings.Contains(out[0].Error, "ConfigMap kube-system/aws-auth: 404 Not Found") {
			t.Errorf("outcome %+v; want failed on aws-auth", out)
		}
		if n := strings.Count(logs.String(), "resource detector gave nothing"); n != 1 {
			t.Errorf("%d warnings; want one:\n%s", n, logs.String())
		}
	})
}
