package dripserver_test

import (
	"regexp"
	"strconv"
	"testing"

	"github.com/drip-sdk/drip-go/driptest"
)

// TestInvalidUTF8Refused sends keys and values that encoding/json would turn
// into U+FFFD: each is 422 naming the field, and nothing is stored, so two
// idempotency keys that differ only there never collide.
func TestInvalidUTF8Refused(t *testing.T) {
	srv := driptest.NewServer(t)
	a := newAPI(t, srv.BaseURL(), srv.APIKey())
	c := a.customer("utf8")
	run := a.startRun(c.ID, "utf8")
	before := counts(srv)
	ev := func(key, extra string) string {
		return `{"runId":"` + run.ID + `","eventType":"e","idempotencyKey":"k` + key + `"` + extra + `}`
	}
	tests := []struct {
		name, path, body, field string
	}{
		{"event key 0xff", "/run-events", ev("\xff", ""), "idempotencyKey"},
		{"event key 0xfe", "/run-events", ev("\xfe", ""), "idempotencyKey"},
		{"event key lone high surrogate", "/run-events", ev(`\ud800`, ""), "idempotencyKey"},
		{"event key other lone high surrogate", "/run-events", ev(`\udbff`, ""), "idempotencyKey"},
		{"event key lone low surrogate", "/run-events", ev(`\udc00`, ""), "idempotencyKey"},
		{"event key reversed pair", "/run-events", ev(`\ude00\ud83d`, ""), "idempotencyKey"},
		{"event key encoded surrogate", "/run-events", ev("\xed\xa0\x80", ""), "idempotencyKey"},
		{"event key truncated sequence", "/run-events", ev("\xe2\x82", ""), "idempotencyKey"},
		{"batch keys", "/run-events/batch",
			`{"events":[` + ev("ok", "") + `,` + ev("\xff", "") + `,` + ev("\xfe", "") + `]}`, "events[1].idempotencyKey"},
		{"metadata value", "/run-events", ev("m", `,"metadata":{"prompt":"caf\xc3"}`), "metadata.prompt"},
		{"nested metadata value", "/run-events", ev("n", `,"metadata":{"a":[1,{"b":["x","\xff"]}]}`), "metadata.a[1].b[1]"},
		{"metadata key", "/run-events", ev("k", `,"metadata":{"ok":1,"\xff":1}`), "metadata"},
		{"top-level key", "/run-events", `{"\xff":1,"runId":"` + run.ID + `","eventType":"e"}`, "body"},
		{"usage key", "/usage", `{"customerId":"` + c.ID + `","idempotencyKey":"u\xff"}`, "idempotencyKey"},
		{"usage type", "/usage/internal", `{"customerId":"` + c.ID + `","usageType":"t\xfe"}`, "usageType"},
		{"customer id", "/customers", `{"externalCustomerId":"c\xff"}`, "externalCustomerId"},
		{"record event", "/runs/record",
			`{"customerId":"` + c.ID + `","workflow":"w","status":"COMPLETED","events":[{"eventType":"a"},{"eventType":"b\xff"}]}`, "events[1].eventType"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := a.fail(422, "VALIDATION_ERROR", "POST", tc.path, unhex(tc.body))
			if e.Field != tc.field {
				t.Errorf("field %q, want %q (%s)", e.Field, tc.field, e.Message)
			}
		})
	}
	if after := counts(srv); after != before {
		t.Fatalf("refused requests stored something: %+v → %+v", before, after)
	}

	// Valid text, including characters escaped as surrogate pairs and a
	// backslash that only looks like an escape, is kept as sent.
	valid := []struct{ sent, stored string }{
		{`\ud83d\ude00`, "k😀"},
		{"😀x", "k😀x"},
		{`\\ud800`, `k\ud800`},
		{"é\u2028", "ké\u2028"},
	}
	for _, v := range valid {
		a.ok(201, "POST", "/run-events", ev(v.sent, ""), nil)
	}
	got := map[string]bool{}
	for _, e := range srv.Events(run.ID) {
		got[e.IdempotencyKey] = true
	}
	for _, v := range valid {
		if !got[v.stored] {
			t.Errorf("key %q not stored; stored %v", v.stored, got)
		}
	}
}

// unhex turns each \xHH written in s into that byte, so that a body with
// invalid UTF-8 can be written as a raw string.
func unhex(s string) string {
	return hexEscape.ReplaceAllStringFunc(s, func(m string) string {
		b, _ := strconv.ParseUint(m[2:], 16, 8)
		return string([]byte{byte(b)})
	})
}

var hexEscape = regexp.MustCompile(`\\x[0-9a-f]{2}`)
