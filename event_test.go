package drip

import (
	"math"
	"testing"
)

// validate's fast checks agree with the plain definitions: blank is
// strings.TrimSpace(s) == "", quantityOK is not NaN, ≥ 0 and ≤ MaxQuantity.
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
		0: true, math.Copysign(0, -1): true, 1.5: true, MaxQuantity: true, math.SmallestNonzeroFloat64: true,
		math.Nextafter(MaxQuantity, math.Inf(1)): false, math.MaxFloat64: false,
		-1: false, math.Inf(1): false, math.Inf(-1): false, math.NaN(): false,
	} {
		if got := quantityOK(f); got != want {
			t.Errorf("quantityOK(%v) = %v, want %v", f, got, want)
		}
	}
}
