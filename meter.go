package drip

import "context"

// keyPrefixWrap prefixes the idempotency key Meter derives, as the official
// clients' wrapApiCall does.
const keyPrefixWrap = "wrap"

// Meter runs fn once and bills what it used: quantityOf reads the quantity
// from fn's result, and the usage is sent with p (quantity replaced) through
// TrackUsage, UsageSync by default (POST /usage). It is Drip's wrapApiCall
// for any call you pay for, an LLM request for instance:
//
//	resp, usage, err := drip.Meter(ctx, client,
//		drip.UsageParams{CustomerID: cust, Meter: "llm_tokens", Units: "tokens"},
//		func(ctx context.Context) (openai.ChatCompletionResponse, error) {
//			return oai.CreateChatCompletion(ctx, req)
//		},
//		func(r openai.ChatCompletionResponse) float64 { return float64(r.Usage.TotalTokens) })
//
// p is checked before fn runs, so a bad parameter costs no call. The
// idempotency key (p.IdempotencyKey, else a fresh "wrap_…" key) is fixed
// before fn runs and shared by every retry of the usage call, so the
// client's retries never bill twice.
//
// When fn fails, nothing is sent and Meter returns fn's result and error
// as they are. When fn succeeds but the usage call fails, Meter returns
// fn's result with the *Error, so the work is not lost; to resend that
// usage later without double billing, set p.IdempotencyKey yourself and
// reuse it. The usage call runs on ctx: a ctx that ends right after fn
// loses the usage (pass context.WithoutCancel(ctx) to send it regardless).
func Meter[T any](ctx context.Context, c *Client, p UsageParams, fn func(context.Context) (T, error), quantityOf func(T) float64) (T, *UsageResult, error) {
	const op = "Meter"
	var zero T
	switch {
	case c == nil:
		return zero, nil, validationError(op, "client", "client is required")
	case fn == nil:
		return zero, nil, validationError(op, "fn", "fn is required")
	case quantityOf == nil:
		return zero, nil, validationError(op, "quantityOf", "quantityOf is required")
	}
	p.Quantity = 0 // quantityOf decides it
	if err := p.validate(op); err != nil {
		return zero, nil, err
	}
	if p.IdempotencyKey == "" {
		p.IdempotencyKey = newKey(keyPrefixWrap)
	}
	v, err := fn(ctx)
	if err != nil {
		return v, nil, err
	}
	p.Quantity = quantityOf(v)
	res, err := c.TrackUsage(ctx, p)
	if err != nil {
		return v, nil, err
	}
	return v, res, nil
}
