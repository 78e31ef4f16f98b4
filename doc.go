// Package drip is the Go SDK for Drip, usage metering and billing for AI
// agents and LLM apps.
//
// Four entry points cover most programs:
//
//   - New builds a Client for the Drip API: usage, customers, runs, events,
//     timelines. Every call takes a context, retries safely (one idempotency
//     key per logical call) and fails with a *Error.
//   - NewTracker and Tracker.Start record runs in the background: the run
//     travels in the context, Run.Emit costs a few hundred nanoseconds and
//     the tracker prices LLM calls, batches, retries and delivers
//     everything by Shutdown.
//   - WrapOpenAI meters every go-openai call with the provider's own token
//     counts, streaming included; OpenAIMiddleware does the same for the
//     official SDK (openai-go) and any OpenAI-compatible server, Azure
//     OpenAI included.
//   - Event and the Event* type constants are what runs record.
//
// The shortest correct use:
//
//	client, err := drip.New() // DRIP_API_KEY, DRIP_BASE_URL from the environment
//	if err != nil { … }
//	_, err = client.TrackUsage(ctx, drip.UsageParams{CustomerID: "cust_123", Meter: "api_calls", Quantity: 1})
//
// and for an agent:
//
//	tracker := drip.NewTracker(client)
//	defer func() { // deliver what is still queued, waiting at most 5 s
//		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
//		defer cancel()
//		tracker.Shutdown(ctx)
//	}()
//	ctx, run := tracker.Start(ctx, drip.RunParams{CustomerID: "cust_123", Workflow: "support-agent"})
//	run.LLMCall("gpt-4o-mini", 812, 164, 730*time.Millisecond)
//	run.ToolCall("search", 120*time.Millisecond, nil)
//	run.End(drip.RunCompleted)
//
// The integrations, and WrapOpenAI without WithOpenAITracker, record through
// DefaultTracker; shut it down the same way with Shutdown(ctx).
//
// Delivery is exactly once through API failures (keys fixed before the
// first attempt); with WithSpool (or DRIP_SPOOL_DIR) it also survives a
// crash or SIGKILL of the process. Losses are never silent: they are
// logged, counted in Stats and returned by Flush and Shutdown.
//
// Metadata is for operational context only. A MetadataGuard, on by default,
// drops keys and values that look like prompts, completions, credentials or
// personal data before anything leaves the process.
//
// Integrations live beside this package: providers/openaimeter (the
// go-openai meter under WrapOpenAI), langchaingo (a callbacks.Handler),
// otelbridge (an OpenTelemetry span processor), middleware (net/http);
// dripserver and driptest run a local Drip-compatible server, and
// driptest/openaitest a fake OpenAI, for tests and offline examples.
package drip
