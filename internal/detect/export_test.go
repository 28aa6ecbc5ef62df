//go:build !otelswitch_nocloud

package detect

import (
	"reflect"
	"unsafe"

	"go.opentelemetry.io/contrib/detectors/azure/azurevm"
	"go.opentelemetry.io/otel/sdk/resource"
)

// UseKubernetesFiles points the EKS detector at fixture service account
// files until restore is called.
func UseKubernetesFiles(token, ca string) (restore func()) {
	oldToken, oldCA := k8sTokenPath, k8sCAPath
	k8sTokenPath, k8sCAPath = token, ca
	return func() { k8sTokenPath, k8sCAPath = oldToken, oldCA }
}

// UseAzureEndpoint makes azure_vm ask endpoint instead of
// 169.254.169.254 until restore is called. The contrib detector has no
// variable for its address and dials without a proxy (its transport sets
// Proxy to nil, so HTTP_PROXY does not reach it either), so the test sets
// its unexported endpoint field: everything else, the request, its Metadata
// header and the reading of the answer, is the contrib code's own. If a new
// contrib version renames the field, this panics and the test says so.
func UseAzureEndpoint(endpoint string) (restore func()) {
	old := cloudDetectors["azure_vm"]
	cloudDetectors["azure_vm"] = func() resource.Detector {
		d := azurevm.New()
		f := reflect.ValueOf(d).Elem().FieldByName("endpoint")
		reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().SetString(endpoint)
		return d
	}
	return func() { cloudDetectors["azure_vm"] = old }
}
