// Package promscrape scrapes a /metrics endpoint the way a Prometheus server
// does, for tests: it sends the server's Accept header, then parses the
// answer in the format its Content-Type names (the classic text format or
// OpenMetrics, whose exemplars are read too). The parser is the small subset
// of the two formats a test needs, written here so the sample app does not
// carry the whole Prometheus server module for it.
package promscrape
