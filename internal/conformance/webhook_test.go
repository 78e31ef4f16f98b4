package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"testing"
	"time"

	drip "github.com/drip-sdk/drip-go"
)

// TestWebhookSignatureMatchesNode: a signature drip-go makes verifies with
// the official Node client's helper, and one Node makes verifies with
// drip-go's.
func TestWebhookSignatureMatchesNode(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := EnsureClient(ctx, NodeDir); err != nil {
		if errors.Is(err, ErrNoNode) && os.Getenv("CI") != "true" {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	const secret = "whsec_conformance_42"
	payload := `{"type":"customer.spending.blocked","data":{"customerId":"cus_1","level":"blocked","note":"é ✓"}}`
	now := time.Now()
	goSig := drip.SignWebhookPayload([]byte(payload), secret, now)
	out, err := RunScript(ctx, NodeDir, "webhook.mjs", "PAYLOAD="+payload, "SECRET="+secret,
		"HEADER="+goSig, "TIMESTAMP="+strconv.FormatInt(now.Unix(), 10))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var res struct {
		Verified bool   `json:"verified"`
		Signed   string `json:"signed"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("node output %q: %v", out, err)
	}
	if !res.Verified {
		t.Fatalf("Node refused drip-go's signature %q", goSig)
	}
	if err := drip.VerifyWebhookSignature([]byte(payload), res.Signed, secret); err != nil {
		t.Fatalf("drip-go refused Node's signature %q: %v", res.Signed, err)
	}
	if res.Signed != goSig {
		t.Fatalf("same payload, secret and time: Node %q, drip-go %q", res.Signed, goSig)
	}
}
