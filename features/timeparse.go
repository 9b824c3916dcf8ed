package features

import (
	"fmt"
	"time"
)

// timeLayouts are tried in order by ParseTime. Layouts without an offset are
// read as UTC.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z0700",
	"2006-01-02 15:04:05.999999999Z07",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	"2006-01-02",
}

// ParseTime parses a timestamp in one of the forms of the data contract:
// RFC 3339 with or without an offset ("2024-03-01T12:30:00+02:00",
// "2024-03-01T12:30:00"), "2024-03-01 12:30:00" (optionally with fractional
// seconds or an offset), and a bare date "2024-03-01". An offset may also
// be written +hh or +hhmm ("2024-03-01 12:30:00+00", as PostgreSQL and
// DuckDB write one). Times without an offset are UTC. The result is always in UTC. Impossible dates such as 2024-02-30
// are errors wrapping ErrBadTime.
func ParseTime(s string) (time.Time, error) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, fmt.Errorf("%w %q (want RFC 3339, YYYY-MM-DD or YYYY-MM-DD HH:MM:SS)", ErrBadTime, s)
	}
	if len(s) == 10 {
		t, err := time.Parse("2006-01-02", s)
		if err != nil {
			return time.Time{}, fmt.Errorf("%w %q: %v", ErrBadTime, s, trimParseErr(err))
		}
		return t, nil
	}
	// Pick the one layout the string's shape calls for, so that the common
	// forms cost a single time.Parse; fall back to trying them all.
	if layout := layoutFor(s); layout != "" {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	for _, layout := range timeLayouts[:len(timeLayouts)-1] {
		t, err := time.Parse(layout, s)
		if err == nil {
			return t.UTC(), nil
		}
		// A range error ("month out of range") is definitive: the form matched.
		if pe, ok := err.(*time.ParseError); ok && pe.Message != "" {
			return time.Time{}, fmt.Errorf("%w %q: %v", ErrBadTime, s, trimParseErr(err))
		}
	}
	return time.Time{}, fmt.Errorf("%w %q (want RFC 3339, YYYY-MM-DD or YYYY-MM-DD HH:MM:SS)", ErrBadTime, s)
}

// layoutFor guesses the layout of a timestamp longer than a date from its
// separator and whether it ends with a zone.
func layoutFor(s string) string {
	if len(s) < 16 || (s[10] != 'T' && s[10] != ' ') {
		return ""
	}
	// Each layout below in two spellings: k is 0 with 'T' between date
	// and time, 1 with a space.
	k := 0
	if s[10] == ' ' {
		k = 1
	}
	sign := func(i int) bool { return s[i] == '+' || s[i] == '-' }
	switch n := len(s); {
	case n == 16:
		return [2]string{"2006-01-02T15:04", "2006-01-02 15:04"}[k]
	case s[n-1] == 'Z', n > 19 && sign(n-6) && s[n-3] == ':':
		return [2]string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00"}[k]
	case n > 21 && sign(n-5) && digits(s[n-4:]):
		return [2]string{"2006-01-02T15:04:05.999999999Z0700", "2006-01-02 15:04:05.999999999Z0700"}[k]
	case n > 19 && sign(n-3) && digits(s[n-2:]):
		return [2]string{"2006-01-02T15:04:05.999999999Z07", "2006-01-02 15:04:05.999999999Z07"}[k]
	}
	return [2]string{"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"}[k]
}

// digits reports whether s is all ASCII digits.
func digits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// trimParseErr keeps the informative tail of a time.ParseError.
func trimParseErr(err error) string {
	if pe, ok := err.(*time.ParseError); ok && pe.Message != "" {
		return pe.Message[2:] // ": month out of range" → "month out of range"
	}
	return "not a valid date"
}

// The supported time range. Every timestamp leadscore reads or is given (an
// event's ts, a cutoff, an as-of date) must lie in [MinTime, MaxTime): two
// such times are at most 200 years, 6.3·10¹⁸ ns, apart, so differences,
// windows and periods computed on int64 nanoseconds cannot overflow. A
// timestamp outside the range is a bad value (ErrTimeRange); dates such as
// 9999-12-31 that CRMs use for "no end" are outside it.
var (
	MinTime = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	MaxTime = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

// CheckTime returns an error wrapping ErrTimeRange when t is outside
// [MinTime, MaxTime).
func CheckTime(t time.Time) error {
	if t.Before(MinTime) || !t.Before(MaxTime) {
		return fmt.Errorf("%s is %w", t.UTC().Format(time.RFC3339), ErrTimeRange)
	}
	return nil
}
