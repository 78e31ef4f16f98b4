package dashboard

import (
	"encoding/json"
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/drip-sdk/drip-go/dripserver"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// funcs are the templates' formatting helpers.
var funcs = template.FuncMap{
	"int":    func(n any) string { return formatInt(toInt64(n)) },
	"qty":    formatQty,
	"usd":    formatUSD,
	"usdc":   formatUSDC,
	"dur":    formatDuration,
	"durms":  func(ms int64) string { return formatDuration(time.Duration(ms) * time.Millisecond) },
	"time":   formatTime,
	"pct":    formatPercent,
	"runDur": runDuration,
	"json":   jsonText,
	"keys":   sortedKeys,
	"add":    func(a, b int) int { return a + b },
	"sub":    func(a, b int) int { return a - b },
	"ago":    func(t time.Time) string { return formatDuration(time.Since(t).Truncate(time.Second)) + " ago" },
	"statusClass": func(s string) string {
		switch s {
		case dripserver.StatusCompleted, "DELIVERED", "CONFIRMED", "ACTIVE":
			return "ok"
		case dripserver.StatusFailed, dripserver.StatusTimeout, "PAST_DUE":
			return "bad"
		case dripserver.StatusRunning, "PENDING", "TRIALING":
			return "live"
		}
		return "muted"
	},
	"per":    perInterval,
	"pf":     func(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) },
	"indent": func(d int) string { return "d" + strconv.Itoa(d) },
}

// perInterval writes a billing interval as the unit of a price: "month".
func perInterval(interval string) string {
	switch interval {
	case "DAILY":
		return "day"
	case "WEEKLY":
		return "week"
	case "MONTHLY":
		return "month"
	case "ANNUAL":
		return "year"
	}
	return strings.ToLower(interval)
}

func toInt64(n any) int64 {
	switch v := n.(type) {
	case int:
		return int64(v)
	case int64:
		return v
	case float64:
		return int64(v)
	}
	return 0
}

// runDuration is a run's duration, or how long it has been running.
func runDuration(r dripserver.Run) string {
	if !r.Ended() {
		return "running"
	}
	return formatDuration(r.EndedAt.Sub(r.StartedAt))
}

// jsonText renders a metadata value: strings as they are, the rest as JSON.
func jsonText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "?"
	}
	return string(b)
}
