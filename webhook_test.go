package drip_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	drip "github.com/drip-sdk/drip-go"
)

const whSecret = "whsec_test_0123456789"

func TestWebhookSignature(t *testing.T) {
	payload := []byte(`{"type":"charge.succeeded","data":{"amount":"1.50"}}`)
	now := time.Unix(1_800_000_000, 0)
	clock := drip.WithWebhookClock(func() time.Time { return now })
	good := drip.SignWebhookPayload(payload, whSecret, now)
	if !strings.HasPrefix(good, "t=1800000000,v1=") || len(good) != len("t=1800000000,v1=")+64 {
		t.Fatalf("signature shape: %q", good)
	}
	if err := drip.VerifyWebhookSignature(payload, good, whSecret, clock); err != nil {
		t.Fatalf("own signature refused: %v", err)
	}
	for _, tc := range []struct {
		name, header, secret string
		payload              []byte
		opts                 []drip.WebhookOption
	}{
		{"tampered body", good, whSecret, []byte(`{"type":"charge.succeeded","data":{"amount":"9.50"}}`), nil},
		{"wrong secret", good, "whsec_other", payload, nil},
		{"no secret", good, "", payload, nil},
		{"too old", drip.SignWebhookPayload(payload, whSecret, now.Add(-301*time.Second)), whSecret, payload, nil},
		{"too far ahead", drip.SignWebhookPayload(payload, whSecret, now.Add(301*time.Second)), whSecret, payload, nil},
		{"tolerance narrowed", drip.SignWebhookPayload(payload, whSecret, now.Add(-10*time.Second)), whSecret, payload,
			[]drip.WebhookOption{drip.WithWebhookTolerance(5 * time.Second)}},
		{"no v1", "t=1800000000", whSecret, payload, nil},
		{"no t", strings.Split(good, ",")[1], whSecret, payload, nil},
		{"t not an integer", "t=soon," + strings.Split(good, ",")[1], whSecret, payload, nil},
		{"short digest", good[:len(good)-2], whSecret, payload, nil},
		{"empty", "", whSecret, payload, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := drip.VerifyWebhookSignature(tc.payload, tc.header, tc.secret, append(tc.opts, clock)...)
			if !errors.Is(err, drip.ErrWebhookSignature) {
				t.Fatalf("got %v, want ErrWebhookSignature", err)
			}
			if strings.Contains(err.Error(), whSecret) {
				t.Fatal("the error shows the secret")
			}
		})
	}
	// Slightly in the future passes, as does a header with the parts
	// swapped and extra ones.
	ahead := drip.SignWebhookPayload(payload, whSecret, now.Add(100*time.Second))
	parts := strings.Split(ahead, ",")
	if err := drip.VerifyWebhookSignature(payload, parts[1]+", v0=abc,"+parts[0], whSecret, clock); err != nil {
		t.Fatalf("reordered header refused: %v", err)
	}
}

func TestWebhookHandler(t *testing.T) {
	var got []drip.WebhookEvent
	fail := false
	h := drip.WebhookHandler(whSecret, func(ctx context.Context, e drip.WebhookEvent) error {
		if fail {
			return errors.New("database down")
		}
		got = append(got, e)
		return nil
	}, drip.WithWebhookMaxBody(1<<10))
	srv := httptest.NewServer(h)
	defer srv.Close()
	post := func(body []byte, sig string) int {
		req, _ := http.NewRequest("POST", srv.URL, bytes.NewReader(body))
		if sig != "" {
			req.Header.Set(drip.WebhookSignatureHeader, sig)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	body := []byte(`{"type":"customer.spending.warning","data":{"customerId":"cus_1","level":"warning"}}`)
	if st := post(body, drip.SignWebhookPayload(body, whSecret, time.Now())); st != http.StatusNoContent {
		t.Fatalf("signed delivery: %d", st)
	}
	if len(got) != 1 || got[0].Type != drip.WebhookCustomerSpendingWarning {
		t.Fatalf("events %+v", got)
	}
	var data struct{ CustomerID, Level string }
	if err := got[0].DecodeData(&data); err != nil || data.CustomerID != "cus_1" || data.Level != "warning" {
		t.Fatalf("data %+v (%v)", data, err)
	}
	if st := post(body, drip.SignWebhookPayload(body, "whsec_wrong", time.Now())); st != http.StatusBadRequest {
		t.Fatalf("bad signature: %d", st)
	}
	if st := post(body, ""); st != http.StatusBadRequest {
		t.Fatalf("no signature: %d", st)
	}
	big := bytes.Repeat([]byte("x"), 2<<10)
	if st := post(big, drip.SignWebhookPayload(big, whSecret, time.Now())); st != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversize: %d", st)
	}
	fail = true
	if st := post(body, drip.SignWebhookPayload(body, whSecret, time.Now())); st != http.StatusInternalServerError {
		t.Fatalf("failing handler: %d", st)
	}
	if len(got) != 1 {
		t.Fatalf("handler ran for refused deliveries: %d events", len(got))
	}
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET: %d", resp.StatusCode)
	}
}
