package otelbridge_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/dripserver"
	"github.com/drip-sdk/drip-go/driptest"
	"github.com/drip-sdk/drip-go/otelbridge"
)

// An otelhttp server whose handler makes a model call and a tool call:
// one run per request, for the customer the request names, whether an
// auth middleware in front of otelhttp put it in ctx or the caller sent it
// as baggage.
func TestOtelHTTPServerOneRunPerRequest(t *testing.T) {
	e := newEnv(t)
	custs := []string{e.customer(t, "alpha"), e.customer(t, "beta")}

	mux := http.NewServeMux()
	work := func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		_, llm := e.tracer.Start(ctx, "chat gpt-4o-mini", trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(attribute.String("gen_ai.operation.name", "chat"),
				attribute.String("gen_ai.request.model", "gpt-4o-mini")))
		llm.SetAttributes(attribute.Int("gen_ai.usage.input_tokens", 40), attribute.Int("gen_ai.usage.output_tokens", 2))
		llm.End()
		_, tool := e.tracer.Start(ctx, "execute_tool lookup", trace.WithAttributes(
			attribute.String("gen_ai.operation.name", "execute_tool"), attribute.String("gen_ai.tool.name", "lookup")))
		tool.End()
	}
	mux.HandleFunc("/chat", work)
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) {
		work(w, r)
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	traced := otelhttp.NewHandler(mux, "chat-api",
		otelhttp.WithTracerProvider(e.tp),
		otelhttp.WithPropagators(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})),
		otelhttp.WithSpanOptions(trace.WithAttributes(attribute.String(otelbridge.AttrWorkflow, "chat-api"))))
	// The app's auth middleware runs before otelhttp, so the customer is in
	// the ctx the server span starts under.
	auth := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c := r.Header.Get("X-Customer"); c != "" {
			r = r.WithContext(drip.ContextWithCustomer(r.Context(), c))
		}
		traced.ServeHTTP(w, r)
	})
	srv := httptest.NewServer(auth)
	defer srv.Close()

	type request struct {
		path, customer string
		baggage        bool
		traceID        trace.TraceID
	}
	var reqs []*request
	for i := range 8 {
		r := &request{path: "/chat", customer: custs[i%2], baggage: i%4 >= 2}
		if i == 7 {
			r.path = "/fail"
		}
		reqs = append(reqs, r)
	}
	anonymous := &request{path: "/chat"} // no customer: no run
	reqs = append(reqs, anonymous)

	var wg sync.WaitGroup
	for _, rq := range reqs {
		rand.Read(rq.traceID[:])
		wg.Go(func() {
			hr, _ := http.NewRequest("GET", srv.URL+rq.path, nil)
			var sid trace.SpanID
			rand.Read(sid[:])
			ctx := trace.ContextWithRemoteSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
				TraceID: rq.traceID, SpanID: sid, TraceFlags: trace.FlagsSampled, Remote: true}))
			propagation.TraceContext{}.Inject(ctx, propagation.HeaderCarrier(hr.Header))
			switch {
			case rq.customer == "":
			case rq.baggage:
				hr.Header.Set("Baggage", otelbridge.BaggageCustomerID+"="+rq.customer)
			default:
				hr.Header.Set("X-Customer", rq.customer)
			}
			resp, err := srv.Client().Do(hr)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
		})
	}
	wg.Wait()
	e.flush(t)

	runs := map[string]driptest.Run{}
	for _, r := range e.srv.Runs() {
		if _, dup := runs[r.CorrelationID]; dup {
			t.Fatalf("two runs for trace %s", r.CorrelationID)
		}
		runs[r.CorrelationID] = r
	}
	if len(runs) != len(reqs)-1 {
		t.Fatalf("%d runs for %d requests with a customer", len(runs), len(reqs)-1)
	}
	for _, rq := range reqs {
		r, ok := runs[rq.traceID.String()]
		if rq.customer == "" {
			if ok {
				t.Fatalf("anonymous request got run %+v", r)
			}
			continue
		}
		if !ok {
			t.Fatalf("no run for %s request %s", rq.path, rq.traceID)
		}
		wantStatus := dripserver.StatusCompleted
		if rq.path == "/fail" {
			wantStatus = dripserver.StatusFailed
		}
		if rq.path == "/fail" && (r.ErrorCode != "HTTP_500" || r.ErrorMessage != "HTTP 500") {
			t.Fatalf("failed request: run error %q %q, want HTTP_500", r.ErrorCode, r.ErrorMessage)
		}
		if r.CustomerID != rq.customer || r.WorkflowName != "Chat Api" || r.Status != wantStatus ||
			r.EventCount != 2 || r.TotalQuantity != 43 {
			t.Fatalf("request %+v: run = %+v", rq, r)
		}
		var types []string
		for _, ev := range e.srv.Events(r.ID) {
			types = append(types, ev.EventType)
		}
		if len(types) != 2 || types[0] == types[1] {
			t.Fatalf("events = %v, want llm.completion and tool.call", types)
		}
	}
	if s := e.proc.Stats(); s.Tracked != 0 {
		t.Fatalf("stats = %+v: spans left behind", s)
	}
}
