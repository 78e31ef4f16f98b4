package dripserver

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
	"time"
)

// ID prefixes, as Drip uses them: a resource's kind can be told from its id.
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

// timeLayout is ISO-8601 with milliseconds, always in UTC ("Z").
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }
