package tracer_test

import (
	"context"
	"reflect"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/otelswitch/otelswitch/internal/tracer"
)

// TestEveryReadOnlySpanMethodIsImplemented: the span embeds a nil
// sdktrace.ReadOnlySpan to satisfy its unexported method, so a method the
// SDK adds to the interface in a minor release would compile and panic
// when called. Calling every exported method of an ended span, live and
// ended, catches that at the upgrade.
func TestEveryReadOnlySpanMethodIsImplemented(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := tracer.NewProvider(tracer.WithSpanProcessor(rec))
	_, s := tp.Tracer("t").Start(context.Background(), "s")
	check := func(when string, ro sdktrace.ReadOnlySpan) {
		iface := reflect.TypeFor[sdktrace.ReadOnlySpan]()
		v := reflect.ValueOf(ro)
		for i := range iface.NumMethod() {
			m := iface.Method(i)
			if !m.IsExported() || m.Type.NumIn() != 0 {
				continue
			}
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("%s span: ReadOnlySpan.%s panics (%v): the SDK added a method the span does not define", when, m.Name, r)
					}
				}()
				v.MethodByName(m.Name).Call(nil)
			}()
		}
	}
	check("live", s.(sdktrace.ReadOnlySpan))
	s.End()
	check("ended", rec.Ended()[0])
}
