package webhooksig

import (
	"errors"
	"testing"
	"time"
)

// The digest below was computed independently (Python's hmac module) for
// the same secret, timestamp and body.
func TestSignKnownAnswer(t *testing.T) {
	body := []byte(`{"type":"charge.succeeded"}`)
	got := Sign(body, "whsec_test", time.Unix(1700000000, 0))
	want := "t=1700000000,v1=07a16650ac2b2613fe993f101dd7e77ea53619edab20a9224a51b314a6eb43a8"
	if got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	body := []byte(`{"type":"charge.succeeded"}`)
	at := time.Unix(1700000000, 0)
	h := Sign(body, "whsec_test", at)
	for _, c := range []struct {
		name    string
		body    string
		header  string
		secret  string
		now     time.Time
		wantErr error
	}{
		{"valid", string(body), h, "whsec_test", at, nil},
		{"extra parts and spaces", string(body), "v0=x, " + h + ",v1=ignored", "whsec_test", at, nil},
		{"future within tolerance", string(body), h, "whsec_test", at.Add(-299 * time.Second), nil},
		{"too old", string(body), h, "whsec_test", at.Add(301 * time.Second), ErrTooOld},
		{"too far ahead", string(body), h, "whsec_test", at.Add(-301 * time.Second), ErrTooOld},
		{"tampered body", string(body) + " ", h, "whsec_test", at, ErrMismatch},
		{"other secret", string(body), h, "whsec_other", at, ErrMismatch},
		{"no secret", string(body), h, "", at, ErrNoSecret},
		{"no v1", string(body), "t=1700000000", "whsec_test", at, ErrMalformed},
		{"bad t", string(body), "t=soon,v1=00", "whsec_test", at, ErrTimestamp},
		{"short digest", string(body), "t=1700000000,v1=07a1", "whsec_test", at, ErrMismatch},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := Verify([]byte(c.body), c.header, c.secret, c.now, 300*time.Second)
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("Verify = %v, want %v", err, c.wantErr)
			}
		})
	}
}
