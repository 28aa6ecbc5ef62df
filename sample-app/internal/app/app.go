package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/otelswitch/otelswitch/bootstrap"
	"github.com/otelswitch/otelswitch/sample-app/internal/server"
	"github.com/otelswitch/otelswitch/sample-app/internal/store"
)

// Instance is one running books service.
type Instance struct {
	// URL reaches the instance, e.g. http://127.0.0.1:8080.
	URL string
	// Addr is the address it listens on.
	Addr net.Addr

	Config    Config
	Telemetry *bootstrap.Telemetry
	Store     *store.Store
	Server    *server.Server
	Logger    *slog.Logger

	http *http.Server
	done chan error
}

// Start reads the environment through lookup (os.LookupEnv when nil), calls
// bootstrap.Init with opts added, opens the database, and serves HTTP on
// ADDR until Shutdown. The app's own defaults sit under the environment: the
// service is named "books" and logs JSON lines unless a variable says
// otherwise.
func Start(ctx context.Context, lookup LookupFunc, opts ...bootstrap.Option) (*Instance, error) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	cfg, err := ConfigFromEnv(lookup)
	if err != nil {
		return nil, err
	}
	// Defaults beneath the environment: the JSON log line, and a
	// service name that beats unknown_service:sample-app.
	lookup = withDefaults(lookup)
	tel, err := bootstrap.Init(ctx, append([]bootstrap.Option{bootstrap.WithLookupEnv(lookup)}, opts...)...)
	if err != nil {
		return nil, err
	}
	i, err := start(ctx, cfg, tel)
	if err != nil {
		// Nothing was served; flush whatever Init set up, quickly.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		return nil, errors.Join(err, tel.Shutdown(sctx))
	}
	return i, nil
}

func start(ctx context.Context, cfg Config, tel *bootstrap.Telemetry) (*Instance, error) {
	logger := tel.Logger()
	serviceName := tel.Config().ServiceName
	st, err := store.Open(ctx, cfg.DatabaseURL,
		store.WithTracerProvider(tel.TracerProvider()),
		store.WithMeterProvider(tel.MeterProvider()))
	if err != nil {
		return nil, err
	}
	srv, err := server.New(server.Config{
		Store:          st,
		ServiceName:    serviceName,
		TracerProvider: tel.TracerProvider(),
		MeterProvider:  tel.MeterProvider(),
		Propagator:     tel.Propagator(),
		Logger:         logger,
		ChainTargets:   cfg.ChainTargets,
		MaxBodyBytes:   cfg.MaxBodyBytes,
	})
	if err != nil {
		st.Close()
		return nil, err
	}
	l, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("%s=%q: %w", EnvAddr, cfg.Addr, err)
	}
	i := &Instance{
		URL:       "http://" + dialable(l.Addr()),
		Addr:      l.Addr(),
		Config:    cfg,
		Telemetry: tel,
		Store:     st,
		Server:    srv,
		Logger:    logger,
		done:      make(chan error, 1),
		http: &http.Server{
			Handler:           srv,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      server.MaxIOMillis*time.Millisecond + 30*time.Second,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		},
	}
	go func() {
		err := i.http.Serve(l)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		i.done <- err
	}()
	logger.InfoContext(ctx, "serving",
		"url", i.URL, "service", serviceName, "environment", tel.Config().Environment,
		"backends", tel.Config().Backends, "database", st.Driver(), "chain_targets", cfg.ChainTargets)
	return i, nil
}

// Done delivers the error that stopped the server on its own (nil after
// Shutdown).
func (i *Instance) Done() <-chan error { return i.done }

// Shutdown stops accepting connections, waits up to DRAIN_TIMEOUT (or ctx's
// deadline, if sooner) for in-flight requests, closes the database and then
// flushes telemetry, which is bounded by TELEMETRY_SHUTDOWN_TIMEOUT. It
// returns ErrDrainTimeout when requests were cut off; a telemetry flush that
// fails is logged, not returned, since it must not fail the app.
func (i *Instance) Shutdown(ctx context.Context) error {
	i.Logger.InfoContext(ctx, "shutting down: draining in-flight requests", "drain_timeout", i.Config.DrainTimeout.String())
	start := time.Now()
	dctx, cancel := context.WithTimeout(ctx, i.Config.DrainTimeout)
	defer cancel()
	var err error
	if derr := i.http.Shutdown(dctx); derr != nil {
		i.http.Close()
		err = fmt.Errorf("%w after %s: %v", ErrDrainTimeout, i.Config.DrainTimeout, derr)
		i.Logger.ErrorContext(ctx, "in-flight requests were cut off", "error", err.Error())
	} else {
		i.Logger.InfoContext(ctx, "drained", "duration_ms", time.Since(start).Milliseconds())
	}
	if cerr := i.Store.Close(); cerr != nil {
		i.Logger.WarnContext(ctx, "closing the database", "error", cerr.Error())
	}
	// Telemetry gets its own time: its deadline is TELEMETRY_SHUTDOWN_TIMEOUT.
	tctx := context.WithoutCancel(ctx)
	if terr := i.Telemetry.Shutdown(tctx); terr != nil {
		i.Logger.WarnContext(ctx, "flushing telemetry", "error", terr.Error())
	}
	for _, s := range i.Telemetry.Stats() {
		i.Logger.InfoContext(ctx, "telemetry sent", "backend", s.Backend, "spans_exported", s.SpansExported, "spans_dropped", s.SpansDropped, "failed_exports", s.FailedExports)
	}
	return err
}

// ErrDrainTimeout is returned by Shutdown when in-flight requests did not
// finish within DRAIN_TIMEOUT.
var ErrDrainTimeout = errors.New("drain timeout")

// withDefaults layers the app's defaults beneath lookup.
func withDefaults(lookup LookupFunc) LookupFunc {
	return func(key string) (string, bool) {
		v, ok := lookup(key)
		if ok && v != "" {
			return v, ok
		}
		switch key {
		case envLogFormat:
			return "json", true
		case envServiceName:
			if !resourceNamesService(lookup) {
				return DefaultServiceName, true
			}
		}
		return v, ok
	}
}

// resourceNamesService reports whether OTEL_RESOURCE_ATTRIBUTES sets
// service.name (bootstrap validates the list itself).
func resourceNamesService(lookup LookupFunc) bool {
	v, _ := lookup(envResourceAttributes)
	for _, pair := range strings.Split(v, ",") {
		k, val, _ := strings.Cut(pair, "=")
		if strings.TrimSpace(k) == "service.name" && strings.TrimSpace(val) != "" {
			return true
		}
	}
	return false
}

// dialable turns a listener address into one a client can dial: a wildcard
// host becomes 127.0.0.1.
func dialable(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
