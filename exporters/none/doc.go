// Package none is the backend that sends nothing: spans are still created,
// sampled and recorded by any extra span processor (the test profile's
// in-memory recorder), but leave the process nowhere.
package none
