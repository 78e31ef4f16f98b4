package main

import (
	"reflect"
	"strings"
	"testing"
)

func TestReadSSE(t *testing.T) {
	in := ": ping\n\n" +
		"event: run.started\ndata: {\"id\":\"run_1\"}\n\n" +
		"event: note\r\ndata: one\r\ndata:two\r\nid: 7\r\nretry: 100\r\n\r\n" +
		"data: no kind\n\n" +
		"event: ignored, no data\n\n" +
		"event: cut\ndata: never ended"
	var got []sseMessage
	if err := readSSE(strings.NewReader(in), func(m sseMessage) error { got = append(got, m); return nil }); err != nil {
		t.Fatal(err)
	}
	want := []sseMessage{
		{"run.started", `{"id":"run_1"}`},
		{"note", "one\ntwo"},
		{"message", "no kind"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}
