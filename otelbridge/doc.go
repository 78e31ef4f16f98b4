// Package otelbridge turns an OpenTelemetry-traced Go program into Drip runs
// and events: a span processor reads the spans the program (and its GenAI
// instrumentation) already emits, with no change at the call sites.
//
// The one-line use:
//
//	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(otelbridge.NewSpanProcessor(tracker)))
//
// and, before the program exits, with a deadline ctx: tp.Shutdown(ctx), then
// tracker.Shutdown(ctx) (see Shutdown below).
//
// # What becomes what
//
// The rules below are shared with the OpenTelemetry Collector's Drip
// exporter (module github.com/drip-sdk/drip-go/collector), so a span
// metered here and the same span exported through a collector make the
// same event.
//
//   - A root span opens a run: the first span of a trace in this process (no
//     parent, or a remote one), or any span with a drip.customer_id
//     attribute, when it is not already in a run. Its customer is the
//     drip.customer_id attribute, else the baggage member drip.customer_id,
//     else drip.CustomerFromContext of the ctx the span starts under; with
//     none, the trace is ignored. The workflow is drip.workflow, else
//     gen_ai.workflow.name or gen_ai.agent.name, else the span name. The
//     trace id becomes the run's correlation id. When the root span ends,
//     the run ends: COMPLETED, or FAILED with the span's status description
//     (first line, cut short).
//   - A span whose start ctx already carries a drip run (drip.ContextWithRun,
//     an HTTP middleware that called Tracker.Start) records into that run,
//     as do its descendants; the bridge never ends a run it did not open.
//   - GenAI inference and embedding spans (gen_ai.operation.name chat,
//     text_completion, generate_content, embeddings; older spans with only
//     gen_ai.system; OpenInference LLM spans; OpenLLMetry llm.* spans)
//     become llm.completion events through drip.LLMEvent, the funnel every
//     drip-go integration shares: response model (else request model),
//     input, output, cached, cache-write and reasoning tokens read from
//     any spelling (semconv 1.41 and ≤1.26, OpenLIT, OpenInference
//     llm.token_count.*, OpenLLMetry llm.usage.*), OpenAI's service tier
//     (openai.response.service_tier, else the tier asked for, in
//     OpenInference's llm.invocation_parameters too; flex and batch
//     tokens cost half, priority its own prices) and the span's duration;
//     the tracker adds the cost (drip.WithPricing). A failed call without
//     tokens is llm.error.
//   - execute_tool spans become tool.call (tool.error), invoke_agent spans
//     agent.finish (agent.error), invoke_workflow spans chain.execution
//     (chain.error), retrieval spans retriever.query (retriever.error).
//     Other spans record nothing unless WithSpanEvents is given.
//   - Every event carries its span id as spanId and its parent span's id as
//     parentEventId, so the run's timeline nests like the trace.
//
// The customer and workflow attributes are read when a span starts (pass
// them with trace.WithAttributes), usage when it ends. A span tree in which
// a wrapper span repeats the usage of the model spans under it is counted
// twice; mark the wrapper with providers.MeteredAttribute (a marked span
// records nothing, and opens no run).
//
// Calls drip-go meters itself (drip.WrapOpenAI with a TracerProvider) emit
// spans marked with providers.MeteredAttribute; the bridge skips them, so
// each call is counted once. Likewise a GenAI span started under a ctx that
// another drip-go meter marked with providers.MarkMetered (langchaingo's
// WrapModel, the WrapOpenAI decorator) is skipped: that meter records the
// call. WrapOpenAI records into the run in the call's
// ctx; to have it record into a run the bridge opened, put that run in ctx
// with SpanProcessor.RunFromContext.
//
// # Cost
//
// OnStart and OnEnd never wait on the network: they touch one small sharded
// map, read attributes only where they must, and hand events to the
// tracker's bounded queue (which drops and counts rather than blocks,
// unless the tracker was built with drip.WithBlockOnFull). OnEnd builds
// the span's event (its attributes, times and ids, formatted in one
// allocation) and hands it to the run with Run.Emit, the path every
// integration takes; pricing, batching and retries happen on the tracker's
// exporter. A span of a trace in no run costs OnEnd one atomic load. The map
// is bounded (WithMaxTrackedSpans): entries leave it when their span ends,
// or, while it is full, when their run is older than WithMaxRunAge; a run
// whose root span was forgotten that way is ended as TIMEOUT. Stats counts
// what was skipped, untracked or evicted.
//
// # Sampling
//
// Span processors only see recording spans: a span the sampler drops never
// reaches OnStart or OnEnd, so its usage is never billed. If you sample
// traces, wrap your sampler with RecordOnlySampler: dropped spans are then
// recorded (and billed) but still not exported.
//
// # Shutdown
//
// TracerProvider.Shutdown calls Shutdown, which ends the runs the bridge
// opened whose root span is still open (FAILED, ABANDONED) and flushes the
// tracker. It does not shut the tracker down, which may serve other
// integrations, unless WithTrackerShutdown was given: call
// tracker.Shutdown yourself after the provider's.
package otelbridge
