// Package pricing prices LLM calls from their token counts.
//
// A Table maps model names to a Price in US dollars per million tokens
// (input, cached input, output). Lookups normalise the model name the way
// providers and gateways spell it — case, provider prefixes such as
// "openai/" or "models/", date suffixes such as "-2024-08-06", "-20241022",
// "@20240620" and "-latest" — and then match the longest known name that
// ends at a separator, so "gpt-4o-mini-2024-07-18" is priced as gpt-4o-mini,
// never as gpt-4o, and "gpt-4o" is never priced as "gpt-4".
//
// An unknown model has no price: Cost reports ok=false rather than a guess.
//
// The shortest correct use:
//
//	usd, ok := pricing.Default().Cost("gpt-4o-mini-2024-07-18", in, cached, out)
//
// Override or extend the built-in prices for one table:
//
//	t := pricing.New(map[string]pricing.Price{"my-finetune": {Input: 3, Output: 12}})
//
// Tables are safe for concurrent use; Lookup does not allocate.
package pricing
