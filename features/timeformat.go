package features

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The time formats of numbers, which are their own layouts: seconds or
// milliseconds since 1970-01-01 UTC, as event trackers export times, and
// Excel's serial dates, days since 1899-12-30 with the time of day as a
// fraction, as a spreadsheet saves a date cell formatted as a number.
const (
	FormatUnix   = "unix"
	FormatUnixMS = "unix_ms"
	FormatExcel  = "excel"
)

// counted describes a format of numbers: what one counts (ns) and where
// the count starts, in ns since 1970 (epoch).
type counted struct {
	ns, epoch int64
	what      string // "seconds since 1970", for messages
}

// countOf returns how a layout of numbers counts; ok is false for any
// other layout.
func countOf(layout string) (c counted, ok bool) {
	switch layout {
	case FormatUnix:
		return counted{1e9, 0, "seconds since 1970"}, true
	case FormatUnixMS:
		return counted{1e6, 0, "milliseconds since 1970"}, true
	case FormatExcel:
		return counted{86400e9, -25569 * 86400e9, "days since 1899-12-30 (an Excel serial date)"}, true
	}
	return counted{}, false
}

// IsNumberLayout reports whether a layout TimeLayout returned counts time
// (FormatUnix, FormatUnixMS, FormatExcel) rather than writing a date.
func IsNumberLayout(layout string) bool {
	_, ok := countOf(layout)
	return ok
}

// ParseIn reads s in a layout TimeLayout returned: a Go layout, or a
// number of FormatUnix, FormatUnixMS or FormatExcel. The time is in UTC.
func ParseIn(layout, s string) (time.Time, error) {
	c, ok := countOf(layout)
	if !ok {
		t, err := time.Parse(layout, s)
		return t.UTC(), err
	}
	unit := c.ns
	whole, frac, dot := strings.Cut(s, ".")
	n, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || whole[0] == '+' || dot && !allDigits(frac) {
		return time.Time{}, fmt.Errorf("%q is no number of %s", s, c.what)
	}
	if n > (math.MaxInt64-max(c.epoch, 0))/unit || n < (math.MinInt64-min(c.epoch, 0))/unit {
		return time.Time{}, errors.New("out of range")
	}
	ns := c.epoch + n*unit
	neg := whole[0] == '-' // "-0.5" too
	for i, scale := 0, unit/10; i < len(frac) && scale > 0; i, scale = i+1, scale/10 {
		d := int64(frac[i] - '0')
		if neg {
			d = -d
		}
		ns += d * scale
	}
	return time.Unix(0, ns).UTC(), nil
}

// TimeLayout turns a time format into a Go layout. A format is a pattern
// written the way spreadsheets, Java and moment.js users write dates:
//
//	yyyy yy          year (YYYY, YY too)
//	mm m             month, as a number (MM, M too); mmm Jan, mmmm January
//	dd d             day of the month (DD, D too); ddd Mon, dddd Monday
//	HH H hh h        hour, 0-23, or 1-12 with an AM/PM marker
//	mm m (MM, M)     minutes when they follow an hour or come before seconds
//	ss s (SS, S)     seconds; a fraction after them is read too
//	AM/PM am/pm tt a an AM or PM marker (AM and PM in the text)
//
// so "dd.mm.yyyy HH:MM", "M/D/YY H:mm", "m/d/yy h:mm" and "yyyy-MM-dd
// HH:mm:ss" all work. Numbers may be written with or without a leading
// zero ("1/5/24" and "01/05/24" both read as mm/dd/yy). A Go layout
// ("02.01.2006") is kept as it is. A format without a year is an error.
//
// "unix" reads seconds since 1970-01-01 UTC ("1693766927", a fraction
// allowed) and "unix_ms" milliseconds ("1693766927123"), as event
// trackers export them, and "excel" Excel's serial dates ("45292.5" is
// 2024-01-01 12:00); their layouts are FormatUnix, FormatUnixMS and
// FormatExcel, which ParseIn reads.
func TimeLayout(format string) (string, error) {
	if f := strings.ToLower(format); IsNumberLayout(f) {
		return f, nil
	}
	if strings.Contains(format, "2006") || strings.Contains(format, "06") && !strings.ContainsAny(format, "yYmMdDhHsS") {
		return format, nil
	}
	runs, err := timeRuns(format)
	if err != nil {
		return "", err
	}
	twelve := false
	for _, r := range runs {
		twelve = twelve || r.marker
	}
	var b strings.Builder
	months := 0
	for i, r := range runs {
		if r.letter == 0 {
			b.WriteString(r.text)
			continue
		}
		n := len(r.text)
		switch r.letter {
		case 'y':
			if n != 2 && n != 4 {
				return "", fmt.Errorf("time format %q: %q is no year (use yyyy or yy)", format, r.text)
			}
			if n == 4 {
				b.WriteString("2006")
			} else {
				b.WriteString("06")
			}
		case 'd':
			if n > 4 {
				return "", fmt.Errorf("time format %q: %q is no day (use dd, d, ddd or dddd)", format, r.text)
			}
			b.WriteString([]string{"2", "2", "Mon", "Monday"}[n-1])
		case 'h':
			if n > 2 {
				return "", fmt.Errorf("time format %q: %q is no hour (use HH or H)", format, r.text)
			}
			if twelve {
				b.WriteString("3")
			} else {
				b.WriteString("15")
			}
		case 's':
			if n > 2 {
				return "", fmt.Errorf("time format %q: %q is no seconds (use ss)", format, r.text)
			}
			b.WriteString("5")
		case 'm':
			switch {
			case n == 3:
				b.WriteString("Jan")
				months++
			case n == 4:
				b.WriteString("January")
				months++
			case n > 4:
				return "", fmt.Errorf("time format %q: %q is no month or minutes", format, r.text)
			case minutesAt(runs, i):
				b.WriteString("4")
			default:
				b.WriteString("1")
				months++
			}
		case 'p':
			b.WriteString("PM")
		}
	}
	if months > 1 {
		return "", fmt.Errorf("time format %q has two months (minutes follow an hour: HH:mm)", format)
	}
	layout := b.String()
	if !strings.Contains(layout, "2006") && !strings.Contains(layout, "06") {
		return "", fmt.Errorf("time format %q has no year", format)
	}
	return layout, nil
}

// timeRun is a run of one pattern letter (letter its lower case, 'p' for
// an AM/PM marker) or, letter 0, literal text.
type timeRun struct {
	letter byte
	text   string
	marker bool
}

// amPM are the spellings of an AM/PM marker, longest first.
var amPM = []string{"AM/PM", "am/pm", "tt", "AM", "PM", "a", "A"}

// timeRuns splits a time format into runs of pattern letters and literal
// text, which may hold the letters T and Z (2024-01-05T10:00Z) but no
// other.
func timeRuns(format string) ([]timeRun, error) {
	var runs []timeRun
	for rest := format; rest != ""; {
		if m, ok := markerAt(rest); ok {
			runs = append(runs, timeRun{letter: 'p', text: m, marker: true})
			rest = rest[len(m):]
			continue
		}
		c := rest[0]
		letter := byte(0)
		switch c {
		case 'y', 'Y':
			letter = 'y'
		case 'm', 'M':
			letter = 'm'
		case 'd', 'D':
			letter = 'd'
		case 'h', 'H':
			letter = 'h'
		case 's', 'S':
			letter = 's'
		}
		if letter == 0 && isLetter(c) && c != 'T' && c != 'Z' {
			return nil, fmt.Errorf("time format %q: unknown letter %q (use yyyy, mm, dd, HH, MM, SS, AM/PM, or a Go layout)", format, c)
		}
		n := 1
		for letter != 0 && n < len(rest) && rest[n] == c {
			n++
		}
		if letter == 0 && len(runs) > 0 && runs[len(runs)-1].letter == 0 {
			runs[len(runs)-1].text += rest[:1]
		} else {
			runs = append(runs, timeRun{letter: letter, text: rest[:n]})
		}
		rest = rest[n:]
	}
	return runs, nil
}

// markerAt returns the AM/PM marker s starts with, if any: a one-letter
// marker only when no letter follows it.
func markerAt(s string) (string, bool) {
	for _, m := range amPM {
		if strings.HasPrefix(s, m) && (len(m) > 1 || len(s) == 1 || !isLetter(s[1])) {
			return m, true
		}
	}
	return "", false
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// minutesAt reports whether the m run at i stands for minutes: the
// pattern run before it is an hour, or the one after it seconds.
func minutesAt(runs []timeRun, i int) bool {
	for j := i - 1; j >= 0; j-- {
		if runs[j].letter != 0 {
			if runs[j].letter == 'h' {
				return true
			}
			break
		}
	}
	for j := i + 1; j < len(runs); j++ {
		if runs[j].letter != 0 {
			return runs[j].letter == 's'
		}
	}
	return false
}
