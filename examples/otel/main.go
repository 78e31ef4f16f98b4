// Command otel shows an OpenTelemetry-traced HTTP service whose spans become
// Drip runs through otelbridge, with no Drip code in the handler: each
// request is a run for the customer the auth middleware found, each GenAI
// span an event with its tokens and cost.
//
// It runs offline: with DRIP_BASE_URL unset it starts an in-process dripd.
// Point DRIP_BASE_URL and DRIP_API_KEY at Drip to record for real.
//
//	go run ./examples/otel
package main

import (
	"context"
	"errors"
	"fmt"
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
	"github.com/drip-sdk/drip-go/internal/devenv"
	"github.com/drip-sdk/drip-go/otelbridge"
)

func main() {
	if err := run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	// 1. A Drip client and tracker (an embedded dripd when offline).
	client, stop, err := devenv.Client(ctx, os.Stdout)
	if err != nil {
		return err
	}
	defer stop()
	tracker := drip.NewTracker(client)
	defer tracker.Shutdown(context.Background())

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
	customers := map[string]string{}
	for _, key := range []string{"key-acme", "key-globex"} {
		c, err := client.GetOrCreateCustomer(ctx, strings.TrimPrefix(key, "key-"), nil)
		if err != nil {
			return err
		}
		customers[key] = c.ID
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
	srv := &http.Server{Handler: auth(otelhttp.NewHandler(handler, "support", otelhttp.WithTracerProvider(tp)))}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go srv.Serve(ln)
	defer srv.Close()

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
		fmt.Printf("%s %q → %s\n", req.key, req.q, resp.Status)
	}

	// 5. Shut the provider down first (ends its processors, flushing the
	// tracker), then print what Drip recorded.
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := tp.Shutdown(sctx); err != nil {
		return err
	}
	s := bridge.Stats()
	fmt.Printf("\nbridge: %d runs opened, %d events, %d spans still tracked\n", s.RunsOpened, s.Events, s.Tracked)
	for _, r := range runs {
		if r == nil {
			continue
		}
		if err := printTimeline(sctx, client, r.ID()); err != nil {
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
	a.chat(ctx, "gpt-4o-mini", 412, 38, 128)
	if err := a.tool(ctx, "order_lookup", strings.Contains(q, "fail")); err != nil {
		span.SetStatus(codes.Error, "tool failed")
		return "", err
	}
	a.chat(ctx, "gpt-4o", 655, 120, 0)
	return "done", nil
}

func (a *agent) chat(ctx context.Context, model string, in, out, cached int) {
	_, span := a.tracer.Start(ctx, "chat "+model, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String("gen_ai.operation.name", "chat"),
		attribute.String("gen_ai.provider.name", "openai"),
		attribute.String("gen_ai.request.model", model)))
	time.Sleep(15 * time.Millisecond) // the model thinking
	span.SetAttributes(
		attribute.String("gen_ai.response.model", model+"-2024-08-06"),
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

func printTimeline(ctx context.Context, c *drip.Client, runID string) error {
	tl, err := c.GetRunTimeline(ctx, runID, nil)
	if err != nil {
		return err
	}
	fmt.Printf("\nrun %s  %s  customer %s  %s  cost $%s\n", tl.RunID, tl.WorkflowName, tl.CustomerID,
		tl.Status, tl.Summary.TotalCostUnits)
	if tl.ErrorCode != "" || tl.ErrorMessage != "" {
		fmt.Printf("  error %s %s\n", tl.ErrorCode, tl.ErrorMessage)
	}
	for _, e := range tl.Events {
		cost := ""
		if e.CostUnits != nil {
			cost = fmt.Sprintf("  $%.6f", *e.CostUnits)
		}
		tokens := ""
		if in, ok := e.Metadata["inputTokens"]; ok {
			tokens = fmt.Sprintf("  in %v out %v", in, e.Metadata["outputTokens"])
		}
		fmt.Printf("  %-15s %-8s %-34s %6v%s%s\n", e.Type, e.Outcome, e.Description, e.Duration, tokens, cost)
	}
	return nil
}
