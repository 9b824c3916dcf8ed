package features

import (
	"fmt"
	"strings"
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
// DuckDB write one), or named UTC ("2024-03-01 12:30:00 UTC", as BigQuery
// writes one). Times without an offset are UTC. The result is always in UTC. Impossible dates such as 2024-02-30
// are errors wrapping ErrBadTime.
func ParseTime(s string) (time.Time, error) {
	if t, ok := quickTime(s); ok {
		return t, nil
	}
	return parseTimeLayouts(s)
}

// parseTimeLayouts is ParseTime through time.Parse and the contract's
// layouts.
func parseTimeLayouts(s string) (time.Time, error) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, &TimeError{Value: s}
	}
	// BigQuery's exports name the zone: "2024-03-01 12:30:00 UTC".
	if rest, ok := strings.CutSuffix(s, " UTC"); ok && len(rest) >= 10 && !strings.ContainsAny(rest[10:], "Z+-U") {
		t, err := parseTimeLayouts(rest)
		if te, ok := err.(*TimeError); ok {
			te.Value = s
		}
		return t, err
	}
	if len(s) == 10 {
		t, err := time.Parse("2006-01-02", s)
		if err != nil {
			return time.Time{}, &TimeError{Value: s, Why: trimParseErr(err)}
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
			return time.Time{}, &TimeError{Value: s, Why: trimParseErr(err)}
		}
	}
	return time.Time{}, &TimeError{Value: s}
}

// TimeError is a timestamp ParseTime cannot read. It matches ErrBadTime.
type TimeError struct {
	Value string
	Why   string // what is out of range in a value of the right form; "" when the form is not one of the contract's
}

func (e *TimeError) Error() string {
	if e.Why != "" {
		return fmt.Sprintf("%v %q: %s", ErrBadTime, e.Value, e.Why)
	}
	return fmt.Sprintf("%v %q (want RFC 3339, YYYY-MM-DD or YYYY-MM-DD HH:MM:SS)", ErrBadTime, e.Value)
}

// Is reports whether target is ErrBadTime.
func (e *TimeError) Is(target error) bool { return target == ErrBadTime }

// quickTime reads the forms event logs are written in without time.Parse:
// YYYY-MM-DD, optionally followed by T or a space, HH:MM, :SS, a fraction
// of one to nine digits and an offset (Z, ±hh, ±hhmm or ±hh:mm). It
// reports false for anything else, and for any field out of range, which
// ParseTime then reads (or rejects) the slow way; what it accepts it reads
// as time.Parse does (TestQuickTimeAgrees).
func quickTime(s string) (time.Time, bool) {
	n := len(s)
	if n < 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	y, ok1 := digitsValue(s[0:4])
	mo, ok2 := digitsValue(s[5:7])
	d, ok3 := digitsValue(s[8:10])
	if !ok1 || !ok2 || !ok3 || mo < 1 || mo > 12 || d < 1 || d > daysIn(time.Month(mo), y) {
		return time.Time{}, false
	}
	if n == 10 {
		return civilTime(y, mo, d, 0, 0), true
	}
	if n < 16 || s[10] != 'T' && s[10] != ' ' || s[13] != ':' {
		return time.Time{}, false
	}
	h, ok1 := digitsValue(s[11:13])
	mi, ok2 := digitsValue(s[14:16])
	if !ok1 || !ok2 || h > 23 || mi > 59 {
		return time.Time{}, false
	}
	if n == 16 {
		return civilTime(y, mo, d, (h*60+mi)*60, 0), true
	}
	if n < 19 || s[16] != ':' {
		return time.Time{}, false
	}
	sec, ok := digitsValue(s[17:19])
	if !ok || sec > 59 {
		return time.Time{}, false
	}
	i, ns := 19, 0
	if i < n && s[i] == '.' {
		j := i + 1
		for j < n && j-i <= 9 && s[j] >= '0' && s[j] <= '9' {
			ns = ns*10 + int(s[j]-'0')
			j++
		}
		if j == i+1 || j < n && s[j] >= '0' && s[j] <= '9' {
			return time.Time{}, false // no digits, or more than nine
		}
		for k := j - i - 1; k < 9; k++ {
			ns *= 10
		}
		i = j
	}
	off := 0
	switch rest := s[i:]; {
	case rest == "", rest == "Z":
	case len(rest) == 3, len(rest) == 5, len(rest) == 6 && rest[3] == ':':
		if rest[0] != '+' && rest[0] != '-' {
			return time.Time{}, false
		}
		oh, ok := digitsValue(rest[1:3])
		om := 0
		if len(rest) > 3 {
			om, ok1 = digitsValue(rest[len(rest)-2:])
			ok = ok && ok1
		}
		if !ok || oh > 23 || om > 59 {
			return time.Time{}, false
		}
		off = (oh*60 + om) * 60
		if rest[0] == '-' {
			off = -off
		}
	default:
		return time.Time{}, false
	}
	return civilTime(y, mo, d, (h*60+mi)*60+sec-off, ns), true
}

// civilTime is the time sec seconds and ns nanoseconds after midnight UTC
// starting day d of month mo of year y (proleptic Gregorian, the fields in
// range, the year from 0 to 9999): what time.Date gives, without its
// normalising. Years are counted from March, so that a leap day ends its
// year, and from 400 years before year 0 (146,097 days), so that unsigned
// division counts their leap days.
func civilTime(y, mo, d, sec, ns int) time.Time {
	yy := uint64(y + 400)
	if mo <= 2 {
		yy--
	}
	days := int64(yy*365+yy/4-yy/100+yy/400) + int64(fromMarch[mo]) + int64(d-1) - 719468 - 146097 // from 1970-01-01
	return time.Unix(days*86400+int64(sec), int64(ns)).UTC()
}

// fromMarch is the number of days from March 1 to the first of each month,
// from January (month 1).
var fromMarch = [13]uint16{0, 306, 337, 0, 31, 61, 92, 122, 153, 184, 214, 245, 275}

// digitsValue reads a string of ASCII digits.
func digitsValue(s string) (int, bool) {
	v := 0
	for i := range len(s) {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// daysIn is the number of days of month m of year y.
func daysIn(m time.Month, y int) int {
	if m == time.February && y%4 == 0 && (y%100 != 0 || y%400 == 0) {
		return 29
	}
	return int([13]uint8{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m])
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
	case n > 21 && sign(n-5) && allDigits(s[n-4:]):
		return [2]string{"2006-01-02T15:04:05.999999999Z0700", "2006-01-02 15:04:05.999999999Z0700"}[k]
	case n > 19 && sign(n-3) && allDigits(s[n-2:]):
		return [2]string{"2006-01-02T15:04:05.999999999Z07", "2006-01-02 15:04:05.999999999Z07"}[k]
	}
	return [2]string{"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"}[k]
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
