package drip

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"

	"github.com/drip-sdk/drip-go/internal/money"
)

// Decimal is an exact decimal number. Every money amount the SDK returns or
// takes (USDC amounts, balances, prices, run and event costs, spending-cap
// limits) is a Decimal, never a float64: 0.1 + 0.2 is 0.3 here.
//
// The zero value is 0. A Decimal is immutable and safe to copy and compare
// with Cmp (not ==: "1.50" and "1.5" are equal). It reads a JSON string or
// number and writes a JSON string, as the Drip API sends money.
type Decimal struct {
	s string // canonical: no exponent, no trailing zeros; "" is 0
}

// ParseDecimal reads a plain decimal such as "12", "-0.5" or "1.5e-7". A
// fraction ("1/3"), NaN or infinity is an error.
func ParseDecimal(s string) (Decimal, error) {
	r, err := money.Parse(s)
	if err != nil {
		return Decimal{}, fmt.Errorf("drip: %q is not a decimal number", s)
	}
	return decimalOf(r), nil
}

// MustDecimal is ParseDecimal for constants; it panics on a bad literal.
func MustDecimal(s string) Decimal {
	d, err := ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return d
}

// DecimalFromFloat is the decimal f prints as in its shortest form (0.1 is
// 0.1). NaN and infinities give 0.
func DecimalFromFloat(f float64) Decimal {
	r, err := money.FromFloat(f)
	if err != nil {
		return Decimal{}
	}
	return decimalOf(r)
}

func decimalOf(r *big.Rat) Decimal {
	s := money.Exact(r)
	if s == "0" {
		return Decimal{}
	}
	return Decimal{s: s}
}

func (d Decimal) rat() *big.Rat {
	if d.s == "" {
		return new(big.Rat)
	}
	r, _ := money.Parse(d.s)
	return r
}

// String writes d with the decimals it has and no trailing zeros: "1.5",
// "0", "0.000002".
func (d Decimal) String() string {
	if d.s == "" {
		return "0"
	}
	return d.s
}

// StringFixed writes d with exactly places decimals, rounding half away
// from zero: StringFixed(6) is the USDC form.
func (d Decimal) StringFixed(places int) string { return money.Format(d.rat(), places) }

// Float64 is the nearest float64, for display and charts; never compute
// money with it.
func (d Decimal) Float64() float64 {
	f, _ := d.rat().Float64()
	return f
}

// Rat returns d as a new big.Rat.
func (d Decimal) Rat() *big.Rat { return d.rat() }

// IsZero reports whether d is 0.
func (d Decimal) IsZero() bool { return d.s == "" }

// Sign is -1, 0 or +1.
func (d Decimal) Sign() int { return d.rat().Sign() }

// Cmp compares d and o: -1, 0 or +1.
func (d Decimal) Cmp(o Decimal) int { return d.rat().Cmp(o.rat()) }

// Add returns d + o, exactly.
func (d Decimal) Add(o Decimal) Decimal { return decimalOf(new(big.Rat).Add(d.rat(), o.rat())) }

// Sub returns d - o, exactly.
func (d Decimal) Sub(o Decimal) Decimal { return decimalOf(new(big.Rat).Sub(d.rat(), o.rat())) }

// Mul returns d × o, exactly.
func (d Decimal) Mul(o Decimal) Decimal { return decimalOf(new(big.Rat).Mul(d.rat(), o.rat())) }

// Round returns d rounded to places decimals, halves away from zero.
func (d Decimal) Round(places int) Decimal {
	return decimalOf(mustRat(money.Format(d.rat(), places)))
}

func mustRat(s string) *big.Rat {
	r, _ := money.Parse(s)
	return r
}

// MarshalJSON writes d as a JSON string.
func (d Decimal) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads a JSON string or number, keeping every digit; null
// leaves d unchanged.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	if s == "" {
		*d = Decimal{}
		return nil
	}
	v, err := ParseDecimal(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalText and UnmarshalText let a Decimal be a map key or a flag value.
func (d Decimal) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads the form String writes.
func (d *Decimal) UnmarshalText(b []byte) error {
	v, err := ParseDecimal(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
