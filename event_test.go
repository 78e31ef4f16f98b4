package drip

import (
	"math"
	"testing"
)

// validate's fast checks agree with the plain definitions: blank is
// strings.TrimSpace(s) == "", finiteNonNeg is not NaN, not infinite, ≥ 0.
func TestValidateChecks(t *testing.T) {
	for s, want := range map[string]bool{
		"": true, " ": true, "\t\n\v\f\r ": true, "\u00a0": true, "\u2003\u3000": true, "\x85": false,
		"x": false, " x ": false, "\u00a0x": false, "é": false, "\x01": false, "llm.completion": false,
	} {
		if got := blank(s); got != want {
			t.Errorf("blank(%q) = %v, want %v", s, got, want)
		}
	}
	for f, want := range map[float64]bool{
		0: true, math.Copysign(0, -1): true, 1.5: true, math.MaxFloat64: true, math.SmallestNonzeroFloat64: true,
		-1: false, math.Inf(1): false, math.Inf(-1): false, math.NaN(): false,
	} {
		if got := finiteNonNeg(f); got != want {
			t.Errorf("finiteNonNeg(%v) = %v, want %v", f, got, want)
		}
	}
}
