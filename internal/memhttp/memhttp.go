// Package memhttp builds the replies of in-memory servers: the
// http.RoundTrippers that benchmarks put under an SDK to measure it
// without sockets.
package memhttp

import (
	"bytes"
	"io"
	"net/http"
)

// Reply is a 200 reply to req carrying body, as a server sends it over
// HTTP/1.1.
func Reply(req *http.Request, contentType string, body []byte) *http.Response {
	return &http.Response{
		StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {contentType}},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}
