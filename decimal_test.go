package drip_test

import (
	"encoding/json"
	"testing"

	drip "github.com/drip-sdk/drip-go"
)

func TestDecimalIsExact(t *testing.T) {
	sum := drip.Decimal{}
	for range 10 {
		sum = sum.Add(drip.DecimalFromFloat(0.1))
	}
	if sum.String() != "1" || sum.Cmp(drip.MustDecimal("1.000")) != 0 {
		t.Fatalf("ten times 0.1 = %s", sum)
	}
	p := drip.MustDecimal("0.0000025").Mul(drip.MustDecimal("1234"))
	if p.String() != "0.003085" || p.StringFixed(6) != "0.003085" {
		t.Fatalf("price × tokens = %s", p)
	}
	if got := drip.MustDecimal("2.5").Sub(drip.MustDecimal("3")).String(); got != "-0.5" {
		t.Fatalf("2.5 - 3 = %s", got)
	}
	if got := drip.MustDecimal("0.0000005").Round(6).String(); got != "0.000001" {
		t.Fatalf("Round = %s", got)
	}
	if !(drip.Decimal{}).IsZero() || drip.MustDecimal("-0.00").Sign() != 0 {
		t.Fatal("zero")
	}
}

func TestDecimalJSON(t *testing.T) {
	var v struct {
		A, B, C, D drip.Decimal
	}
	if err := json.Unmarshal([]byte(`{"A":"12.500000","B":0.1,"C":null,"D":1e-7}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.A.String() != "12.5" || v.B.String() != "0.1" || !v.C.IsZero() || v.D.String() != "0.0000001" {
		t.Fatalf("decoded %+v", v)
	}
	out, _ := json.Marshal(v)
	if string(out) != `{"A":"12.5","B":"0.1","C":"0","D":"0.0000001"}` {
		t.Fatalf("encoded %s", out)
	}
	for _, bad := range []string{`"1/3"`, `"abc"`, `true`} {
		var d drip.Decimal
		if err := json.Unmarshal([]byte(bad), &d); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
	if _, err := drip.ParseDecimal("NaN"); err == nil {
		t.Fatal("NaN parsed")
	}
}
