package anthropicmeter

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// Claude on Google Vertex AI and Amazon Bedrock. anthropic-sdk-go's vertex
// and bedrock options add a middleware that rewrites each Messages call for
// the cloud: the model moves from the body into the path, and a Bedrock
// stream comes back in AWS's binary event-stream framing, which that
// middleware turns into SSE for the layers above it. A meter above it
// (Middleware given before the cloud option) sees an Anthropic call; a
// meter below it (an HTTP client from NewHTTPClient, or Middleware given
// after the cloud option) sees the cloud's call:
//
//	Vertex AI: POST …/publishers/anthropic/models/{model}:rawPredict
//	           POST …/publishers/anthropic/models/{model}:streamRawPredict (SSE)
//	Bedrock:   POST …/model/{model}/invoke
//	           POST …/model/{model}/invoke-with-response-stream (event stream)
//
// Both are metered, with the path's model. The provider is ProviderVertex
// or ProviderBedrock, from the path or, above the cloud's middleware, from
// the cloud's API host, unless WithProvider names one.
// Vertex's count-tokens:rawPredict is not a model call.

// The providers of calls to Claude through a cloud (gen_ai.provider.name).
const (
	ProviderVertex  = "gcp.vertex_ai"
	ProviderBedrock = "aws.bedrock"
)

// target is what a metered request is: its path's model and provider for
// a cloud's route ("" for Anthropic's own, whose body names the model).
type target struct {
	model, provider string
}

// classify says whether req is a Messages call, and to what.
func classify(req *http.Request) (target, bool) {
	if req.Method != http.MethodPost {
		return target{}, false
	}
	p := req.URL.Path
	if strings.HasSuffix(p, "/messages") {
		return target{provider: cloudOf(req.URL.Hostname())}, true
	}
	const vertexModels = "/publishers/anthropic/models/"
	if i := strings.Index(p, vertexModels); i >= 0 {
		model, method, _ := strings.Cut(p[i+len(vertexModels):], ":")
		if model != "" && model != "count-tokens" && (method == "rawPredict" || method == "streamRawPredict") {
			return target{model: model, provider: ProviderVertex}, true
		}
		return target{}, false
	}
	// A Bedrock model may be an inference profile's ARN, which holds '/'.
	if i := strings.Index(p, "/model/"); i >= 0 {
		rest := p[i+len("/model/"):]
		if j := strings.LastIndexByte(rest, '/'); j > 0 {
			if method := rest[j+1:]; method == "invoke" || method == "invoke-with-response-stream" {
				return target{model: rest[:j], provider: ProviderBedrock}, true
			}
		}
	}
	return target{}, false
}

// cloudOf is the provider a cloud's API host stands for ("" for any other
// host): a meter above the cloud's middleware sees an Anthropic call sent
// to the cloud's host.
func cloudOf(host string) string {
	switch {
	case strings.HasSuffix(host, "aiplatform.googleapis.com"):
		return ProviderVertex
	case strings.HasPrefix(host, "bedrock-runtime") && strings.HasSuffix(host, ".amazonaws.com"),
		strings.HasPrefix(host, "bedrock-mantle.") && strings.HasSuffix(host, ".api.aws"): // bedrock.NewMantleClient
		return ProviderBedrock
	}
	return ""
}

// isAWSEventStream says whether a Content-Type is AWS's event stream.
func isAWSEventStream(ct string) bool {
	return strings.HasPrefix(ct, "application/vnd.amazon.eventstream")
}

// maxFrame bounds one event-stream message; the framing allows 16 MiB.
const maxFrame = 16 << 20

// eventStreamBody passes a Bedrock event stream through unchanged and
// meters a copy of each message as it completes. A chunk event carries
// one Messages stream event, base64-encoded in {"bytes":…}; an exception
// message ends the stream with an error.
//
// Each message is framed as: total length (4 bytes, big-endian), headers
// length (4), a CRC of those 8 bytes (4), the headers, the payload, and a
// CRC of the message (4). The SDK checks the CRCs; the meter only reads.
type eventStreamBody struct {
	src   io.ReadCloser
	c     *call
	buf   []byte // the start of a message not read whole yet
	ended bool
}

func (b *eventStreamBody) Read(p []byte) (int, error) {
	n, err := b.src.Read(p)
	if n > 0 && !b.ended {
		b.scan(p[:n])
	}
	if err != nil {
		b.c.streamEnded(err)
		b.ended = true
	}
	return n, err
}

func (b *eventStreamBody) Close() error {
	b.ended = true
	b.c.done(nil)
	return b.src.Close()
}

// scan meters the whole messages of what was read, in place; only the
// start of a message whose end has not arrived is copied, to buf.
func (b *eventStreamBody) scan(p []byte) {
	if len(b.buf) > 0 {
		b.buf = append(b.buf, p...)
		p = b.buf
	}
	read := 0
	for !b.ended && len(p)-read >= 12 {
		m := p[read:]
		total, hlen := binary.BigEndian.Uint32(m), binary.BigEndian.Uint32(m[4:])
		if total < 16 || total > maxFrame || hlen > total-16 {
			b.ended = true // not an event stream the meter can read: it reports what it read
			break
		}
		if len(m) < int(total) {
			break
		}
		b.message(m[12:12+hlen], m[12+hlen:total-4])
		read += int(total)
	}
	if b.ended {
		b.buf = nil
		return
	}
	b.buf = append(b.buf[:0], p[read:]...)
}

// message meters one event-stream message.
func (b *eventStreamBody) message(headers, payload []byte) {
	h, ok := eventHeaders(headers)
	if !ok {
		b.ended = true
		return
	}
	switch string(h.messageType) {
	case "event":
		if string(h.eventType) != "chunk" {
			return
		}
		var chunk struct {
			Bytes []byte `json:"bytes"` // base64 in the JSON
		}
		if json.Unmarshal(payload, &chunk) != nil {
			return
		}
		b.ended = b.c.streamEvent(nil, bytes.TrimSpace(chunk.Bytes))
	case "exception", "error":
		// Bedrock's exception type (throttlingException, …) or error code;
		// never its message.
		b.ended = true
		b.c.failed(&Error{Type: string(h.errorType)}, 0)
	}
}

// frameHeaders are the event-stream headers the meter reads, as the
// message's bytes.
type frameHeaders struct {
	messageType, eventType, errorType []byte
}

// eventHeaders reads a message's headers: each is a name (1-byte length),
// a value type (1 byte) and a value, whose size the type sets (strings
// and byte arrays have a 2-byte length).
func eventHeaders(h []byte) (frameHeaders, bool) {
	var fh frameHeaders
	for len(h) > 0 {
		n := int(h[0])
		if len(h) < 2+n {
			return fh, false
		}
		name, typ := h[1:1+n], h[1+n]
		h = h[2+n:]
		var size int
		switch typ {
		case 0, 1: // true, false
		case 2: // byte
			size = 1
		case 3: // int16
			size = 2
		case 4: // int32
			size = 4
		case 5, 8: // int64, timestamp
			size = 8
		case 9: // uuid
			size = 16
		case 6, 7: // bytes, string
			if len(h) < 2 {
				return fh, false
			}
			size = 2 + int(binary.BigEndian.Uint16(h))
		default:
			return fh, false
		}
		if len(h) < size {
			return fh, false
		}
		if typ == 7 {
			v := h[2:size]
			switch string(name) {
			case ":message-type":
				fh.messageType = v
			case ":event-type":
				fh.eventType = v
			case ":exception-type", ":error-code":
				fh.errorType = v
			}
		}
		h = h[size:]
	}
	return fh, true
}
