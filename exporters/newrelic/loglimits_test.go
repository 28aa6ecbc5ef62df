package newrelic

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/otelswitch/otelswitch/exporters"
	"github.com/otelswitch/otelswitch/exporters/otlp"
	"github.com/otelswitch/otelswitch/internal/otlptest"
)

// New Relic's 1 MB payload rule and attribute limits apply to log records
// as they do to spans. 400 records (a 1 KB body and an 8 KB attribute,
// about 5 KB once the attribute is cut), one of them with a 2 MB body
// instead, go through the log processor New Relic's backend has (the wire
// log processor with New Relic's LogLimits), uncompressed: every request
// that reaches the receiver is under 1 MB as encoded, every record arrives
// once and in order, the 2 MB body is cut to fit (the record is kept), and
// an attribute value over 4095 bytes is cut to 4095.
func TestWireLogProcessorKeepsEveryRequestUnderOneMB(t *testing.T) {
	recv, srv := otlptest.NewHTTP(t)
	u, err := url.Parse(srv.URL + otlp.LogsPath)
	if err != nil {
		t.Fatal(err)
	}
	tg := otlp.Target{Protocol: otlp.HTTPProtobuf, URL: u, Compression: otlp.None}
	s := exporters.Settings{Environment: "development", Logs: true, ExportTimeout: 10 * time.Second, Logger: slog.New(slog.DiscardHandler),
		Batch: exporters.Batch{Delay: time.Hour, MaxQueue: 1024, MaxExport: 1024}}
	b, err := otlp.NewBackend(context.Background(), Name, nil, otlp.Pipeline{Traces: tg, Logs: &tg, LogLimits: logLimits}, s)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.SpanProcessor.Shutdown(context.Background()) }()
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(b.LogProcessor), sdklog.WithResource(resource.NewSchemaless(attribute.String("service.name", "books"))))
	emitLimitRecords(lp)
	if err := lp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkLimitRecords(t, recv)
	if st := b.Stats.Snapshot().Logs; st.Exported != limitRecords || st.FailedExports != 0 || st.BytesSent < 2_000_000 {
		t.Errorf("Stats().Logs = %+v, want %d exported, none failed, the bytes counted", st, limitRecords)
	}
}

const limitRecords, hugeRecord = 400, 200

// emitLimitRecords emits the records of the test above.
func emitLimitRecords(lp *sdklog.LoggerProvider) {
	logger := lp.Logger("nr-test")
	for i := range limitRecords {
		var r log.Record
		body := strings.Repeat("b", 1000)
		if i == hugeRecord {
			body = strings.Repeat("h", 2_000_000)
		}
		r.SetBody(attribute.StringValue(body))
		r.AddAttributes(attribute.Int("seq", i), attribute.String("long", strings.Repeat("v", 8000)))
		logger.Emit(context.Background(), r)
	}
}

// checkLimitRecords checks what recv received of emitLimitRecords's.
func checkLimitRecords(t *testing.T, recv *otlptest.Receiver) {
	t.Helper()
	const n, huge = limitRecords, hugeRecord
	reqs := recv.Requests()
	if len(reqs) < 4 {
		t.Errorf("%d requests for about 3 MB of records; the split did not happen", len(reqs))
	}
	for i, r := range reqs {
		if r.BodyBytes >= maxPayloadBytes {
			t.Errorf("request %d is %d bytes, over New Relic's %d", i, r.BodyBytes, maxPayloadBytes)
		}
	}
	got := recv.LogRecords()
	if len(got) != n {
		t.Fatalf("%d records arrived, want %d", len(got), n)
	}
	for i, r := range got {
		var seq int64 = -1
		for _, kv := range r.Record.Attributes {
			switch kv.Key {
			case "seq":
				seq = kv.Value.GetIntValue()
			case "long":
				if l := len(kv.Value.GetStringValue()); l != maxValueBytes {
					t.Errorf("record %d: attribute of 8000 bytes arrived with %d, want %d", i, l, maxValueBytes)
				}
			}
		}
		if seq != int64(i) {
			t.Fatalf("record %d has seq %d: records lost, repeated or reordered", i, seq)
		}
		body := r.Record.Body.GetStringValue()
		switch {
		case i == huge && (len(body) >= maxPayloadBytes || len(body) < maxPayloadBytes/2 || strings.Trim(body, "h") != ""):
			t.Errorf("the 2 MB body arrived with %d bytes, want cut under %d and not emptied", len(body), maxPayloadBytes)
		case i != huge && len(body) != 1000:
			t.Errorf("record %d: body of 1000 bytes arrived with %d", i, len(body))
		}
	}
	t.Logf("%d records in %d requests: %s", n, len(reqs), requestSizes(reqs))
}

func requestSizes(reqs []otlptest.Request) string {
	s := make([]string, len(reqs))
	for i, r := range reqs {
		s[i] = fmt.Sprint(r.BodyBytes)
	}
	return strings.Join(s, ", ")
}
