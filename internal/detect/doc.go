// Package detect finds who and where the process is, for the resource every
// backend shares: a per-process service.instance.id, the container ID from
// the cgroup files (v1 and v2), the Kubernetes identity from the downward-API
// variables, and, only when OTEL_RESOURCE_DETECTORS asks, the cloud
// provider's metadata through the contrib detectors, run in parallel under
// one time budget so that Init never waits longer.
package detect
