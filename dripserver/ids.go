package dripserver

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
	"time"
)

// ID prefixes, as in the Drip docs (drip-api.md §10.2).
const (
	prefixCustomer = "cust_"
	prefixRun      = "run_"
	prefixEvent    = "evt_"
	prefixWorkflow = "wf_"
	prefixUsage    = "use_"
	prefixCharge   = "chg_"
)

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newID returns prefix plus 16 random characters from [a-z2-7]: URL-safe,
// so clients can put it in paths unescaped.
func newID(prefix string) string {
	var b [10]byte
	_, _ = rand.Read(b[:]) // never fails since Go 1.24
	var sb strings.Builder
	sb.Grow(len(prefix) + 16)
	sb.WriteString(prefix)
	sb.WriteString(idEncoding.EncodeToString(b[:]))
	return sb.String()
}

// newIDs returns n ids like newID's, drawing the randomness for all of them
// at once; they share one backing string.
func newIDs(prefix string, n int) []string {
	if n == 0 {
		return nil
	}
	raw := make([]byte, 10*n)
	_, _ = rand.Read(raw)
	w := len(prefix) + 16
	buf := make([]byte, w*n)
	for i := range n {
		copy(buf[i*w:], prefix)
		idEncoding.Encode(buf[i*w+len(prefix):(i+1)*w], raw[i*10:(i+1)*10])
	}
	all := string(buf)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = all[i*w : (i+1)*w]
	}
	return ids
}

// timeLayout is ISO-8601 with milliseconds, always in UTC ("Z").
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }
