// Package server is the sample app's HTTP API: a books CRUD over
// [store.Store], a call chain across peer instances, a few synthetic tasks,
// health and Prometheus metrics.
//
// [New] builds the whole service as an [http.Handler] from explicit
// dependencies (the store, the tracer and meter providers, the propagator and
// the logger), so tests and the compare command can run several instances in
// one process, each with its own telemetry. Nothing here names a vendor: the
// logger and providers come from bootstrap.Init, which decides where spans go
// and how log lines carry trace IDs.
//
// Routes:
//
//	GET    /                 what this service is and its routes
//	GET    /books            a page of books (?page=1&page_size=20, page_size 1..100)
//	POST   /books            create a book from {"title", "author", "year", "isbn"}
//	GET    /books/{id}       one book
//	PUT    /books/{id}       replace a book
//	DELETE /books/{id}       delete a book
//	GET    /chain            call every CHAIN_TARGETS peer and report what they said
//	GET    /io_task          sleep (?ms=1000, up to 60000)
//	GET    /cpu_task         hash in a loop (?n=100000 rounds, up to 10000000)
//	GET    /error            panic, to show how an unhandled failure looks
//	GET    /health           200 when the database answers, 503 with the reason when not
//	GET    /metrics          Prometheus text or OpenMetrics, by content negotiation
//
// Every response carries X-Request-ID and X-Process-Time; every request logs
// one JSON line and counts in the metrics; every request but /metrics scrapes
// is traced, with the span named after the route ("GET /books/{id}"); errors are JSON bodies of the form
// {"error": "...", "details": [...], "request_id": "..."}.
package server
