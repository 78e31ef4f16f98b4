package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	drip "github.com/drip-sdk/drip-go"
)

func TestWebhooksVerify(t *testing.T) {
	const secret = "whsec_cli_test_secret_0123"
	payload := []byte(`{"id":"evt_wh_1","type":"usage.recorded","createdAt":"2026-03-01T12:00:00Z","data":{"customerId":"cus_1"}}`)
	now := drip.SignWebhookPayload(payload, secret, time.Now())
	old := drip.SignWebhookPayload(payload, secret, time.Now().Add(-48*time.Hour))
	tampered := bytes.Replace(payload, []byte("cus_1"), []byte("cus_2"), 1)

	verify := func(t *testing.T, e env, body []byte, args ...string) result {
		t.Helper()
		res := runDrip(t, e, bytes.NewReader(body), append([]string{"webhooks", "verify"}, args...)...)
		if strings.Contains(res.stdout+res.stderr, secret) {
			t.Errorf("the secret was printed:\n%s%s", res.stdout, res.stderr)
		}
		return res
	}

	t.Run("valid", func(t *testing.T) {
		res := verify(t, env{}, payload, "--secret", secret, "--signature", now)
		if res.code != exitOK {
			t.Fatalf("exit %d: %s", res.code, res.stderr)
		}
		wantLines(t, "verify", res.stdout, "valid signature matches", "type usage.recorded", "id evt_wh_1")
	})
	t.Run("valid json, secret from the environment", func(t *testing.T) {
		res := verify(t, env{extra: []string{envWebhookSecret + "=" + secret}}, payload, "--signature", now, "--json")
		var got verifiedJSON
		decodeJSON(t, res, &got)
		if res.code != exitOK || got != (verifiedJSON{Valid: true, ID: "evt_wh_1", Type: "usage.recorded", CreatedAt: "2026-03-01T12:00:00Z"}) {
			t.Errorf("exit %d, %+v", res.code, got)
		}
	})
	for _, tc := range []struct {
		name   string
		body   []byte
		args   []string
		code   int
		stderr string
	}{
		{"tampered", tampered, []string{"--secret", secret, "--signature", now}, exitVerify, "WEBHOOK_SIGNATURE_INVALID: signature does not match the payload"},
		{"wrong secret", payload, []string{"--secret", "whsec_other", "--signature", now}, exitVerify, "does not match"},
		{"too old", payload, []string{"--secret", secret, "--signature", old}, exitVerify, "outside the tolerance"},
		{"old, any age", payload, []string{"--secret", secret, "--signature", old, "--tolerance", "0"}, exitOK, ""},
		{"old, tampered, any age", tampered, []string{"--secret", secret, "--signature", old, "--tolerance", "0"}, exitVerify, "does not match"},
		{"old, wide tolerance", payload, []string{"--secret", secret, "--signature", old, "--tolerance", "72h"}, exitOK, ""},
		{"malformed header", payload, []string{"--secret", secret, "--signature", "v1=abc"}, exitVerify, "needs t= and v1="},
		{"no signature", payload, []string{"--secret", secret}, exitUsage, "--signature"},
		{"no secret", payload, []string{"--signature", now}, exitUsage, "--secret"},
		{"signed, not an event", []byte(`[1,2]`), []string{"--secret", secret, "--signature", drip.SignWebhookPayload([]byte(`[1,2]`), secret, time.Now())}, exitAPI, "not a Drip event"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := verify(t, env{}, tc.body, tc.args...)
			if res.code != tc.code || !strings.Contains(res.stderr, tc.stderr) {
				t.Errorf("exit %d (want %d), stderr %q (want %q)", res.code, tc.code, res.stderr, tc.stderr)
			}
			if tc.code != exitOK && res.stdout != "" {
				t.Errorf("a refusal printed %q on stdout", res.stdout)
			}
		})
	}
}
