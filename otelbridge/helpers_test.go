package otelbridge_test

import (
	"context"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest"
	"github.com/drip-sdk/drip-go/otelbridge"
)

// env is a real TracerProvider whose only processor is the bridge, over a
// tracker that ships to an in-process dripd.
type env struct {
	srv     *driptest.Server
	client  *drip.Client
	tracker *drip.Tracker
	proc    *otelbridge.SpanProcessor
	tp      *sdktrace.TracerProvider
	tracer  trace.Tracer
}

func newEnv(t testing.TB, opts ...otelbridge.Option) *env {
	t.Helper()
	srv := driptest.NewServer(t)
	c, err := drip.New(drip.WithAPIKey(srv.APIKey()), drip.WithBaseURL(srv.BaseURL()))
	if err != nil {
		t.Fatal(err)
	}
	tr := drip.NewTracker(c, drip.WithoutSelfMetrics(), drip.WithBatchTimeout(10*time.Millisecond))
	t.Cleanup(func() { _ = tr.Shutdown(context.Background()) })
	p := otelbridge.NewSpanProcessor(tr, opts...)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) }) // runs before the tracker's
	return &env{srv: srv, client: c, tracker: tr, proc: p, tp: tp, tracer: tp.Tracer("otelbridge_test")}
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// customer creates a customer and returns its Drip id.
func (e *env) customer(t testing.TB, ext string) string {
	t.Helper()
	cu, err := e.client.GetOrCreateCustomer(ctxT(t), ext, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cu.ID
}

func (e *env) flush(t testing.TB) {
	t.Helper()
	if err := e.tp.ForceFlush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
}

// runOf returns the run whose correlation id is the trace id of span.
func (e *env) runOf(t testing.TB, span trace.Span) driptest.Run {
	t.Helper()
	tid := span.SpanContext().TraceID().String()
	var found []driptest.Run
	for _, r := range e.srv.Runs() {
		if r.CorrelationID == tid {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("runs for trace %s: %d, want 1 (all runs: %+v)", tid, len(found), e.srv.Runs())
	}
	return found[0]
}

func num(t testing.TB, md map[string]any, key string) int64 {
	t.Helper()
	switch v := md[key].(type) {
	case float64:
		return int64(v)
	case int64:
		return v
	case nil:
		return 0
	default:
		t.Fatalf("metadata %s = %T %v", key, v, v)
		return 0
	}
}
