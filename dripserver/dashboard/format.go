package dashboard

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Number formatting for the pages: what a reader takes in at a glance.

// groupDigits puts thousands separators in the integer part of s.
func groupDigits(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String()
	if hasFrac {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

// formatInt writes n with thousands separators: 12,345.
func formatInt(n int64) string { return groupDigits(strconv.FormatInt(n, 10)) }

// formatQty writes a quantity: an integer with separators, or up to six
// decimals without trailing zeros.
func formatQty(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return formatInt(int64(f))
	}
	s := strconv.FormatFloat(f, 'f', 6, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return groupDigits(s)
}

// formatUSD writes an amount in dollars with the precision it needs: cents
// from a dollar up, four decimals from a cent, six below (LLM calls often
// cost fractions of a cent).
func formatUSD(f float64) string {
	if f == 0 {
		return "$0.00"
	}
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	var s string
	switch {
	case f >= 1:
		s = groupDigits(strconv.FormatFloat(f, 'f', 2, 64))
	case f >= 0.01:
		s = strconv.FormatFloat(f, 'f', 4, 64)
	case f >= 0.000001:
		s = strings.TrimRight(strconv.FormatFloat(f, 'f', 6, 64), "0")
	default:
		return sign + "<$0.000001"
	}
	return sign + "$" + s
}

// formatDuration writes d for people: 850 ms, 1.25 s, 2m 05s, 1h 02m.
func formatDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "—"
	case d < time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + " ms"
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + " s"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + "m " + pad2(int(d.Seconds())%60) + "s"
	default:
		return strconv.Itoa(int(d.Hours())) + "h " + pad2(int(d.Minutes())%60) + "m"
	}
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// formatTime writes a time in UTC to the second; "—" for the zero time.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

// formatPercent writes part/whole as a percentage; "—" when whole is 0.
func formatPercent(part, whole int) string {
	if whole == 0 {
		return "—"
	}
	p := 100 * float64(part) / float64(whole)
	if p > 0 && p < 0.1 {
		return "<0.1%"
	}
	return strconv.FormatFloat(p, 'f', 1, 64) + "%"
}

// formatUSDC writes a stored USDC decimal string with separators.
func formatUSDC(s string) string {
	if s == "" {
		return "—"
	}
	return groupDigits(s) + " USDC"
}
