// Command quickstart is the README's quick start: an HTTP service whose
// telemetry goes wherever the environment says, flushed on SIGTERM and
// Ctrl-C so a deploy loses nothing.
package main

import (
	"context"
	"errors"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

	"github.com/otelswitch/otelswitch/bootstrap"
)

func main() {
	// SIGTERM (a deploy) and Ctrl-C cancel ctx; a deferred Shutdown alone
	// would never run, for the signal ends the process.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	tel, err := bootstrap.Init(ctx) // reads ENVIRONMENT, TELEMETRY_BACKEND, ...
	if err != nil {
		log.Fatal(err) // e.g. TELEMETRY_BACKEND="datadgo": unknown backend "datadgo"; want one of ...
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("hello\n"))
	})

	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = ":8080"
	}
	srv := &http.Server{Addr: addr, Handler: otelhttp.NewHandler(mux, "GET /")}
	go func() {
		if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
			log.Print(err)
			stop() // shut down as if signalled
		}
	}()

	<-ctx.Done()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	// Finish the requests in flight, then flush their spans, metrics and
	// logs to every backend.
	_ = srv.Shutdown(shutdownCtx)
	if err := tel.Shutdown(shutdownCtx); err != nil {
		log.Print(err)
	}
}
