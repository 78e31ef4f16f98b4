package anthropictest

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"net/http"
	"strings"
)

// route is a request to Claude through a cloud, as anthropic-sdk-go's
// vertex and bedrock options rewrite Messages calls: the model (and
// whether to stream) is in the path, not the body.
type route struct {
	model       string
	stream      bool
	eventStream bool // Bedrock's stream: AWS event-stream framing
	countTokens bool
}

// cloudRoute reads a Vertex AI or Bedrock path; the zero route for any
// other.
func cloudRoute(path string) route {
	const vertexModels = "/publishers/anthropic/models/"
	if i := strings.Index(path, vertexModels); i >= 0 {
		model, method, _ := strings.Cut(path[i+len(vertexModels):], ":")
		switch {
		case model == "count-tokens" && method == "rawPredict":
			return route{countTokens: true}
		case model != "" && method == "rawPredict":
			return route{model: model}
		case model != "" && method == "streamRawPredict":
			return route{model: model, stream: true}
		}
		return route{}
	}
	if rest, ok := strings.CutPrefix(path, "/model/"); ok {
		if j := strings.LastIndexByte(rest, '/'); j > 0 {
			switch rest[j+1:] {
			case "invoke":
				return route{model: rest[:j]}
			case "invoke-with-response-stream":
				return route{model: rest[:j], stream: true, eventStream: true}
			}
		}
	}
	return route{}
}

// sseWriter sends events as Anthropic does: server-sent events.
type sseWriter struct {
	w http.ResponseWriter
	f http.Flusher
}

func newSSEWriter(w http.ResponseWriter) *sseWriter {
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	f, _ := w.(http.Flusher)
	return &sseWriter{w: w, f: f}
}

func (s *sseWriter) event(name string, data []byte) {
	fmt.Fprintf(s.w, "event: %s\ndata: %s\n\n", name, data)
	if s.f != nil {
		s.f.Flush()
	}
}

func (s *sseWriter) fail(_, _ string, data []byte) { s.event("error", data) }

// eventStreamWriter sends events as Bedrock does: each Messages event
// base64-encoded in a chunk message ({"bytes":…}) of AWS's event stream,
// an error as an exception message.
type eventStreamWriter struct {
	w http.ResponseWriter
	f http.Flusher
}

func newEventStreamWriter(w http.ResponseWriter) *eventStreamWriter {
	w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
	w.WriteHeader(http.StatusOK)
	f, _ := w.(http.Flusher)
	return &eventStreamWriter{w: w, f: f}
}

func (e *eventStreamWriter) event(_ string, data []byte) {
	payload, _ := json.Marshal(map[string]string{"bytes": base64.StdEncoding.EncodeToString(data), "p": "abcd"})
	e.send(payload, ":event-type", "chunk", ":content-type", "application/json", ":message-type", "event")
}

// fail sends the exception Bedrock sends when the model's stream fails.
func (e *eventStreamWriter) fail(_, message string, _ []byte) {
	payload, _ := json.Marshal(map[string]string{"message": message})
	e.send(payload, ":exception-type", "modelStreamErrorException", ":content-type", "application/json",
		":message-type", "exception")
}

// send writes one message: total length, headers length, the CRC-32 of
// those 8 bytes, the headers (string values), the payload, and the CRC-32
// of all that precedes it.
func (e *eventStreamWriter) send(payload []byte, headers ...string) {
	var h []byte
	for i := 0; i+1 < len(headers); i += 2 {
		name, value := headers[i], headers[i+1]
		h = append(h, byte(len(name)))
		h = append(h, name...)
		h = append(h, 7) // string
		h = binary.BigEndian.AppendUint16(h, uint16(len(value)))
		h = append(h, value...)
	}
	total := 12 + len(h) + len(payload) + 4
	m := binary.BigEndian.AppendUint32(nil, uint32(total))
	m = binary.BigEndian.AppendUint32(m, uint32(len(h)))
	m = binary.BigEndian.AppendUint32(m, crc32.ChecksumIEEE(m))
	m = append(append(m, h...), payload...)
	m = binary.BigEndian.AppendUint32(m, crc32.ChecksumIEEE(m))
	_, _ = e.w.Write(m)
	if e.f != nil {
		e.f.Flush()
	}
}
