package middleware

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	drip "github.com/drip-sdk/drip-go"
)

// RecipientEnv is the environment variable read for the x402 payment
// recipient when Config.PaymentRecipient is empty (the official Node
// middleware's name).
const RecipientEnv = "DRIP_RECIPIENT_ADDRESS"

// paymentValidity is how long an x402 payment request stays valid.
const paymentValidity = 300 * time.Second

// PaymentRequest is the x402 payment request a ChargeBefore reply carries
// when Drip answers 402 and a payment recipient is configured. Timestamps
// are Unix seconds, as x402 has them.
type PaymentRequest struct {
	Amount      string `json:"amount"`    // USDC, as a decimal string
	Recipient   string `json:"recipient"` // the address to pay
	UsageID     string `json:"usageId"`   // 0x-prefixed
	Description string `json:"description"`
	ExpiresAt   int64  `json:"expiresAt"`
	Nonce       string `json:"nonce"`
	Timestamp   int64  `json:"timestamp"`
}

// paymentBody is the 402 reply with a payment request.
type paymentBody struct {
	Error          string          `json:"error"`
	Code           string          `json:"code"`
	PaymentRequest *PaymentRequest `json:"paymentRequest"`
}

// amountInMessage finds a number following "amount" in a Drip message, the
// official middleware's fallback when the reply has no payment object.
var amountInMessage = regexp.MustCompile(`(?i)amount\D{0,20}?(\d+(?:\.\d+)?)`)

// fallbackUnitPriceUSDC prices each unit of a 402 whose reply states no
// amount at all, as the official middleware does.
const fallbackUnitPriceUSDC = 0.0001

// newPaymentRequest builds the request for a 402 from Drip: amount,
// recipient and usage id from the reply's payment object (payment,
// paymentRequest or x402, in that order) when it has one; else the amount
// from the message, or quantity × fallbackUnitPriceUSDC, the configured recipient,
// and the request's idempotency key as the usage id.
func newPaymentRequest(e *drip.Error, recipient, idempotencyKey string, quantity float64, now time.Time) *PaymentRequest {
	pr := &PaymentRequest{Description: "payment required", Timestamp: now.Unix(),
		ExpiresAt: now.Add(paymentValidity).Unix()}
	if e != nil {
		if e.Message != "" {
			pr.Description = e.Message
		}
		var body map[string]json.RawMessage
		_ = json.Unmarshal(e.Body, &body)
		for _, k := range []string{"payment", "paymentRequest", "x402"} {
			var p struct {
				Amount    json.RawMessage `json:"amount"` // a string or a number
				Recipient string          `json:"recipient"`
				UsageID   string          `json:"usageId"`
			}
			if raw, ok := body[k]; ok && json.Unmarshal(raw, &p) == nil {
				pr.Amount = strings.Trim(string(p.Amount), `"`)
				pr.Recipient, pr.UsageID = p.Recipient, p.UsageID
				break
			}
		}
	}
	if _, err := strconv.ParseFloat(pr.Amount, 64); err != nil {
		pr.Amount = strconv.FormatFloat(quantity*fallbackUnitPriceUSDC, 'f', 6, 64)
		if e != nil {
			if m := amountInMessage.FindStringSubmatch(e.Message); m != nil {
				pr.Amount = m[1]
			}
		}
	}
	if pr.Recipient == "" {
		pr.Recipient = recipient
	}
	if pr.UsageID == "" {
		pr.UsageID = idempotencyKey
	}
	if !strings.HasPrefix(pr.UsageID, "0x") {
		// x402 wants a hex usage id; the official middleware hashes others.
		sum := sha256.Sum256([]byte(pr.UsageID))
		pr.UsageID = "0x" + hex.EncodeToString(sum[:])
	}
	var nonce [16]byte
	_, _ = rand.Read(nonce[:])
	pr.Nonce = strconv.FormatInt(pr.Timestamp, 10) + "-" + hex.EncodeToString(nonce[:])
	return pr
}

// writePaymentRequired sends the x402 reply: 402, the X-Payment-* headers
// and the payment request in the JSON error envelope.
func writePaymentRequired(w http.ResponseWriter, msg string, pr *PaymentRequest) {
	h := w.Header()
	h.Set("X-Payment-Required", "true")
	h.Set("X-Payment-Amount", pr.Amount)
	h.Set("X-Payment-Recipient", pr.Recipient)
	h.Set("X-Payment-Usage-Id", pr.UsageID)
	h.Set("X-Payment-Description", headerSafe(pr.Description))
	h.Set("X-Payment-Expires", strconv.FormatInt(pr.ExpiresAt, 10))
	h.Set("X-Payment-Nonce", pr.Nonce)
	h.Set("X-Payment-Timestamp", strconv.FormatInt(pr.Timestamp, 10))
	writeJSON(w, http.StatusPaymentRequired, paymentBody{Error: msg, Code: drip.CodePaymentRequired, PaymentRequest: pr})
}

// headerSafe keeps a header value to printable ASCII on one line.
func headerSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return ' '
		}
		return r
	}, s)
}
