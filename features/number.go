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
	if !isDecimal(s) {
		if f, err := strconv.ParseFloat(s, 64); err == nil && (math.IsInf(f, 0) || math.IsNaN(f)) {
			return 0, fmt.Errorf("%q: %w", s, ErrNotFinite)
		}
		return 0, fmt.Errorf("parsing %q: %w", s, ErrBadNumber)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.Abs(f) > MaxMagnitude {
		return 0, fmt.Errorf("%q is %w", s, ErrNumberRange)
	}
	return f, nil
}

// checkMagnitude returns an error for a value read as a number from a
// typed (Parquet) cell that is not finite or beyond MaxMagnitude.
func checkMagnitude(f float64) error {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return fmt.Errorf("%v: %w", f, ErrNotFinite)
	case math.Abs(f) > MaxMagnitude:
		return fmt.Errorf("%g is %w", f, ErrNumberRange)
	}
	return nil
}

// isDecimal reports whether s is [+-] (d+[.d*] | .d+) [(e|E)[+-]d+].
func isDecimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}
