// Package stdout writes spans to standard error in a human-readable form,
// through stdouttrace: for a first look at what an application emits, with no
// backend running. It reads no variables and takes no metrics.
package stdout
