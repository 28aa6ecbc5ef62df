package reliability_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"testing"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

	"github.com/otelswitch/otelswitch/bootstrap"
)

// The two benchmarks below measure what logs export adds to a request:
// each runs once with TELEMETRY_LOGS=local (the baseline) and once with
// both, against a sink that reads and discards (the backend runs in
// another process in real life). Compare the ns/op side by side, and the
// CPU figures, which a loaded machine disturbs less than wall time:
//
//	go test -run '^$' -bench 'RequestLogExport|HTTPRequestLogExport' -benchtime 20000x -count 3 ./internal/reliability/
//
// req-cpu-ns/op is the CPU time of the goroutine that runs the request
// (pinned to its thread, so GC assists it makes count too); proc-cpu-ns/op
// is the whole process's, the export goroutines included.

// logBenchTel starts Telemetry exporting spans (and, with mode both, logs)
// over OTLP/HTTP to a discarding sink.
func logBenchTel(b *testing.B, mode string) *bootstrap.Telemetry {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	b.Cleanup(srv.Close)
	e := baseEnv("reliability-bench-logs").With(env{
		"TELEMETRY_BACKEND":           "otlp",
		"OTEL_EXPORTER_OTLP_ENDPOINT": srv.URL,
		"TELEMETRY_LOGS":              mode,
		"TELEMETRY_METRICS":           "false",
		// Large enough that nothing is dropped: a dropped record costs less
		// than an exported one and would flatter the figure.
		"OTEL_BLRP_MAX_QUEUE_SIZE": "65536",
	})
	tel, err := bootstrap.Init(context.Background(), bootstrap.WithLookupEnv(e.Lookup), bootstrap.WithoutGlobals(), bootstrap.WithLogOutput(io.Discard))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	return tel
}

// reportLogBench adds the CPU figures and the records dropped.
func reportLogBench(b *testing.B, tel *bootstrap.Telemetry, req, proc time.Duration, n int) {
	if req > 0 {
		b.ReportMetric(float64(req.Nanoseconds())/float64(n), "req-cpu-ns/op")
	}
	b.ReportMetric(float64(proc.Nanoseconds())/float64(n), "proc-cpu-ns/op")
	b.ReportMetric(float64(tel.Stats()[0].Logs.Dropped), "logs-dropped")
}

// BenchmarkRequestLogExport is the tight loop: a span and two records
// written inside it, nothing else, so the logging is all there is.
func BenchmarkRequestLogExport(b *testing.B) {
	for _, mode := range []string{"local", "both"} {
		b.Run("logs="+mode, func(b *testing.B) {
			tel := logBenchTel(b, mode)
			tr := tel.TracerProvider().Tracer("reliability")
			logger := tel.Logger()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			b.ReportAllocs()
			thread, proc := threadCPU(), processCPU()
			n := 0
			for i := 0; b.Loop(); i++ {
				ctx, span := tr.Start(context.Background(), "GET /books/{id}")
				logger.InfoContext(ctx, "request started", "http.route", "/books/{id}", "book.id", i)
				logger.InfoContext(ctx, "request done", "http.response.status_code", 200)
				span.End()
				n++
			}
			b.StopTimer()
			reportLogBench(b, tel, threadCPU()-thread, processCPU()-proc, n)
		})
	}
}

// BenchmarkHTTPRequestLogExport is one real request per iteration: a
// client GET over loopback to an otelhttp-wrapped handler (the server
// span) that logs the book it fetched and an access line, as the sample
// app does. The client and server run in this process, so the ratio is a
// floor of what a service sees: its own work dilutes it further.
func BenchmarkHTTPRequestLogExport(b *testing.B) {
	for _, mode := range []string{"local", "both"} {
		b.Run("logs="+mode, func(b *testing.B) {
			tel := logBenchTel(b, mode)
			logger := tel.Logger()
			h := otelhttp.NewHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				start := time.Now()
				id := r.PathValue("id")
				logger.InfoContext(r.Context(), "book fetched", "book.id", id, "book.title", "The Go Programming Language")
				_, _ = io.WriteString(w, `{"id":"`+id+`"}`)
				logger.LogAttrs(r.Context(), slog.LevelInfo, "request", slog.String("http.request.method", r.Method),
					slog.String("http.route", "/books/{id}"), slog.Int("http.response.status_code", http.StatusOK),
					slog.Duration("duration", time.Since(start)))
			}), "GET /books/{id}", otelhttp.WithTracerProvider(tel.TracerProvider()))
			mux := http.NewServeMux()
			mux.Handle("GET /books/{id}", h)
			srv := httptest.NewServer(mux)
			defer srv.Close()
			client := srv.Client()
			b.ReportAllocs()
			proc := processCPU()
			n := 0
			for i := 0; b.Loop(); i++ {
				resp, err := client.Get(srv.URL + "/books/" + strconv.Itoa(i))
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				n++
			}
			b.StopTimer()
			reportLogBench(b, tel, 0, processCPU()-proc, n)
		})
	}
}
