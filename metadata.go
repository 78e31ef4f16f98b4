package drip

import (
	"math"
	"regexp"
	"strings"
	"unicode/utf8"
)

// MetadataGuard configures the filter every metadata map passes before it
// leaves the process. The zero value is the default guard: on, with the
// built-in sensitive-name list.
//
// A key is dropped when its name contains a sensitive word (authorization,
// api key, secret, password, token, prompt, completion, input, output,
// request, response, body, cookie, email, phone, ssn, address, card, …) or
// one of DenyKeys. A value is dropped when it is not a primitive (string,
// bool, number, nil) or when it is a string that looks like a credential
// (sk_…, pk_…, "Bearer …", a JWT) or an email address. Strings are cut to
// MaxStringLen characters.
//
// The token counts the SDK itself sends (inputTokens, outputTokens,
// totalTokens, cachedInputTokens, reasoningTokens) always pass, unlike in the
// official Node filter.
type MetadataGuard struct {
	// Disabled turns the filter off. Metadata is then sent as given; only do
	// this when you have your own filter.
	Disabled bool
	// AllowKeys pass the name check even when they contain a sensitive
	// word. Their values are still checked.
	AllowKeys []string
	// DenyKeys are extra words that drop a key when its name contains them
	// (case-insensitive).
	DenyKeys []string
	// MaxStringLen is the longest string value kept, in characters
	// (default 256).
	MaxStringLen int
}

// DefaultMaxMetadataString is the default MetadataGuard.MaxStringLen.
const DefaultMaxMetadataString = 256

var sensitiveWords = []string{
	"authorization", "apikey", "secret", "password", "passwd", "token",
	"prompt", "completion", "input", "output", "request", "response", "body",
	"cookie", "email", "phone", "ssn", "address", "card", "credential",
	"session", "privatekey",
}

// sdkKeys are written by the SDK itself; they carry counts, never content.
var sdkKeys = map[string]bool{
	"inputTokens": true, "outputTokens": true, "totalTokens": true,
	"cachedInputTokens": true, "reasoningTokens": true, "usageEstimated": true,
}

var (
	credentialRe = regexp.MustCompile(`(?i)^\s*(bearer\s+\S+|(sk|pk|rk)_[a-z0-9_]{6,}|eyJ[a-zA-Z0-9_-]{5,}\.[a-zA-Z0-9_-]{5,}\.[a-zA-Z0-9_-]*)`)
	emailRe      = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)
)

type metadataFilter struct {
	disabled bool
	allow    map[string]bool
	deny     []string
	maxLen   int
}

func newMetadataFilter(g MetadataGuard) *metadataFilter {
	f := &metadataFilter{disabled: g.Disabled, maxLen: g.MaxStringLen, allow: map[string]bool{}}
	if f.maxLen <= 0 {
		f.maxLen = DefaultMaxMetadataString
	}
	for k := range sdkKeys {
		f.allow[normKey(k)] = true
	}
	for _, k := range g.AllowKeys {
		f.allow[normKey(k)] = true
	}
	f.deny = append(f.deny, sensitiveWords...)
	for _, k := range g.DenyKeys {
		f.deny = append(f.deny, normKey(k))
	}
	return f
}

// normKey lower-cases and drops separators so api_key, apiKey and API-Key
// compare equal.
func normKey(k string) string {
	var b strings.Builder
	b.Grow(len(k))
	for _, r := range k {
		switch r {
		case '_', '-', ' ', '.':
			continue
		}
		if r >= 'A' && r <= 'Z' {
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// filter returns a new map holding what may be sent, or nil when nothing
// may. The input is never modified.
func (f *metadataFilter) filter(m map[string]any) map[string]any {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		if v, ok := f.value(k, v); ok {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func (f *metadataFilter) keyAllowed(k string) bool {
	if f.disabled {
		return true
	}
	n := normKey(k)
	if f.allow[n] {
		return true
	}
	for _, w := range f.deny {
		if strings.Contains(n, w) {
			return false
		}
	}
	return true
}

func (f *metadataFilter) value(k string, v any) (any, bool) {
	if f.disabled {
		return v, true
	}
	if !f.keyAllowed(k) {
		return nil, false
	}
	switch x := v.(type) {
	case nil, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return v, true
	case float32:
		return v, !math.IsNaN(float64(x)) && !math.IsInf(float64(x), 0)
	case float64:
		return v, !math.IsNaN(x) && !math.IsInf(x, 0)
	case string:
		if credentialRe.MatchString(x) || emailRe.MatchString(x) {
			return nil, false
		}
		if utf8.RuneCountInString(x) > f.maxLen {
			r := []rune(x)
			x = string(r[:f.maxLen])
		}
		return x, true
	}
	return nil, false
}
