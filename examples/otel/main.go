// Command otel shows an OpenTelemetry-traced HTTP service whose spans become
// Drip runs through otelbridge, with no Drip code in the handler: each
// request is a run for the customer the auth middleware found, each GenAI
// span an event with its tokens and cost.
//
//	go run ./examples/otel
//
// It runs offline: with DRIP_BASE_URL (and DRIP_API_URL) unset it records
// into a local dripd started in this process. Point DRIP_BASE_URL and
// DRIP_API_KEY at Drip to record for real.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest"
	"github.com/drip-sdk/drip-go/otelbridge"
	"github.com/drip-sdk/drip-go/runreport"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, out io.Writer) error {
	// 1. A Drip client and tracker (a local dripd when offline).
	client, stop, err := dripClient(ctx, out)
	if err != nil {
		return err
	}
	defer stop()
	tracker := drip.NewTracker(client)
	defer shutdown(tracker) // on an early return; a second Shutdown is harmless

	// 2. The one line: the bridge as a span processor. Sampling 10% of
	// traces for the tracing backend must not lose billing, hence the
	// RecordOnly wrapper.
	bridge := otelbridge.NewSpanProcessor(tracker, otelbridge.WithWorkflow("support-agent"))
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSampler(otelbridge.RecordOnlySampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(0.1)))),
		sdktrace.WithSpanProcessor(bridge),
		// sdktrace.WithBatcher(yourExporter), as before
	)
	tracer := tp.Tracer("example/agent")

	// 3. The app: customers, an auth middleware in front of otelhttp (so the
	// server span starts with the customer in its ctx), a traced handler.
	customers := map[string]string{} // API key → Drip customer id
	names := map[string]string{}     // Drip customer id → name, for printing
	for _, name := range []string{"acme", "globex"} {
		c, err := client.GetOrCreateCustomer(ctx, name, nil)
		if err != nil {
			return err
		}
		customers["key-"+name] = c.ID
		names[c.ID] = name
	}
	var (
		mu   sync.Mutex
		runs []*drip.Run
	)
	agent := &agent{tracer: tracer}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		runs = append(runs, bridge.RunFromContext(r.Context())) // only to print the timelines below
		mu.Unlock()
		answer, err := agent.answer(r.Context(), r.URL.Query().Get("q"))
		if err != nil {
			http.Error(w, "agent failed", http.StatusBadGateway)
			return
		}
		fmt.Fprintln(w, answer)
	})
	auth := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id, ok := customers[r.Header.Get("X-API-Key")]
			if !ok {
				http.Error(w, "unknown key", http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r.WithContext(drip.ContextWithCustomer(r.Context(), id)))
		})
	}
	srv := &http.Server{
		Handler:           auth(otelhttp.NewHandler(handler, "support", otelhttp.WithTracerProvider(tp))),
		ReadHeaderTimeout: 5 * time.Second,
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go srv.Serve(ln)
	defer srv.Close() // on an early return

	// 4. Traffic.
	for _, req := range []struct{ key, q string }{
		{"key-acme", "where is my order"},
		{"key-globex", "refund please"},
		{"key-acme", "fail the lookup"},
	} {
		hr, _ := http.NewRequestWithContext(ctx, "GET", "http://"+ln.Addr().String()+"/ask?q="+strings.ReplaceAll(req.q, " ", "+"), nil)
		hr.Header.Set("X-API-Key", req.key)
		resp, err := http.DefaultClient.Do(hr)
		if err != nil {
			return err
		}
		resp.Body.Close()
		fmt.Fprintf(out, "%-10s %-19q -> %s\n", req.key, req.q, resp.Status)
	}

	// 5. Stop serving; shut the provider down (it ends the bridge, which
	// ends its runs and flushes them into the tracker), then the tracker,
	// which the bridge does not own; then print what Drip recorded.
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := tp.Shutdown(sctx); err != nil {
		return err
	}
	if err := shutdown(tracker); err != nil {
		return err
	}
	s := bridge.Stats()
	fmt.Fprintf(out, "bridge: %d runs opened, %d events\n", s.RunsOpened, s.Events)
	for _, r := range runs {
		if r == nil {
			continue
		}
		if err := runreport.Write(ctx, out, client, r.ID(), runreport.Options{Label: names[r.CustomerID()]}); err != nil {
			return err
		}
	}
	return nil
}

// agent stands in for an LLM agent whose instrumentation emits GenAI spans
// (semantic conventions v1.41); any OpenTelemetry GenAI instrumentation
// does the same.
type agent struct{ tracer trace.Tracer }

func (a *agent) answer(ctx context.Context, q string) (string, error) {
	ctx, span := a.tracer.Start(ctx, "invoke_agent support", trace.WithAttributes(
		attribute.String("gen_ai.operation.name", "invoke_agent"),
		attribute.String("gen_ai.agent.name", "support")))
	defer span.End()
	a.chat(ctx, "gpt-4o-mini", "gpt-4o-mini-2024-07-18", 412, 38, 128)
	if err := a.tool(ctx, "order_lookup", strings.Contains(q, "fail")); err != nil {
		span.SetStatus(codes.Error, "tool failed")
		return "", err
	}
	a.chat(ctx, "gpt-4o", "gpt-4o-2024-08-06", 655, 120, 0)
	return "done", nil
}

func (a *agent) chat(ctx context.Context, model, responseModel string, in, out, cached int) {
	_, span := a.tracer.Start(ctx, "chat "+model, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String("gen_ai.operation.name", "chat"),
		attribute.String("gen_ai.provider.name", "openai"),
		attribute.String("gen_ai.request.model", model)))
	time.Sleep(15 * time.Millisecond) // the model thinking
	span.SetAttributes(
		attribute.String("gen_ai.response.model", responseModel),
		attribute.Int("gen_ai.usage.input_tokens", in),
		attribute.Int("gen_ai.usage.output_tokens", out),
		attribute.Int("gen_ai.usage.cache_read.input_tokens", cached))
	span.End()
}

func (a *agent) tool(ctx context.Context, name string, fail bool) error {
	_, span := a.tracer.Start(ctx, "execute_tool "+name, trace.WithAttributes(
		attribute.String("gen_ai.operation.name", "execute_tool"),
		attribute.String("gen_ai.tool.name", name)))
	defer span.End()
	time.Sleep(5 * time.Millisecond)
	if fail {
		span.SetAttributes(attribute.String("error.type", "timeout"))
		span.SetStatus(codes.Error, "lookup timed out")
		return errors.New("lookup timed out")
	}
	return nil
}

// shutdown shuts the tracker down, giving it 10 seconds to deliver what is
// still queued.
func shutdown(t *drip.Tracker) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return t.Shutdown(ctx)
}

// dripClient returns a client for Drip when DRIP_BASE_URL or DRIP_API_URL
// is set (drip.New reads them and DRIP_API_KEY). Otherwise it starts a
// local dripd with an in-memory store and returns a client for it; any
// well-formed key is accepted there. stop shuts down what it started.
func dripClient(ctx context.Context, out io.Writer) (client *drip.Client, stop func(), err error) {
	if os.Getenv("DRIP_BASE_URL") != "" || os.Getenv("DRIP_API_URL") != "" {
		client, err = drip.New()
		if err != nil {
			return nil, nil, err
		}
		fmt.Fprintln(out, "recording into Drip at", client.BaseURL())
		return client, func() {}, nil
	}
	local, err := driptest.StartLocal(ctx)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintln(out, "DRIP_BASE_URL not set: recording into a local dripd at", local.BaseURL())
	return local.Client, func() { local.Close() }, nil
}
