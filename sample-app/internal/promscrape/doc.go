// Package promscrape scrapes a /metrics endpoint the way a Prometheus server
// does, for tests: it sends the server's Accept header, then parses the
// answer with Prometheus's own parsers (model/textparse), picked by the
// response's Content-Type, so exemplars in OpenMetrics are read too.
package promscrape
