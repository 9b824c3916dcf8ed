package features

import (
	"fmt"
	"math"
	"strconv"
)

// MaxMagnitude is the largest absolute value a number read from an input
// may have. A sum of a billion such values is still finite, so no count,
// sum or mean computed from inputs can overflow. CRM amounts, counts and
// scores are far below it; a value beyond it is a bad value
// (ErrNumberRange), never an infinity carried along.
const MaxMagnitude = 1e15

// ParseNumber reads a decimal number: an optional sign, digits with an
// optional fraction (or a fraction alone) and an optional exponent, as in
// 12, -3.5, .5 or 1e6. Go's other spellings (hexadecimal, digit
// separators, Inf, NaN) are not numbers in a data file. The error wraps
// ErrBadNumber, ErrNotFinite (inf, nan) or ErrNumberRange.
func ParseNumber(s string) (float64, error) {
	f, syntax, err := decimalValue(s)
	if !syntax {
		if f, err := strconv.ParseFloat(s, 64); err == nil && (math.IsInf(f, 0) || math.IsNaN(f)) {
			return 0, fmt.Errorf("%q: %w", s, ErrNotFinite)
		}
		return 0, fmt.Errorf("parsing %q: %w", s, ErrBadNumber)
	}
	return f, err
}

// decimalValue reads s when it is a decimal (syntax): its value, or an
// error wrapping ErrNumberRange when it is beyond MaxMagnitude (or beyond
// float64's range).
func decimalValue(s string) (f float64, syntax bool, err error) {
	f, syntax, exact := readDecimal(s)
	if !syntax {
		return 0, false, nil
	}
	if !exact {
		f, err = strconv.ParseFloat(s, 64)
	}
	if err != nil || math.Abs(f) > MaxMagnitude {
		return 0, true, fmt.Errorf("%q is %w", s, ErrNumberRange)
	}
	return f, true, nil
}

// exactPow10 are the powers of ten a float64 holds exactly.
var exactPow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// readDecimal checks that s is a decimal, [+-] (d+[.d*] | .d+)
// [(e|E)[+-]d+] (syntax), in the same pass that reads its digits. When
// the digits make an integer m below 2^53 and the decimal point and
// exponent scale it by 10^k with |k| ≤ 22, both m and 10^|k| are exact
// float64s and one multiplication or division rounds m·10^k correctly:
// f is the value strconv.ParseFloat returns, and exact is true. Other
// decimals (more digits, larger exponents) are left to strconv.
func readDecimal(s string) (f float64, syntax, exact bool) {
	i, neg := 0, false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	var m uint64
	digits, sig, scale := 0, 0, 0 // sig: digits from the first non-zero one
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		digits++
		if m != 0 || s[i] != '0' {
			sig++
			m = m*10 + uint64(s[i]-'0') // wraps past 19 digits; then sig > 19 rules it out
		}
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			digits++
			scale--
			if m != 0 || s[i] != '0' {
				sig++
				m = m*10 + uint64(s[i]-'0')
			}
		}
	}
	if digits == 0 {
		return 0, false, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		e, ed := 0, 0
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			ed++
			if e < 10_000 {
				e = e*10 + int(s[i]-'0')
			}
		}
		if ed == 0 {
			return 0, false, false
		}
		if eneg {
			e = -e
		}
		scale += e
	}
	if i != len(s) {
		return 0, false, false
	}
	switch {
	case m == 0:
		f = 0
	case sig > 19 || m >= 1<<53 || scale < -22 || scale > 22:
		return 0, true, false
	case scale < 0:
		f = float64(m) / exactPow10[-scale]
	default:
		f = float64(m) * exactPow10[scale]
	}
	if neg {
		f = -f
	}
	return f, true, true
}

// inMagnitude reports whether f is a finite number no larger than
// MaxMagnitude.
func inMagnitude(f float64) bool { return math.Abs(f) <= MaxMagnitude } // false for NaN

// checkMagnitude returns an error for a value read as a number from a
// typed (Parquet) cell that is not finite or beyond MaxMagnitude.
func checkMagnitude(f float64) error {
	switch {
	case inMagnitude(f):
		return nil
	case math.IsNaN(f) || math.IsInf(f, 0):
		return fmt.Errorf("%v: %w", f, ErrNotFinite)
	}
	return fmt.Errorf("%g is %w", f, ErrNumberRange)
}

// isDecimal reports whether s is [+-] (d+[.d*] | .d+) [(e|E)[+-]d+].
func isDecimal(s string) bool {
	_, syntax, _ := readDecimal(s)
	return syntax
}
