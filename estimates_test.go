package drip_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	drip "github.com/drip-sdk/drip-go"
)

// TestEstimatePeriodInMillis: the period goes to dripd as the official
// clients write it (UTC, milliseconds, "Z"), widened rather than narrowed:
// the start rounded down, the end up.
func TestEstimatePeriodInMillis(t *testing.T) {
	var sent struct{ PeriodStart, PeriodEnd string }
	srv := startServer(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			json.Unmarshal(body, &sent)
			r.Body = io.NopCloser(bytes.NewReader(body))
			h.ServeHTTP(w, r)
		})
	})
	c := newClient(t, srv.BaseURL())
	plus2 := time.FixedZone("UTC+2", 2*60*60)
	for _, tt := range []struct {
		start, end         time.Time
		wantStart, wantEnd string
	}{
		{time.Date(2025, 3, 10, 14, 0, 0, 400_999, plus2), time.Date(2025, 3, 10, 15, 0, 0, 1, plus2),
			"2025-03-10T12:00:00.000Z", "2025-03-10T13:00:00.001Z"},
		{time.Date(2025, 3, 10, 12, 0, 0, 7_000_000, time.UTC), time.Date(2025, 3, 10, 12, 0, 0, 9_000_000, time.UTC),
			"2025-03-10T12:00:00.007Z", "2025-03-10T12:00:00.009Z"},
		// Within one millisecond: still a non-empty period on the wire.
		{time.Date(2025, 3, 10, 12, 0, 0, 7_000_100, time.UTC), time.Date(2025, 3, 10, 12, 0, 0, 7_000_200, time.UTC),
			"2025-03-10T12:00:00.007Z", "2025-03-10T12:00:00.008Z"},
	} {
		if _, err := c.EstimateFromUsage(ctxT(t), drip.EstimateFromUsageParams{PeriodStart: tt.start, PeriodEnd: tt.end}); err != nil {
			t.Fatal(err)
		}
		if sent.PeriodStart != tt.wantStart || sent.PeriodEnd != tt.wantEnd {
			t.Errorf("%v – %v sent as %s – %s, want %s – %s", tt.start, tt.end, sent.PeriodStart, sent.PeriodEnd, tt.wantStart, tt.wantEnd)
		}
	}
}
