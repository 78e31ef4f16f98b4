package dripserver

import (
	"testing"
	"time"
)

func TestWorkflowName(t *testing.T) {
	for slug, want := range map[string]string{
		"langchain":         "Langchain",
		"research-agent_v2": "Research Agent V2",
		"__x--y__":          "X Y",
		"élan-vital":        "Élan Vital",
		"-_-":               "-_-",
	} {
		if got := workflowName(slug); got != want {
			t.Errorf("workflowName(%q) = %q, want %q", slug, got, want)
		}
	}
}

func TestDecimal(t *testing.T) {
	for f, want := range map[float64]string{0: "0", 0.1 + 0.2: "0.3", 2.5: "2.5", 1e-7: "0.0000001", 1234567: "1234567"} {
		if got := decimal(f); got != want {
			t.Errorf("decimal(%v) = %q, want %q", f, got, want)
		}
	}
}

func TestClientTime(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	past := now.Add(-90 * time.Second)
	cases := []struct {
		name string
		meta map[string]any
		want time.Time
		left int // metadata keys kept
	}{
		{"none", map[string]any{"a": 1}, now, 1},
		{"valid", map[string]any{"occurredAt": past.Format(time.RFC3339Nano), "a": 1}, past, 1},
		{"only key", map[string]any{"occurredAt": past.Format(time.RFC3339Nano)}, past, 0},
		{"future beyond skew", map[string]any{"occurredAt": now.Add(time.Hour).Format(time.RFC3339Nano)}, now, 0},
		{"garbage", map[string]any{"occurredAt": "yesterday"}, now, 0},
		{"not a string", map[string]any{"occurredAt": 12}, now, 1},
	}
	for _, tc := range cases {
		got, meta := clientTime(tc.meta, now)
		if !got.Equal(tc.want) || len(meta) != tc.left {
			t.Errorf("%s: got %v with %v, want %v with %d keys", tc.name, got, meta, tc.want, tc.left)
		}
	}
}
