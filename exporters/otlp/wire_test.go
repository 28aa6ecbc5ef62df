package otlp

import (
	"context"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	statuspb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	grpccodes "google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/internal/otlptest"
	"github.com/otelswitch/otelswitch/internal/secret"
)

// someSpans ends a few spans of two scopes, with events, links, an error
// status and attributes, and returns them.
func someSpans(t *testing.T) []sdktrace.ReadOnlySpan {
	t.Helper()
	rec := &spanRecorder{}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", "wire"))))
	for i, scope := range []string{"a", "b", "a"} {
		ctx, s := tp.Tracer(scope).Start(context.Background(), "parent "+scope, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.Int("i", i), attribute.StringSlice("s", []string{"x", "y"})))
		_, c := tp.Tracer(scope).Start(ctx, "child", trace.WithLinks(trace.Link{SpanContext: s.SpanContext()}))
		c.AddEvent("e", trace.WithAttributes(attribute.Bool("b", true)))
		c.SetStatus(codes.Error, "failed")
		c.End()
		s.End()
	}
	return rec.spans
}

type spanRecorder struct{ spans []sdktrace.ReadOnlySpan }

func (r *spanRecorder) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (r *spanRecorder) OnEnd(s sdktrace.ReadOnlySpan)                   { r.spans = append(r.spans, s) }
func (r *spanRecorder) Shutdown(context.Context) error                  { return nil }
func (r *spanRecorder) ForceFlush(context.Context) error                { return nil }

// export sends spans through NewSpanExporter for t, with the wire exporter
// or, when sdk is set, the SDK's.
func export(t *testing.T, tg Target, sdk bool, spans []sdktrace.ReadOnlySpan, counters *exporters.Counters) error {
	t.Helper()
	sdkSpanExporter = sdk
	defer func() { sdkSpanExporter = false }()
	exp, err := NewSpanExporter(context.Background(), tg, 5*time.Second, counters)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = exp.Shutdown(context.Background()) }()
	return exp.ExportSpans(context.Background(), spans)
}

func sortedSpans(rs []*tracepb.ResourceSpans) []*tracepb.ResourceSpans {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b *tracepb.ResourceSpans) int {
		x, _ := proto.MarshalOptions{Deterministic: true}.Marshal(a.Resource)
		y, _ := proto.MarshalOptions{Deterministic: true}.Marshal(b.Resource)
		return strings.Compare(string(x), string(y))
	})
	return rs
}

// TestWireExporterSendsWhatTheSDKSends: over every protocol, with and
// without gzip, the wire exporter delivers the request the SDK's exporter
// delivers, with the headers, and counts the bytes on the wire.
func TestWireExporterSendsWhatTheSDKSends(t *testing.T) {
	spans := someSpans(t)
	headers := map[string]secret.String{"api-key": "k-123", "authorization": "Bearer token-4567890"}
	hr, hs := otlptest.NewHTTP(t)
	gr, gaddr := otlptest.NewGRPC(t)
	for _, tc := range []struct {
		name string
		t    Target
		r    *otlptest.Receiver
	}{
		{"http", Target{Protocol: HTTPProtobuf, URL: mustURL(t, hs.URL+TracesPath), Headers: headers, Compression: None}, hr},
		{"http-gzip", Target{Protocol: HTTPProtobuf, URL: mustURL(t, hs.URL+TracesPath), Headers: headers, Compression: Gzip}, hr},
		{"grpc", Target{Protocol: GRPC, URL: mustURL(t, "http://"+gaddr), Headers: headers, Compression: None}, gr},
		{"grpc-gzip", Target{Protocol: GRPC, URL: mustURL(t, "http://"+gaddr), Headers: headers, Compression: Gzip}, gr},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := len(tc.r.Requests())
			counters := exporters.NewCounters("wire")
			if err := export(t, tc.t, true, spans, nil); err != nil {
				t.Fatalf("SDK exporter: %v", err)
			}
			if err := export(t, tc.t, false, spans, counters); err != nil {
				t.Fatalf("wire exporter: %v", err)
			}
			reqs := tc.r.Requests()[n:]
			if len(reqs) != 2 {
				t.Fatalf("%d requests arrived; want 2", len(reqs))
			}
			sdkReq, ours := reqs[0], reqs[1]
			if !proto.Equal(&collectortrace.ExportTraceServiceRequest{ResourceSpans: sortedSpans(ours.Spans)},
				&collectortrace.ExportTraceServiceRequest{ResourceSpans: sortedSpans(sdkReq.Spans)}) {
				t.Errorf("the wire exporter sent\n%v\nthe SDK sent\n%v", ours.Spans, sdkReq.Spans)
			}
			for k, v := range headers {
				if got := ours.Headers[k]; len(got) != 1 || got[0] != string(v) {
					t.Errorf("header %s: %q; want %q", k, got, string(v))
				}
			}
			if strings.HasPrefix(tc.name, "http") && ours.Gzip != (tc.t.Compression == Gzip) {
				t.Errorf("gzip: %v; want %v", ours.Gzip, tc.t.Compression == Gzip)
			}
			if got := counters.Snapshot().BytesSent; got <= 0 || (ours.BodyBytes > 0 && got != int64(ours.BodyBytes)) {
				t.Errorf("bytes counted %d; the body was %d", got, ours.BodyBytes)
			}
		})
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// statusServer answers OTLP/HTTP exports with the responses in turn (the
// last one from then on) and counts the requests.
func statusServer(t *testing.T, responses ...func(w http.ResponseWriter)) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		responses[min(i, len(responses)-1)](w)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func httpTarget(t *testing.T, srv *httptest.Server, headers map[string]secret.String) Target {
	return Target{Protocol: HTTPProtobuf, URL: mustURL(t, srv.URL+TracesPath), Headers: headers, Compression: None}
}

func TestHTTPRetriesRetryableStatuses(t *testing.T) {
	for _, code := range []int{http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout} {
		srv, n := statusServer(t,
			func(w http.ResponseWriter) { w.Header().Set("Retry-After", "0"); w.WriteHeader(code) },
			func(w http.ResponseWriter) { w.WriteHeader(code) },
			func(w http.ResponseWriter) { w.WriteHeader(http.StatusOK) })
		if err := export(t, httpTarget(t, srv, nil), false, someSpans(t), nil); err != nil {
			t.Errorf("%d, %d, then 200: %v", code, code, err)
		}
		if got := n.Load(); got != 3 {
			t.Errorf("%d: %d requests; want 3", code, got)
		}
	}
}

// TestHTTPRetryAfterPastTheDeadline: a Retry-After that would pass the
// export deadline fails at once instead of holding the batch.
func TestHTTPRetryAfterPastTheDeadline(t *testing.T) {
	srv, n := statusServer(t, func(w http.ResponseWriter) {
		w.Header().Set("Retry-After", "60")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	start := time.Now()
	err := export(t, httpTarget(t, srv, nil), false, someSpans(t), nil)
	if err == nil || !strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), "deadline") {
		t.Errorf("error %v; want the 503 and that the retry would pass the deadline", err)
	}
	if took := time.Since(start); took > 2*time.Second || n.Load() != 1 {
		t.Errorf("took %v and %d requests; want an immediate failure after one", took, n.Load())
	}
}

func TestHTTPDoesNotRetryOtherStatuses(t *testing.T) {
	srv, n := statusServer(t, func(w http.ResponseWriter) {
		b, _ := proto.Marshal(&statuspb.Status{Code: 3, Message: "span name too long"})
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write(b)
	})
	err := export(t, httpTarget(t, srv, nil), false, someSpans(t), nil)
	if err == nil || !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), "span name too long") {
		t.Errorf("error %v; want the 400 with the status message", err)
	}
	if n.Load() != 1 {
		t.Errorf("%d requests; want 1", n.Load())
	}
}

func TestHTTPPartialSuccess(t *testing.T) {
	srv, _ := statusServer(t, func(w http.ResponseWriter) {
		b, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{PartialSuccess: &collectortrace.ExportTracePartialSuccess{RejectedSpans: 2, ErrorMessage: "too old"}})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(b)
	})
	err := export(t, httpTarget(t, srv, nil), false, someSpans(t), nil)
	if err == nil || !strings.Contains(err.Error(), "too old (2 spans rejected)") {
		t.Errorf("error %v; want the partial success", err)
	}
}

// TestErrorsAreMasked: a server that quotes the credential it rejects does
// not put it in the exporter's error.
func TestErrorsAreMasked(t *testing.T) {
	const token = "s3cr3t-token-value"
	srv, _ := statusServer(t, func(w http.ResponseWriter) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte("scheme or token does not match: Bearer " + token))
	})
	err := export(t, httpTarget(t, srv, map[string]secret.String{"authorization": "Bearer " + token}), false, someSpans(t), nil)
	if err == nil || strings.Contains(err.Error(), token) || !strings.Contains(err.Error(), "401") {
		t.Errorf("error %v; want the 401 without the token", err)
	}
}

// traceServer answers gRPC exports with the results in turn (the last one
// from then on).
type traceServer struct {
	collectortrace.UnimplementedTraceServiceServer
	n       atomic.Int32
	results []func() (*collectortrace.ExportTraceServiceResponse, error)
}

func (s *traceServer) Export(context.Context, *collectortrace.ExportTraceServiceRequest) (*collectortrace.ExportTraceServiceResponse, error) {
	i := int(s.n.Add(1)) - 1
	return s.results[min(i, len(s.results)-1)]()
}

func grpcTarget(t *testing.T, s *traceServer) Target {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	collectortrace.RegisterTraceServiceServer(srv, s)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return Target{Protocol: GRPC, URL: mustURL(t, "http://"+lis.Addr().String()), Compression: None}
}

func TestGRPCRetriesAndReadsPartialSuccess(t *testing.T) {
	s := &traceServer{results: []func() (*collectortrace.ExportTraceServiceResponse, error){
		func() (*collectortrace.ExportTraceServiceResponse, error) {
			return nil, status.Error(grpccodes.Unavailable, "starting")
		},
		func() (*collectortrace.ExportTraceServiceResponse, error) {
			st, _ := status.New(grpccodes.ResourceExhausted, "slow down").WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(10 * time.Millisecond)})
			return nil, st.Err()
		},
		func() (*collectortrace.ExportTraceServiceResponse, error) {
			return &collectortrace.ExportTraceServiceResponse{PartialSuccess: &collectortrace.ExportTracePartialSuccess{RejectedSpans: 1, ErrorMessage: "dup"}}, nil
		},
	}}
	err := export(t, grpcTarget(t, s), false, someSpans(t), nil)
	if err == nil || !strings.Contains(err.Error(), "dup (1 spans rejected)") {
		t.Errorf("error %v; want the partial success after two retries", err)
	}
	if s.n.Load() != 3 {
		t.Errorf("%d calls; want 3", s.n.Load())
	}
}

func TestGRPCDoesNotRetryOtherCodes(t *testing.T) {
	for _, code := range []grpccodes.Code{grpccodes.InvalidArgument, grpccodes.Unauthenticated, grpccodes.ResourceExhausted} {
		s := &traceServer{results: []func() (*collectortrace.ExportTraceServiceResponse, error){
			func() (*collectortrace.ExportTraceServiceResponse, error) { return nil, status.Error(code, "no") },
		}}
		err := export(t, grpcTarget(t, s), false, someSpans(t), nil)
		if status.Code(errors.Unwrap(err)) != code && !strings.Contains(err.Error(), code.String()) {
			t.Errorf("%v: error %v", code, err)
		}
		if s.n.Load() != 1 {
			t.Errorf("%v: %d calls; want 1 (ResourceExhausted without RetryInfo is not retried)", code, s.n.Load())
		}
	}
}

func TestExportAfterShutdownFails(t *testing.T) {
	_, hs := otlptest.NewHTTP(t)
	exp, err := NewSpanExporter(context.Background(), httpTarget(t, hs, nil), time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := exp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := exp.ExportSpans(context.Background(), someSpans(t)); err == nil {
		t.Error("an export after Shutdown succeeded")
	}
}

// TestGRPCVerifiesTLS: over gRPC the wire exporter uses the target's TLS
// policy: a server certificate nobody trusts fails the export, the same
// certificate trusted through Target.Certificate succeeds.
func TestGRPCVerifiesTLS(t *testing.T) {
	certSrc := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(certSrc.Close)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certSrc.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.Creds(credentials.NewServerTLSFromCert(&certSrc.TLS.Certificates[0])))
	s := &traceServer{results: []func() (*collectortrace.ExportTraceServiceResponse, error){
		func() (*collectortrace.ExportTraceServiceResponse, error) {
			return &collectortrace.ExportTraceServiceResponse{}, nil
		},
	}}
	collectortrace.RegisterTraceServiceServer(srv, s)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	tg := Target{Protocol: GRPC, URL: mustURL(t, "https://"+lis.Addr().String()), Compression: None}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	exp, err := NewSpanExporter(ctx, tg, time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := exp.ExportSpans(ctx, someSpans(t)); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("untrusted certificate: error %v; want a certificate error", err)
	}
	_ = exp.Shutdown(context.Background())
	if s.n.Load() != 0 {
		t.Errorf("%d exports reached the server through an untrusted certificate", s.n.Load())
	}

	tg.Certificate = caFile
	if err := export(t, tg, false, someSpans(t), nil); err != nil {
		t.Errorf("trusted certificate: %v", err)
	}
	if s.n.Load() != 1 {
		t.Errorf("%d exports arrived; want 1", s.n.Load())
	}
}
