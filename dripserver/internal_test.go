package dripserver

import "testing"

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
