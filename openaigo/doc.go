// Package openaigo holds drip-go's tests, benchmarks and example for the
// official OpenAI Go SDK (github.com/openai/openai-go/v3). It exports
// nothing: metering that SDK takes one option and no import of this
// package, because drip.OpenAIMiddleware has the type of the SDK's
// option.Middleware:
//
//	client := openai.NewClient(
//		option.WithAPIKey(key),
//		option.WithMiddleware(drip.OpenAIMiddleware("cust_123")),
//	)
//
// Every call whose reply carries usage — chat completions, responses,
// embeddings, completions, images, audio transcriptions, decisions, and
// their streams — is recorded with the provider's token counts (cached,
// cache-write, reasoning and audio tokens included; whisper-1's seconds of
// audio): inside a run (drip.RunFromContext) as an llm.completion event,
// outside one as usage for the customer. Failed calls are llm.error
// events. The same line works for Azure OpenAI (azure.WithEndpoint; see drip.WithOpenAIDeployments)
// and for any OpenAI-compatible base URL (option.WithBaseURL); a server that
// reports no usage gets its calls recorded with estimated counts, marked
// usageEstimated.
//
// option.WithHTTPClient(drip.OpenAIHTTPClient("cust_123")) meters the same
// calls; the middleware keeps the SDK's own HTTP client. Both together
// count each call once.
//
// The tests run the real SDK against driptest/openaitest, a local server
// speaking OpenAI's wire, and assert what reached driptest token for token.
// They live in a package of their own so that building or testing package
// drip never compiles the SDK.
package openaigo
