// Package elastic sends traces and metrics to Elastic APM Server, self-managed
// or on Elastic Cloud, which takes OTLP natively over gRPC and
// http/protobuf on the same port as its own agents.
//
// It reads the variables Elastic's own agents read, so that existing
// deployments keep working:
//
//   - ELASTIC_APM_SERVER_URL: the APM Server URL, e.g. https://apm.example:8200
//     (self-managed) or an Elastic Cloud deployment's APM endpoint.
//     Required in staging and production; elsewhere it defaults, as for the
//     Elastic agents, to http://localhost:8200.
//   - ELASTIC_APM_SECRET_TOKEN or ELASTIC_APM_API_KEY: sent as
//     "Authorization: Bearer <token>" or "Authorization: ApiKey <key>".
//     One of them is required in staging and production; both at once is an
//     error everywhere.
//   - ELASTIC_APM_SERVICE_NAME: service.name in Elastic when no other source
//     names the service.
//   - ELASTIC_APM_ENVIRONMENT: the environment Elastic shows; it overrides
//     ENVIRONMENT for this backend only.
//   - ELASTIC_OTLP_PROTOCOL: grpc (default) or http/protobuf.
//
// Metrics are exported with delta temporality for counters and histograms,
// the temporality Elastic's agent specification prescribes.
package elastic
