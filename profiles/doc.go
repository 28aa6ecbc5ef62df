// Package profiles holds one Profile per environment (development, staging,
// production, test): the default backend, sampler, batching, TLS policy and
// log format that ENVIRONMENT selects. Profiles are data; bootstrap reads
// them and every variable can still override what they say.
package profiles
