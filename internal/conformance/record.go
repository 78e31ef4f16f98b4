package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
)

// LabelPath is the path prefix a script posts to, with a step name after
// it, to label the requests that follow. The Recorder answers it with 204
// and does not pass it on.
const LabelPath = "/__conformance/label/"

// Call is one captured request.
type Call struct {
	Label  string            `json:"label"` // the step that sent it; "" before the first label
	Method string            `json:"method"`
	Path   string            `json:"path"`
	Query  string            `json:"query,omitempty"`
	Header map[string]string `json:"header"` // canonical names; Authorization left out
	Body   json.RawMessage   `json:"body,omitempty"`
	Status int               `json:"status"`
}

// Recorder is an http.Handler that captures every request before passing
// it to the wrapped handler. It is safe for concurrent use.
type Recorder struct {
	next  http.Handler
	mu    sync.Mutex
	label string
	calls []Call
}

// NewRecorder returns a Recorder in front of next.
func NewRecorder(next http.Handler) *Recorder { return &Recorder{next: next} }

// ServeHTTP implements http.Handler.
func (rec *Recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if name, ok := strings.CutPrefix(r.URL.Path, LabelPath); ok {
		name, _ = url.PathUnescape(name)
		rec.mu.Lock()
		rec.label = name
		rec.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
		return
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	c := Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: map[string]string{}}
	for k, v := range r.Header {
		if k != "Authorization" {
			c.Header[k] = strings.Join(v, ", ")
		}
	}
	if json.Valid(body) {
		c.Body = json.RawMessage(body)
	} else if len(body) > 0 {
		c.Body, _ = json.Marshal(string(body)) // keep non-JSON bodies visible
	}
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	rec.next.ServeHTTP(sw, r)
	c.Status = sw.status
	rec.mu.Lock()
	c.Label = rec.label
	rec.calls = append(rec.calls, c)
	rec.mu.Unlock()
}

// SetLabel files the calls that follow under name, for a Go client that
// shares the process with the Recorder.
func (rec *Recorder) SetLabel(name string) {
	rec.mu.Lock()
	rec.label = name
	rec.mu.Unlock()
}

// Calls returns every captured call in arrival order.
func (rec *Recorder) Calls() []Call {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]Call(nil), rec.calls...)
}

// Labeled returns the calls captured under label, in order.
func (rec *Recorder) Labeled(label string) []Call {
	var out []Call
	for _, c := range rec.Calls() {
		if c.Label == label {
			out = append(out, c)
		}
	}
	return out
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Fields flattens a JSON body into dotted paths ("metadata.model",
// "events.0.eventType") with their values, so two requests can be compared
// field by field. An empty body gives an empty map.
func Fields(body json.RawMessage) (map[string]any, error) {
	out := map[string]any{}
	if len(bytes.TrimSpace(body)) == 0 {
		return out, nil
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("conformance: body is not JSON: %w", err)
	}
	flatten("", v, out)
	return out, nil
}

func flatten(prefix string, v any, out map[string]any) {
	join := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			out[prefix] = map[string]any{}
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			flatten(join(k), x[k], out)
		}
	case []any:
		if len(x) == 0 {
			out[prefix] = []any{}
		}
		for i, e := range x {
			flatten(join(fmt.Sprint(i)), e, out)
		}
	default:
		out[prefix] = x
	}
}
