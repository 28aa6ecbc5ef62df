package newrelic

import (
	"context"

	nr "github.com/newrelic/go-agent/v3/newrelic"
	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"
)

// agentLogProcessor forwards log records through the Go agent's own log
// forwarding (application logging), as an application instrumented with
// the agent does: a record written inside a span the agent mirrors goes to
// that span's transaction, so New Relic links it to the transaction and its
// trace; any other record goes to the application, with the record's
// trace.id and span.id. The agent queues, samples (10,000 a minute by
// default) and sends with its harvest; the counts are the accounting's.
type agentLogProcessor struct{ p *agentProcessor }

func (l agentLogProcessor) OnEmit(_ context.Context, r *sdklog.Record) error {
	if l.p.stopping.Load() {
		l.p.acct.stats.Logs().Dropped(1, false)
		return nil
	}
	data := nr.LogData{
		Timestamp: r.Timestamp().UnixMilli(),
		Severity:  r.SeverityText(),
		Message:   r.Body().String(),
	}
	if r.Body().Type() == attribute.STRING {
		data.Message = r.Body().AsString()
	}
	if data.Severity == "" {
		data.Severity = r.Severity().String()
	}
	if n := r.AttributesLen(); n > 0 {
		data.Attributes = make(map[string]any, n)
		r.WalkAttributes(func(kv attribute.KeyValue) bool {
			data.Attributes[string(kv.Key)] = kv.Value.AsInterface()
			return true
		})
	}
	l.p.acct.handedLog()
	if v, ok := l.p.live.Load(r.SpanID()); ok {
		m := v.(*agentSpan)
		m.txn.mu.Lock()
		ended := m.txn.ended
		if !ended {
			m.thread.t.RecordLog(data)
		}
		m.txn.mu.Unlock()
		if !ended {
			return nil
		}
	}
	if r.TraceID().IsValid() {
		if data.Attributes == nil {
			data.Attributes = map[string]any{}
		}
		data.Attributes["trace.id"] = r.TraceID().String()
		data.Attributes["span.id"] = r.SpanID().String()
	}
	l.p.app.RecordLog(data)
	return nil
}

// Enabled implements sdklog's FilterProcessor: every record is wanted.
func (agentLogProcessor) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }

// Shutdown and ForceFlush are the span processor's: the agent harvests
// logs with everything else.
func (l agentLogProcessor) Shutdown(context.Context) error   { return nil }
func (l agentLogProcessor) ForceFlush(context.Context) error { return nil }
