// Package money parses and formats exact decimal amounts. The Drip API sends
// money as decimal strings (USDC has 6 decimals); binary floats cannot hold
// 0.1 exactly, so amounts are kept as big.Rat between parsing and
// formatting. Both the client's drip.Decimal and dripd use it.
package money

import (
	"errors"
	"math/big"
	"strconv"
	"strings"
)

// USDCPlaces is the number of decimals of a USDC amount.
const USDCPlaces = 6

// ErrSyntax is returned for text that is not a plain decimal number.
var ErrSyntax = errors.New("not a decimal number")

// Parse reads a plain decimal: an optional sign, digits, an optional
// fraction and an optional exponent ("12", "-0.5", "1.5e-7"). Fractions
// such as "1/3", hex, NaN and infinities are refused.
func Parse(s string) (*big.Rat, error) {
	s = strings.TrimSpace(s)
	if !plain(s) {
		return nil, ErrSyntax
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, ErrSyntax
	}
	return r, nil
}

// plain reports whether s is sign? digits [. digits] [e sign? digits], with
// at least one digit in the mantissa and an exponent of at most 4 digits
// (an enormous exponent would make big.Rat allocate without bound).
func plain(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	digits := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		exp := 0
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			exp++
		}
		if exp == 0 || exp > 4 {
			return false
		}
	}
	return i == len(s)
}

// FromFloat is the exact decimal a float64 prints as in the shortest form
// that reads back as the same float (0.1 is 1/10, not 0.1000000000000000055…).
// NaN and infinities are refused.
func FromFloat(f float64) (*big.Rat, error) {
	return Parse(strconv.FormatFloat(f, 'g', -1, 64))
}

// Format writes r with exactly places decimals, rounding half away from
// zero.
func Format(r *big.Rat, places int) string {
	return r.FloatString(places)
}

// String writes r with as many decimals as it needs, at most maxPlaces
// (rounding half away from zero beyond that), and no trailing zeros:
// "1.5", "0", "-0.000001".
func String(r *big.Rat, maxPlaces int) string {
	s := r.FloatString(maxPlaces)
	if strings.IndexByte(s, '.') >= 0 {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// Places is the number of decimals r needs to be written exactly, or -1
// when it has no finite decimal form (a third).
func Places(r *big.Rat) int {
	d := new(big.Int).Set(r.Denom())
	two, five := big.NewInt(2), big.NewInt(5)
	var m big.Int
	a, b := 0, 0
	for {
		if m.Mod(d, two); m.Sign() != 0 {
			break
		}
		d.Quo(d, two)
		a++
	}
	for {
		if m.Mod(d, five); m.Sign() != 0 {
			break
		}
		d.Quo(d, five)
		b++
	}
	if d.Cmp(big.NewInt(1)) != 0 {
		return -1
	}
	return max(a, b)
}

// Exact writes r with all the decimals it has (it must have a finite decimal
// form, which every sum and product of decimals does); a value with none
// is rounded to 18 places.
func Exact(r *big.Rat) string {
	p := Places(r)
	if p < 0 {
		p = 18
	}
	return String(r, p)
}
