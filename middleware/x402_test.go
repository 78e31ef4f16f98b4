package middleware_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/drip-sdk/drip-go/middleware"
)

func TestPaymentRequired(t *testing.T) {
	const recipient = "0x1111111111111111111111111111111111111111"
	cases := []struct {
		name      string
		body      string
		recipient string // Config.PaymentRecipient
		env       string // DRIP_RECIPIENT_ADDRESS
		quantity  float64
		want      middleware.PaymentRequest // Amount, Recipient, UsageID ("" = the hashed idempotency key)
		x402      bool
	}{
		{"payment object", `{"error":"Payment Required","message":"top up","code":"PAYMENT_REQUIRED",` +
			`"paymentRequest":{"amount":"1.5","recipient":"0x2222","usageId":"0xabc"}}`, recipient, "", 1,
			middleware.PaymentRequest{Amount: "1.5", Recipient: "0x2222", UsageID: "0xabc", Description: "top up"}, true},
		{"x402 object, numeric amount", `{"message":"pay","code":"PAYMENT_REQUIRED","x402":{"amount":2.25}}`, recipient, "", 1,
			middleware.PaymentRequest{Amount: "2.25", Recipient: recipient, Description: "pay"}, true},
		{"amount in message", `{"message":"insufficient balance: amount 0.25 USDC","code":"PAYMENT_REQUIRED"}`, recipient, "", 1,
			middleware.PaymentRequest{Amount: "0.25", Recipient: recipient, Description: "insufficient balance: amount 0.25 USDC"}, true},
		{"priced from quantity", `{"message":"balance too low","code":"PAYMENT_REQUIRED"}`, "", recipient, 3,
			middleware.PaymentRequest{Amount: "0.000300", Recipient: recipient, Description: "balance too low"}, true},
		{"no recipient", `{"message":"balance too low","code":"PAYMENT_REQUIRED"}`, "", "", 1, middleware.PaymentRequest{}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(middleware.RecipientEnv, tc.env)
			url := serve(t, middleware.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				t.Error("handler ran after a refused charge")
			}), middleware.Config{
				Meter:            "generations",
				Quantity:         tc.quantity,
				Mode:             middleware.ChargeBefore,
				CustomerResolver: resolveTenant,
				Client:           fakeDripBody(t, http.StatusPaymentRequired, tc.body),
				PaymentRecipient: tc.recipient,
			}))
			before := time.Now().Unix()
			r := do(t, "POST", url+"/gen", "tok-acme", "Idempotency-Key: req-42")
			if r.status != http.StatusPaymentRequired {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			var body struct {
				Error, Code    string
				PaymentRequest *middleware.PaymentRequest
			}
			if err := json.Unmarshal([]byte(r.body), &body); err != nil {
				t.Fatalf("body %q: %v", r.body, err)
			}
			if body.Code != "PAYMENT_REQUIRED" || body.Error == "" {
				t.Errorf("envelope = %+v", body)
			}
			if !tc.x402 {
				if body.PaymentRequest != nil || r.header.Get("X-Payment-Required") != "" {
					t.Errorf("x402 reply without a recipient: %s %v", r.body, r.header)
				}
				return
			}
			pr := body.PaymentRequest
			if pr == nil {
				t.Fatalf("no paymentRequest in %s", r.body)
			}
			if pr.UsageID == "" || tc.want.UsageID == "" {
				// The middleware scopes the caller's key to the customer;
				// whatever it sent as the key, x402 gets its SHA-256.
				if !regexp.MustCompile(`^0x[0-9a-f]{64}$`).MatchString(pr.UsageID) {
					t.Errorf("usageId = %q, want 0x + a SHA-256", pr.UsageID)
				}
				tc.want.UsageID = pr.UsageID
			}
			if pr.Amount != tc.want.Amount || pr.Recipient != tc.want.Recipient || pr.UsageID != tc.want.UsageID ||
				pr.Description != tc.want.Description {
				t.Errorf("paymentRequest = %+v, want %+v", pr, tc.want)
			}
			if pr.Timestamp < before || pr.Timestamp > time.Now().Unix() || pr.ExpiresAt != pr.Timestamp+300 {
				t.Errorf("timestamp %d, expiresAt %d", pr.Timestamp, pr.ExpiresAt)
			}
			if !regexp.MustCompile(`^` + strconv.FormatInt(pr.Timestamp, 10) + `-[0-9a-f]{32}$`).MatchString(pr.Nonce) {
				t.Errorf("nonce = %q", pr.Nonce)
			}
			for h, want := range map[string]string{
				"X-Payment-Required": "true", "X-Payment-Amount": pr.Amount, "X-Payment-Recipient": pr.Recipient,
				"X-Payment-Usage-Id": pr.UsageID, "X-Payment-Description": pr.Description, "X-Payment-Nonce": pr.Nonce,
				"X-Payment-Expires": strconv.FormatInt(pr.ExpiresAt, 10), "X-Payment-Timestamp": strconv.FormatInt(pr.Timestamp, 10),
			} {
				if got := r.header.Get(h); got != want {
					t.Errorf("%s = %q, want %q", h, got, want)
				}
			}
		})
	}
}

// The usage id of a key that is not hex is its SHA-256, as the official
// middleware sends it.
func TestPaymentUsageIDHash(t *testing.T) {
	url := serve(t, middleware.Wrap(http.NotFoundHandler(), middleware.Config{
		Meter: "generations", Mode: middleware.ChargeBefore, CustomerResolver: resolveTenant,
		Client:           fakeDripBody(t, 402, `{"message":"pay","code":"PAYMENT_REQUIRED","payment":{"amount":"1","usageId":"use_123"}}`),
		PaymentRecipient: "0x1",
	}))
	r := do(t, "POST", url+"/gen", "tok-acme")
	sum := sha256.Sum256([]byte("use_123"))
	if got, want := r.header.Get("X-Payment-Usage-Id"), "0x"+hex.EncodeToString(sum[:]); got != want {
		t.Errorf("X-Payment-Usage-Id = %q, want %q", got, want)
	}
}
