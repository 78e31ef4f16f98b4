// Package langchaingo meters github.com/tmc/langchaingo (v0.1.14) into Drip:
// LLM calls, tools, chains, agents and retrievers become run events, and a
// bare LLM call outside any chain becomes usage for the customer.
//
// The one-line use is a callbacks.Handler wherever langchaingo takes one:
//
//	h := langchaingo.NewCallbackHandler("cust_123")
//	llm, _ := openai.New(openai.WithCallback(h), openai.WithHTTPClient(h.HTTPClient(nil)))
//	agent := agents.NewExecutor(agents.NewOneShotAgent(llm, tools, agents.WithCallbacksHandler(h)),
//		agents.WithCallbacksHandler(h))
//
// It records through drip.DefaultTracker (WithTracker for another): call
// drip.Shutdown(ctx), with a deadline, before the program exits.
//
// and, for what callbacks cannot see (the model name from call options, the
// call's duration, providers that never call HandleLLMGenerateContentEnd or
// HandleLLMError: anthropic, huggingface, llamafile, watsonx, and openai on
// errors), wrap the model too:
//
//	model := langchaingo.WrapModel(llm, langchaingo.WithHandler(h))
//
// # Runs
//
// If ctx carries a drip run (Tracker.Start, drip.ContextWithRun) every event
// goes there and the handler never ends it. Otherwise the outermost chain or
// agent execution on a ctx gets a run of its own (workflow "langchain" by
// default), ended COMPLETED or FAILED with the execution; nested chains on
// the same ctx record into it. langchaingo callbacks carry no run ids, only
// ctx, so executions are told apart by their ctx: run concurrent executions
// on distinct contexts (any context.WithCancel/WithValue will do), not all on
// one shared context.Background().
//
// # Counted once
//
// Every drip-go adapter shares one mark, providers.MarkMetered on the call's
// ctx: the first meter marks, the ones below skip. A callback cannot change
// the ctx the provider's HTTP request is made with, so the handler never
// marks; the two ways to combine it with HTTP-level metering are:
//
//   - WrapModel calls the model under a marked ctx: the providers/openaimeter
//     HTTP meter (drip.OpenAIHTTPClient in openai.WithHTTPClient) skips the
//     request, the handler's LLM callbacks under a marked ctx record nothing,
//     and WrapModel records the call once, from the response it returns.
//   - CallbackHandler.HTTPClient is an HTTP meter that reports to the
//     handler: the request is made with the ctx the callbacks saw, so the
//     handler records the meter's reading (response model, streamed usage,
//     errors) into the execution's run and skips its own end callback.
//
// A handler alone next to a plain drip.OpenAIHTTPClient would count each call
// twice (once per meter): use one of the two above.
//
// Metadata holds operational facts only (model, tool name, latency, counts,
// error type), never prompts, inputs, outputs, queries or error text.
// Handler methods never block on the network and are safe for concurrent use.
package langchaingo
