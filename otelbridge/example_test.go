package otelbridge_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest"
	"github.com/drip-sdk/drip-go/otelbridge"
)

// Bill a traced request: its root span becomes a Drip run for the
// customer in ctx, the GenAI span under it an llm.completion event with its
// tokens and cost. The example records into a local Drip (package
// dripserver); in your program drip.New() reads DRIP_API_KEY and
// DRIP_BASE_URL.
func ExampleNewSpanProcessor() {
	ctx := context.Background()
	local, err := driptest.StartLocal(ctx) // a local Drip; your program calls drip.New()
	if err != nil {
		log.Fatal(err)
	}
	defer local.Close()
	client := local.Client
	cust, err := client.GetOrCreateCustomer(ctx, "user_42", nil)
	if err != nil {
		log.Fatal(err)
	}

	tracker := drip.NewTracker(client)
	bridge := otelbridge.NewSpanProcessor(tracker, otelbridge.WithWorkflow("chat-api"))
	tp := sdktrace.NewTracerProvider(
		// Keep sampling for your backend; record the rest for billing.
		sdktrace.WithSampler(otelbridge.RecordOnlySampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(0.05)))),
		sdktrace.WithSpanProcessor(bridge),
	)
	tracer := tp.Tracer("example")

	// A request: your auth puts the customer in ctx before the server span
	// starts (with otelhttp: a middleware in front of otelhttp.NewHandler).
	reqCtx, root := tracer.Start(drip.ContextWithCustomer(ctx, cust.ID), "POST /chat")
	run := bridge.RunFromContext(reqCtx) // the run the root span opened
	_, chat := tracer.Start(reqCtx, "chat gpt-4o-mini", trace.WithAttributes(
		attribute.String("gen_ai.operation.name", "chat"),
		attribute.String("gen_ai.request.model", "gpt-4o-mini")))
	chat.SetAttributes( // what GenAI instrumentation sets from the response
		attribute.String("gen_ai.response.model", "gpt-4o-mini-2024-07-18"),
		attribute.Int("gen_ai.usage.input_tokens", 412),
		attribute.Int("gen_ai.usage.output_tokens", 38))
	chat.End()
	root.End()

	// Shut the provider down first: it ends the bridge, which flushes its
	// runs into the tracker; then the tracker, which the bridge does not own.
	shutdownCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := tp.Shutdown(shutdownCtx); err != nil {
		log.Fatal(err)
	}
	if err := tracker.Shutdown(shutdownCtx); err != nil {
		log.Fatal(err)
	}

	tl, err := client.GetRunTimeline(ctx, run.ID(), nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tl.WorkflowName, tl.Status)
	for _, e := range tl.Events {
		fmt.Printf("%s: %v, %v %v, $%s\n", e.Type, e.Metadata["model"], e.Metadata["quantity"], e.Metadata["units"], e.CostUnits.StringFixed(6))
	}
	// Output:
	// Chat Api COMPLETED
	// llm.completion: gpt-4o-mini-2024-07-18, 450 tokens, $0.000085
}
