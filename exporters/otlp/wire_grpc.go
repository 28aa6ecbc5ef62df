package otlp

import (
	"context"
	"fmt"
	"time"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	_ "google.golang.org/grpc/encoding/gzip" // registers the gzip compressor
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/otelswitch/otelswitch/exporters"
)

// grpcSender calls TraceService/Export with bytes otlpwire encoded,
// passed through by rawCodec, on a connection made as otlptracegrpc makes
// it: the target's credentials, headers as metadata, gzip when asked, and
// wire counting by a stats handler.
type grpcSender struct {
	conn     *grpc.ClientConn
	md       metadata.MD
	callOpts []grpc.CallOption
	noRetry  bool // Settings.NoRetry: one attempt, for the doctor
	sig      wireSignal
}

func newGRPCSender(tr transport, counters *exporters.SignalCounters, sig wireSignal) (*grpcSender, error) {
	t := tr.target
	// grpc.NewClient does not connect: the connection is made on the
	// first export, as with the SDK's exporter. The transport's options
	// carry the credentials, byte counting and status masking.
	conn, err := grpc.NewClient(t.URL.Host, append(tr.grpcOptions(counters), grpc.WithUserAgent(userAgent))...)
	if err != nil {
		return nil, err
	}
	s := &grpcSender{conn: conn, callOpts: []grpc.CallOption{grpc.ForceCodecV2(rawCodec{})}, noRetry: t.noRetry, sig: sig}
	if len(t.Headers) > 0 {
		s.md = metadata.New(t.headers())
	}
	if t.Compression == Gzip {
		s.callOpts = append(s.callOpts, grpc.UseCompressor(Gzip))
	}
	return s, nil
}

func (s *grpcSender) send(ctx context.Context, body []byte) error {
	if s.md.Len() > 0 {
		md := s.md
		if out, ok := metadata.FromOutgoingContext(ctx); ok {
			md = metadata.Join(md, out)
		}
		ctx = metadata.NewOutgoingContext(ctx, md)
	}
	for attempt := 1; ; attempt++ {
		var resp rawMessage
		err := s.conn.Invoke(ctx, s.sig.method, &rawMessage{b: body}, &resp, s.callOpts...)
		if err == nil {
			return partialFromGRPC(resp.b, s.sig)
		}
		retry, wait := retryableGRPC(err)
		if !retry || s.noRetry || ctx.Err() != nil {
			return err
		}
		if wait <= 0 {
			wait = retryDelay(attempt)
		}
		if werr := waitToRetry(ctx, wait, err); werr != nil {
			return werr
		}
	}
}

// partialFromGRPC reads an export response (see partialError).
func partialFromGRPC(b []byte, sig wireSignal) error {
	if len(b) == 0 {
		return nil
	}
	var resp collectortrace.ExportTraceServiceResponse
	if err := proto.Unmarshal(b, &resp); err != nil {
		return fmt.Errorf("reading the export response: %w", err)
	}
	return partialError(resp.GetPartialSuccess(), sig)
}

// retryableGRPC says whether err is one the OTLP specification says to
// retry, and after how long when the server said (RetryInfo). Resource
// exhaustion is retried only when the server says when.
func retryableGRPC(err error) (bool, time.Duration) {
	st := status.Convert(err)
	var wait time.Duration
	hasInfo := false
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			wait, hasInfo = ri.GetRetryDelay().AsDuration(), true
		}
	}
	switch st.Code() {
	case codes.Canceled, codes.DeadlineExceeded, codes.Aborted, codes.OutOfRange, codes.Unavailable, codes.DataLoss:
		return true, wait
	case codes.ResourceExhausted:
		return hasInfo, wait
	}
	return false, 0
}

func (s *grpcSender) close(context.Context) error { return s.conn.Close() }

// rawMessage is an encoded protobuf message.
type rawMessage struct{ b []byte }

// rawCodec passes encoded messages through: the request is already in wire
// format, and the response is decoded only when it is not empty.
type rawCodec struct{}

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	m, ok := v.(*rawMessage)
	if !ok {
		return nil, fmt.Errorf("rawCodec: cannot marshal %T", v)
	}
	// SliceBuffer does not return the bytes to a pool when freed: they
	// are the exporter's, reused after Invoke returns.
	return mem.BufferSlice{mem.SliceBuffer(m.b)}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	m, ok := v.(*rawMessage)
	if !ok {
		return fmt.Errorf("rawCodec: cannot unmarshal into %T", v)
	}
	m.b = data.Materialize()
	return nil
}

// Name is "proto": the content subtype servers expect of OTLP.
func (rawCodec) Name() string { return "proto" }
