// Package webhooksig is the one implementation of Drip's webhook signature
// scheme, used by the client's verifier (package drip) and by dripd's
// delivery worker, so the two cannot drift apart.
//
// A delivery carries "t=<unix seconds>,v1=<hex digest>", where the digest
// is the lowercase hex HMAC-SHA256, keyed with the secret exactly as issued
// (whsec_ prefix included), of the decimal timestamp, ".", and the raw
// body.
package webhooksig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Header is the HTTP header a delivery carries its signature in.
const Header = "X-Drip-Signature"

// Sign returns the signature header value of payload sent at t.
func Sign(payload []byte, secret string, t time.Time) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + digest(payload, secret, ts)
}

func digest(payload []byte, secret, ts string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(payload)
	return hex.EncodeToString(mac.Sum(nil))
}

// Reasons Verify refuses a signature; their texts are safe to show (they
// never contain the secret).
var (
	ErrNoSecret  = errors.New("no webhook secret configured")
	ErrMalformed = errors.New("signature header needs t= and v1=")
	ErrTimestamp = errors.New("signature timestamp is not an integer")
	ErrTooOld    = errors.New("signature timestamp is outside the tolerance")
	ErrMismatch  = errors.New("signature does not match the payload")
)

// Verify checks header against payload and secret: the first "t=" and
// the first "v1=" part are used, t must be within tolerance of now either
// way, and the digests are compared in constant time.
func Verify(payload []byte, header, secret string, now time.Time, tolerance time.Duration) error {
	if secret == "" {
		return ErrNoSecret
	}
	var ts, sig string
	for part := range strings.SplitSeq(header, ",") {
		part = strings.TrimSpace(part)
		switch {
		case ts == "" && strings.HasPrefix(part, "t="):
			ts = part[2:]
		case sig == "" && strings.HasPrefix(part, "v1="):
			sig = part[3:]
		}
	}
	if ts == "" || sig == "" {
		return ErrMalformed
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrTimestamp
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrTooOld
	}
	if !hmac.Equal([]byte(sig), []byte(digest(payload, secret, ts))) {
		return ErrMismatch
	}
	return nil
}
