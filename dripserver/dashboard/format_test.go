package dashboard

import (
	"testing"
	"time"
)

func TestFormat(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{formatInt(0), "0"},
		{formatInt(1234567), "1,234,567"},
		{formatInt(-1234), "-1,234"},
		{formatQty(2.5), "2.5"},
		{formatQty(1e6), "1,000,000"},
		{formatUSD(0), "$0.00"},
		{formatUSD(1234.5), "$1,234.50"},
		{formatUSD(0.0042), "$0.0042"},
		{formatUSD(0.000345), "$0.000345"},
		{formatUSD(1e-9), "<$0.000001"},
		{formatDuration(850 * time.Millisecond), "850 ms"},
		{formatDuration(1250 * time.Millisecond), "1.25 s"},
		{formatDuration(125 * time.Second), "2m 05s"},
		{formatDuration(62 * time.Minute), "1h 02m"},
		{formatPercent(1, 4), "25.0%"},
		{formatPercent(0, 0), "—"},
		{formatUSDC("1234.5"), "1,234.5 USDC"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
