package providers

import "net/http"

// RefusalResponse is what an SDK middleware returns, beside its error,
// when it refuses a request before sending it (an entitlement gate):
// openai-go and anthropic-sdk-go retry a middleware error that comes
// without a response as a connection error, with backoff, but never a
// response marked "x-should-retry: false", and they then return the error
// as it is. An http.RoundTripper must not do this: it returns the error
// alone.
func RefusalResponse(req *http.Request) *http.Response {
	return &http.Response{
		Status: "403 Forbidden", StatusCode: http.StatusForbidden,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:  http.Header{"X-Should-Retry": {"false"}},
		Body:    http.NoBody,
		Request: req,
	}
}
