package middleware_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drip-sdk/drip-go/middleware"
)

// The writer the handler gets must keep streaming, hijacking, sendfile and
// http.ResponseController working.
func TestResponseWriterKeepsCapabilities(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "blob.txt")
	if err := os.WriteFile(file, []byte(strings.Repeat("z", 4096)), 0o600); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /sse", func(w http.ResponseWriter, r *http.Request) {
		f, ok := w.(http.Flusher)
		if !ok {
			t.Error("not an http.Flusher")
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: 1\n\n")
		f.Flush()
		if err := http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
			t.Errorf("ResponseController.SetWriteDeadline: %v", err)
		}
		_, _ = io.WriteString(w, "data: 2\n\n")
	})
	mux.HandleFunc("GET /file", func(w http.ResponseWriter, r *http.Request) {
		if _, ok := w.(io.ReaderFrom); !ok {
			t.Error("not an io.ReaderFrom")
		}
		f, err := os.Open(file)
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		_, _ = io.Copy(w, f)
	})
	mux.HandleFunc("GET /upgrade", func(w http.ResponseWriter, r *http.Request) {
		conn, rw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		_, _ = rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nhello")
		_ = rw.Flush()
	})
	var sizes = make(chan middleware.Response, 10)
	url := serve(t, middleware.Wrap(mux, middleware.Config{
		Meter: "bytes", CustomerResolver: resolveTenant, Tracker: e.tracker,
		QuantityFunc: func(r *http.Request, resp middleware.Response) float64 {
			sizes <- resp
			return float64(resp.Size)
		},
	}))

	if r := do(t, "GET", url+"/sse", "tok-acme"); r.body != "data: 1\n\ndata: 2\n\n" {
		t.Errorf("sse body = %q", r.body)
	}
	if got := <-sizes; got.Status != 200 || got.Size != 18 {
		t.Errorf("sse response = %+v", got)
	}
	if r := do(t, "GET", url+"/file", "tok-acme"); len(r.body) != 4096 {
		t.Errorf("file body length = %d", len(r.body))
	}
	if got := <-sizes; got.Status != 200 || got.Size != 4096 {
		t.Errorf("file response = %+v", got)
	}

	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = io.WriteString(conn, "GET /upgrade HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok-acme\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Errorf("upgrade status = %d", resp.StatusCode)
	}
	if got := <-sizes; got.Status != http.StatusSwitchingProtocols {
		t.Errorf("hijacked response = %+v", got)
	}
}
