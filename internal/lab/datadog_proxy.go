package lab

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"time"
)

// The collector's Datadog receiver, with the 128-bit trace-ID feature gate
// the lab turns on, shares one simplelru.LRU between concurrent requests
// (datadogreceiver v0.140.1 receiver.go, traceIDCache); that LRU is not safe
// for concurrent use, and Get reorders it. DatadogAgent is therefore this
// proxy, which forwards one request at a time to the receiver on its own
// port, so no caller has to know.
type datadogProxy struct {
	srv  *http.Server
	done chan struct{}
}

func startDatadogProxy(listen, receiver string) (*datadogProxy, error) {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("lab: Datadog intake proxy on %s: %w", listen, err)
	}
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: receiver})
	var one sync.Mutex
	p := &datadogProxy{
		srv: &http.Server{
			Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				one.Lock()
				defer one.Unlock()
				proxy.ServeHTTP(w, r)
			}),
			ReadHeaderTimeout: 10 * time.Second,
		},
		done: make(chan struct{}),
	}
	go func() {
		defer close(p.done)
		_ = p.srv.Serve(ln) // returns ErrServerClosed after close

	}()
	return p, nil
}

func (p *datadogProxy) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := p.srv.Shutdown(ctx)
	<-p.done
	return err
}
