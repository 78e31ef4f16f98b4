package middleware

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
)

// Client-controlled customer identity the middleware removes before the
// resolver or the handler sees the request, as the official middleware
// does: whose usage a request is comes from the application's own auth,
// never from something a caller can type.
var (
	// strippedHeaders are removed from every metered request.
	strippedHeaders = []string{"X-Drip-Customer-Id", "X-Customer-Id"}
	// strippedParams are removed from every metered request's query,
	// matched case-insensitively after percent-decoding.
	strippedParams = []string{"customer_id", "customerid", "drip_customer_id", "dripcustomerid"}
)

// IdempotencyHeader is the request header whose value makes a retried
// request count once.
const IdempotencyHeader = "Idempotency-Key"

// strip returns r without the customer identity a client could spoof,
// or r itself when it carries none (the common case costs two map lookups
// and a scan of the raw query, and allocates nothing).
func strip(r *http.Request) *http.Request {
	hasHeader := false
	for _, h := range strippedHeaders {
		if _, ok := r.Header[h]; ok {
			hasHeader = true
			break
		}
	}
	query, hasQuery := "", false
	if r.URL != nil && queryMayCarryCustomer(r.URL.RawQuery) {
		query = stripQuery(r.URL.RawQuery)
		hasQuery = query != r.URL.RawQuery
	}
	hasForm := r.Form != nil && formCarriesCustomer(r.Form)
	if !hasHeader && !hasQuery && !hasForm {
		return r
	}
	r2 := new(http.Request)
	*r2 = *r
	if hasHeader {
		r2.Header = r.Header.Clone()
		for _, h := range strippedHeaders {
			r2.Header.Del(h)
		}
	}
	if hasQuery {
		u := *r.URL
		u.RawQuery = query
		r2.URL = &u
		if r2.RequestURI != "" {
			r2.RequestURI = u.RequestURI()
		}
	}
	if hasForm {
		r2.Form = stripValues(r.Form)
	}
	return r2
}

// queryMayCarryCustomer is a cheap pre-check: every stripped parameter
// contains "customer", and any percent-escape might spell one.
func queryMayCarryCustomer(q string) bool {
	if q == "" {
		return false
	}
	if strings.IndexByte(q, '%') >= 0 {
		return true
	}
	const word = "customer"
	for i := 0; i+len(word) <= len(q); i++ {
		if strings.EqualFold(q[i:i+len(word)], word) {
			return true
		}
	}
	return false
}

func isStrippedParam(name string) bool {
	for _, p := range strippedParams {
		if strings.EqualFold(name, p) {
			return true
		}
	}
	return false
}

// stripQuery removes the stripped parameters from a raw query, keeping
// every other pair exactly as sent (order and encoding).
func stripQuery(raw string) string {
	var b strings.Builder
	for pair := range strings.SplitSeq(raw, "&") {
		if pair == "" {
			continue
		}
		name, _, _ := strings.Cut(pair, "=")
		if dec, err := url.QueryUnescape(name); err == nil {
			name = dec
		}
		if isStrippedParam(name) {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(pair)
	}
	return b.String()
}

func formCarriesCustomer(v url.Values) bool {
	for k := range v {
		if isStrippedParam(k) {
			return true
		}
	}
	return false
}

func stripValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		if !isStrippedParam(k) {
			out[k] = vs
		}
	}
	return out
}

// clientKey derives the Drip idempotency key of a request that carries an
// Idempotency-Key header. The key is scoped to the customer and the meter,
// so one tenant's key can never collide with (or replay) another's, and it
// is hashed, so a client-chosen string of any length or content never
// reaches Drip as is.
func clientKey(prefix, customerID, meter, header string) string {
	h := sha256.New()
	h.Write([]byte(customerID))
	h.Write([]byte{0})
	h.Write([]byte(meter))
	h.Write([]byte{0})
	h.Write([]byte(header))
	var sum [sha256.Size]byte
	return prefix + "_" + hex.EncodeToString(h.Sum(sum[:0])[:16])
}
