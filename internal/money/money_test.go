package money

import (
	"math/big"
	"testing"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]string{
		"12": "12", "-0.5": "-0.5", "1.5e-7": "0.00000015", "0.000001": "0.000001",
		"+3.10": "3.1", " 7 ": "7", ".5": "0.5", "5.": "5", "0": "0", "-0": "0",
	} {
		r, err := Parse(in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		if got := Exact(r); got != want {
			t.Errorf("Exact(Parse(%q)) = %q, want %q", in, got, want)
		}
	}
	for _, bad := range []string{"", "1/3", "0x10", "NaN", "Inf", "-", ".", "1e", "1e99999", "1.2.3", "1,5", "e5"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

func TestFromFloatIsShortestDecimal(t *testing.T) {
	r, err := FromFloat(0.1)
	if err != nil || Exact(r) != "0.1" {
		t.Fatalf("FromFloat(0.1) = %v, %v", r, err)
	}
	sum := new(big.Rat)
	for range 10 {
		sum.Add(sum, r)
	}
	if Exact(sum) != "1" {
		t.Fatalf("ten times 0.1 = %s, want 1", Exact(sum))
	}
}

func TestFormatRoundsHalfAwayFromZero(t *testing.T) {
	r, _ := Parse("0.0000005")
	if got := Format(r, USDCPlaces); got != "0.000001" {
		t.Fatalf("Format = %q", got)
	}
	r, _ = Parse("-1.25")
	if got := String(r, 1); got != "-1.3" {
		t.Fatalf("String = %q", got)
	}
	third := big.NewRat(1, 3)
	if Places(third) != -1 || Exact(third) != "0.333333333333333333" {
		t.Fatalf("a third: %d %s", Places(third), Exact(third))
	}
}
