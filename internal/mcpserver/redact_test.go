package mcpserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRedactKeysCatchesEveryKeyShape(t *testing.T) {
	for in, want := range map[string]string{
		"sk_live_0123456789abcdef":              redactedKey,
		"sk_test_0123456789":                    redactedKey,
		"pk_live_AbCdEf123456":                  redactedKey,
		"pk_test_x1y2z3w4":                      redactedKey,
		"sk_abcdefg":                            redactedKey, // bare, exactly 10
		"pk_0123456789":                         redactedKey,
		"bad key sk_live_abc123def, try again":  "bad key " + redactedKey + ", try again",
		"Bearer pk_test_abcdefgh":               "Bearer " + redactedKey,
		`{"key":"sk_test_0123456789"}`:          `{"key":"` + redactedKey + `"}`,
		"api_key=sk_deadbeef00&x=1":             "api_key=" + redactedKey + "&x=1",
		"a_sk_live_0123456789":                  "a_" + redactedKey,
		"two: sk_aaaaaaaa pk_bbbbbbbb.":         "two: " + redactedKey + " " + redactedKey + ".",
		"line\nsk_live_0123456789\n":            "line\n" + redactedKey + "\n",
		"sk_live-with-dashes-0123":              redactedKey,
		"sk_short":                              "sk_short", // 8 chars: not a key
		"disk_usage_total":                      "disk_usage_total",
		"risk_assessment_v2":                    "risk_assessment_v2",
		"desk_booking and task_manager_service": "desk_booking and task_manager_service",
		"no key here":                           "no key here",
	} {
		if got := redactKeys(in); got != want {
			t.Errorf("redactKeys(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRedactOutReachesEveryString(t *testing.T) {
	const key = "sk_test_leaked0123"
	type inner struct{ S string }
	type out struct {
		S   string
		P   *inner
		L   []inner
		M   map[string]any
		hid string
	}
	o := out{S: "x " + key, P: &inner{S: key}, L: []inner{{S: key}},
		M: map[string]any{"k": key, key: 1, "nested": map[string]any{"n": []any{key}}}, hid: key}
	redactOut(&o)
	b, _ := json.Marshal(o)
	if strings.Contains(string(b), "leaked") {
		t.Fatalf("a key survived: %s", b)
	}
	if o.hid != key {
		t.Error("unexported fields are left alone")
	}
}

// A tool result carries no key, wherever the server put one.
func TestToolResultsAreRedacted(t *testing.T) {
	const key = "sk_test_topsecret_4242"
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"cus_1","externalCustomerId":"ext pk_live_othercustomerkey","status":"ACTIVE",`+
			`"metadata":{"note":"copied sk_live_someonesecret1","nested":{"k":"%s"}},"createdAt":"2024-01-01T00:00:00Z"}`,
			strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	}))
	defer echo.Close()
	cs := connect(t, New(newClient(t, key, echo.URL+"/v1"), Options{}))
	res := callRaw(t, cs, "drip_get_customer", map[string]any{"customerId": "cus_1"})
	if res.IsError {
		t.Fatalf("get customer: %s", text(res))
	}
	sc, _ := json.Marshal(res.StructuredContent)
	for what, s := range map[string]string{"text": text(res), "structured": string(sc)} {
		for _, leak := range []string{"topsecret", "othercustomerkey", "someonesecret"} {
			if strings.Contains(s, leak) {
				t.Errorf("%s result leaks %s: %s", what, leak, s)
			}
		}
		if !strings.Contains(s, redactedKey) {
			t.Errorf("%s result: %s", what, s)
		}
	}
}
