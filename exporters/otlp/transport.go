package otlp

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/internal/secret"
)

// transport is a Target resolved once: its TLS configuration, headers,
// timeout and the credentials to mask in errors. Every signal's exporter is
// built over one (exporter.go), so TLS policy, credential masking and wire
// accounting exist once for spans, metrics and logs alike: over HTTP in the
// client the exporters are given, over gRPC in the dial options.
type transport struct {
	target  Target
	tls     *tls.Config
	headers map[string]string
	creds   []secret.String
	timeout time.Duration
}

func newTransport(t Target, timeout time.Duration) (transport, error) {
	tlsCfg, err := t.tlsConfig()
	if err != nil {
		// tlsConfig's errors name the variable at fault (the CA or client
		// certificate variable), never the endpoint's.
		return transport{}, err
	}
	return transport{
		target:  t,
		tls:     tlsCfg,
		headers: t.headers(),
		creds:   headerCredentials(t.Headers),
		timeout: exportTimeoutOrDefault(timeout),
	}, nil
}

// httpClient carries the TLS policy itself, because a client given to the
// OTLP HTTP exporters replaces their own TLS and timeout settings. It counts
// request bodies in counters (when not nil) and masks credentials a server
// echoes in an error response, which the exporters quote in their errors.
func (tr transport) httpClient(counters *exporters.SignalCounters) *http.Client {
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.TLSClientConfig = tr.tls
	return &http.Client{
		Transport: wireTransport{next: base, counters: counters, creds: tr.creds},
		Timeout:   tr.timeout,
	}
}

// grpcOptions are the dial options of every signal's gRPC exporter: the
// transport credentials (they come after the exporter's own, so they win),
// byte counting, and the masking of credentials in status messages.
func (tr transport) grpcOptions(counters *exporters.SignalCounters) []grpc.DialOption {
	creds := insecure.NewCredentials()
	if !tr.target.plaintext() {
		creds = credentials.NewTLS(tr.tls)
	}
	opts := []grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithStatsHandler(wireCounter{counters}),
	}
	if len(tr.creds) > 0 {
		opts = append(opts, grpc.WithUnaryInterceptor(tr.maskStatus))
	}
	return opts
}

// maskStatus masks the credentials in the message of a failed call's
// status, keeping its code and details for the exporter's retry logic.
func (tr transport) maskStatus(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	err := invoker(ctx, method, req, reply, cc, opts...)
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return mask(err, tr.creds)
	}
	masked := secret.Mask(st.Message(), tr.creds...)
	if masked == st.Message() {
		return err
	}
	p := st.Proto()
	p.Message = masked
	return status.FromProto(p).Err()
}

// wireTransport adds each request body's size, as sent, to counters, and
// masks credentials in the body of an error response. The gzip path of the
// OTLP exporters leaves ContentLength unknown, so the body is counted as the
// transport reads it.
type wireTransport struct {
	next     http.RoundTripper
	counters *exporters.SignalCounters
	creds    []secret.String
}

// maxErrorBody bounds what is read of an error response to mask it; the
// exporters read no more than this themselves.
const maxErrorBody = 64 << 10

func (w wireTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if w.counters != nil && r.Body != nil && r.Body != http.NoBody {
		r = r.Clone(r.Context())
		r.Body = &countingBody{ReadCloser: r.Body, counters: w.counters}
	}
	resp, err := w.next.RoundTrip(r)
	if err != nil || len(w.creds) == 0 || resp.StatusCode < 300 {
		return resp, err
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_ = resp.Body.Close()
	if rerr != nil {
		body = nil
	}
	masked := secret.Mask(string(body), w.creds...)
	resp.Body = io.NopCloser(bytes.NewReader([]byte(masked)))
	resp.ContentLength = int64(len(masked))
	return resp, nil
}

type countingBody struct {
	io.ReadCloser
	counters *exporters.SignalCounters
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.counters.AddBytes(int64(n))
	return n, err
}

// wireCounter is a gRPC stats handler that adds the compressed size of every
// outgoing message to counters.
type wireCounter struct{ counters *exporters.SignalCounters }

func (w wireCounter) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context   { return ctx }
func (w wireCounter) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (w wireCounter) HandleConn(context.Context, stats.ConnStats)                       {}
func (w wireCounter) HandleRPC(_ context.Context, s stats.RPCStats) {
	if out, ok := s.(*stats.OutPayload); ok && w.counters != nil {
		w.counters.AddBytes(int64(out.WireLength))
	}
}
