package main

import (
	"bufio"
	"io"
	"strings"
)

// maxSSELine is the longest line of the stream read; one event's JSON is
// far smaller.
const maxSSELine = 1 << 20

// sseMessage is one server-sent event: its kind (the event: field,
// "message" when absent) and its data lines joined by newlines.
type sseMessage struct {
	Kind string
	Data string
}

// readSSE reads server-sent events from r and calls fn for each message,
// as the EventSource rules say: "field: value" lines (one space after the
// colon dropped), several data: lines joined by "\n", a blank line ends a
// message, a line starting with ":" is a comment (dripd's ": ping"), id:
// and retry: are ignored. It returns fn's first error, or r's, or nil at
// the end of r.
func readSSE(r io.Reader, fn func(sseMessage) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxSSELine)
	var kind string
	var data []string
	for sc.Scan() {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if line == "" {
			if data != nil {
				msg := sseMessage{Kind: kind, Data: strings.Join(data, "\n")}
				if msg.Kind == "" {
					msg.Kind = "message"
				}
				if err := fn(msg); err != nil {
					return err
				}
			}
			kind, data = "", nil
			continue
		}
		if strings.HasPrefix(line, ":") {
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "event":
			kind = value
		case "data":
			data = append(data, value)
		}
	}
	return sc.Err()
}
