package memhttp

import (
	"io"
	"net/http"
	"testing"
)

// A reply must read as a server's would: status, type, length and body.
func TestReply(t *testing.T) {
	req, _ := http.NewRequest(http.MethodPost, "http://x.invalid/v1", nil)
	resp := Reply(req, "application/json", []byte(`{"ok":true}`))
	body, err := io.ReadAll(resp.Body)
	if err != nil || string(body) != `{"ok":true}` || resp.ContentLength != int64(len(body)) {
		t.Fatalf("body %q (length %d), %v", body, resp.ContentLength, err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" || resp.Request != req {
		t.Fatalf("reply %+v", resp)
	}
}
