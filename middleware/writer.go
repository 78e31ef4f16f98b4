package middleware

import (
	"bufio"
	"io"
	"net"
	"net/http"
)

// responseWriter records the status and body size a handler sends. It
// implements the optional interfaces handlers test for directly
// (http.Flusher, http.Hijacker, io.ReaderFrom) by delegating through
// http.ResponseController, and Unwrap, so http.ResponseController finds
// everything else (deadlines, full duplex) on the writer underneath.
type responseWriter struct {
	http.ResponseWriter
	status   int
	size     int64
	hijacked bool
}

func (w *responseWriter) WriteHeader(code int) {
	if w.status == 0 {
		// 1xx other than 101 are informational: the final status follows.
		if code >= 200 || code == http.StatusSwitchingProtocols {
			w.status = code
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.size += int64(n)
	return n, err
}

// WriteString keeps io.StringWriter's copy-free path.
func (w *responseWriter) WriteString(s string) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := io.WriteString(w.ResponseWriter, s)
	w.size += int64(n)
	return n, err
}

// ReadFrom keeps net/http's sendfile path for io.Copy(w, file).
func (w *responseWriter) ReadFrom(src io.Reader) (int64, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	var n int64
	var err error
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(src)
	} else {
		n, err = io.Copy(writerOnly{w.ResponseWriter}, src)
	}
	w.size += n
	return n, err
}

// writerOnly hides ReadFrom so io.Copy does not recurse.
type writerOnly struct{ io.Writer }

// Flush implements http.Flusher; it is a no-op when the writer underneath
// cannot flush.
func (w *responseWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack implements http.Hijacker; it fails with http.ErrNotSupported when
// the writer underneath cannot hijack (HTTP/2).
func (w *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.hijacked = true
		if w.status == 0 {
			w.status = http.StatusSwitchingProtocols
		}
	}
	return c, rw, err
}

// Unwrap returns the writer underneath, for http.ResponseController.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// frameworkWriter is what writers of frameworks that write around a
// net/http middleware expose (gin.ResponseWriter): handlers there write to
// the framework's writer, not to ours, so the result is read back from it.
type frameworkWriter interface {
	Status() int
	Size() int
}

// result returns the status and size the handler sent.
func (w *responseWriter) result() (status int, size int64) {
	if w.status != 0 {
		return w.status, w.size
	}
	if fw, ok := w.ResponseWriter.(frameworkWriter); ok {
		// gin reports the status set so far (200 by default) even before
		// it has written the header.
		if s := fw.Status(); s != 0 {
			return s, int64(max(fw.Size(), 0))
		}
	}
	// Nothing written: net/http sends 200 with an empty body.
	return http.StatusOK, 0
}
