package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	drip "github.com/drip-sdk/drip-go"
)

// envWebhookSecret is where drip webhooks verify looks for the secret when
// --secret is not given, to keep it out of shell history.
const envWebhookSecret = "DRIP_WEBHOOK_SECRET"

var cmdWebhooksVerify = command{
	name:    "webhooks verify",
	summary: "check a saved webhook delivery (the raw body on stdin) against its X-Drip-Signature; print its type and id",
	define:  defineWebhooksVerify,
}

// verifiedJSON is the --json output of drip webhooks verify.
type verifiedJSON struct {
	Valid     bool   `json:"valid"`
	ID        string `json:"id"`
	Type      string `json:"type"`
	CreatedAt string `json:"createdAt,omitempty"`
}

func defineWebhooksVerify(fs *flag.FlagSet) runner {
	secret := fs.String("secret", "", "the endpoint's signing secret, whsec_… (default $"+envWebhookSecret+")")
	sig := fs.String("signature", "", "the delivery's X-Drip-Signature header value, 't=…,v1=…'")
	tolerance := fs.Duration("tolerance", drip.DefaultWebhookTolerance,
		"how far the signed time may be from now; 0 checks the signature whatever its age (for deliveries saved long ago)")
	return func(_ context.Context, a *app, _ []string) error {
		if *secret == "" {
			*secret = os.Getenv(envWebhookSecret)
		}
		switch {
		case *secret == "":
			return usageErrorf("webhooks verify needs --secret (or $%s)", envWebhookSecret)
		case *sig == "":
			return usageErrorf("webhooks verify needs --signature 't=…,v1=…' (the X-Drip-Signature header)")
		case *tolerance < 0:
			return usageErrorf("--tolerance must not be negative")
		}
		payload, err := io.ReadAll(io.LimitReader(a.stdin, drip.DefaultWebhookMaxBody+1))
		if err != nil {
			return fmt.Errorf("reading the payload from stdin: %w", err)
		}
		if len(payload) > drip.DefaultWebhookMaxBody {
			return usageErrorf("the payload on stdin is larger than %d bytes; a Drip delivery is not", drip.DefaultWebhookMaxBody)
		}
		opts := []drip.WebhookOption{drip.WithWebhookTolerance(*tolerance)}
		if *tolerance == 0 {
			// Check the signature alone: the clock reads the signed time.
			if t, ok := signedAt(*sig); ok {
				opts = append(opts, drip.WithWebhookClock(func() time.Time { return t }))
			}
		}
		if err := drip.VerifyWebhookSignature(payload, *sig, *secret, opts...); err != nil {
			return err
		}
		var e drip.WebhookEvent
		if err := json.Unmarshal(payload, &e); err != nil {
			return fmt.Errorf("the signature is valid but the payload is not a Drip event: %w", err)
		}
		if e.Type == "" {
			return fmt.Errorf("the signature is valid but the payload is not a Drip event: it has no type")
		}
		out := verifiedJSON{Valid: true, ID: e.ID, Type: e.Type, CreatedAt: timestamp(e.CreatedAt)}
		return a.emit(out, func(w io.Writer) {
			row(w, "valid", "signature matches")
			row(w, "type", out.Type)
			row(w, "id", dash(out.ID))
			row(w, "created", when(e.CreatedAt))
		})
	}
}

// signedAt reads the t= part of a signature header.
func signedAt(header string) (time.Time, bool) {
	for part := range strings.SplitSeq(header, ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "t="); ok {
			sec, err := strconv.ParseInt(v, 10, 64)
			return time.Unix(sec, 0), err == nil
		}
	}
	return time.Time{}, false
}
