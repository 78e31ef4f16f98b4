package providers

import "net/http"

// Refuse is what a meter returns for a request it refuses before sending
// it (an entitlement gate): the request's body closed, as an
// http.RoundTripper must even when it sends nothing, and err. An SDK
// middleware (middleware true) also returns a response marked
// "x-should-retry: false" beside err: openai-go and anthropic-sdk-go
// retry a middleware error that comes without a response as a connection
// error, with backoff, but never such a response, and they then return
// err as it is. A RoundTripper must return the error alone.
func Refuse(req *http.Request, err error, middleware bool) (*http.Response, error) {
	if req.Body != nil {
		req.Body.Close()
	}
	if !middleware {
		return nil, err
	}
	return &http.Response{
		Status: "403 Forbidden", StatusCode: http.StatusForbidden,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:  http.Header{"X-Should-Retry": {"false"}},
		Body:    http.NoBody,
		Request: req,
	}, err
}
