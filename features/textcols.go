package features

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Number formats of a text column: how a CRM export writes its numbers.
// NumberPlain is what every reader takes without asking ("1234.5");
// NumberComma marks decimals with a point and groups thousands with
// commas ("1,234.50"), NumberDot marks them with a comma and groups with
// dots ("1.234,50", "12,5"). Either may group with spaces (also no-break
// ones: "1 234,50") or apostrophes ("1'234.50") instead, carry a currency
// sign ($ € £ ¥) or code ("USD 1,234.50", "1.234,50 EUR") and a trailing
// percent sign, which are dropped ("15%" reads 15), and write a negative
// number in accounting parentheses ("(1,200.00)") or with a trailing
// minus ("1.234,50-", as SAP does).
const (
	NumberPlain = "1234.5"
	NumberComma = "1,234.5"
	NumberDot   = "1.234,5"
)

// MissingTokens are the cell values a column of numbers may hold for a
// missing value (pandas' defaults): they do not make it a text column.
var MissingTokens = []string{"#N/A", "#N/A N/A", "#NA", "-NaN", "-nan", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"}

// missingToken reports whether s is one of MissingTokens: a missing value
// as R (NA), pandas and databases (null, None, N/A) write it.
func missingToken(s string) bool { return slices.Contains(MissingTokens, s) }

// CheckNumberFormat returns an error unless f is a number format.
func CheckNumberFormat(f string) error {
	switch f {
	case NumberPlain, NumberComma, NumberDot:
		return nil
	}
	return fmt.Errorf("number format %q: want %s, %s or %s", f, NumberPlain, NumberComma, NumberDot)
}

// ParseNumberAs reads s written in a number format. It reports false when
// s is not a number in that format.
func ParseNumberAs(s, format string) (float64, bool) {
	s = strings.TrimSpace(s)
	neg := false
	if inner, ok := strings.CutPrefix(s, "("); ok {
		if s, ok = strings.CutSuffix(inner, ")"); !ok {
			return 0, false
		}
		neg, s = true, strings.TrimSpace(s)
	}
	if s != "" && (s[0] == '-' || s[0] == '+') {
		if neg {
			return 0, false // "(-12)"
		}
		neg, s = s[0] == '-', strings.TrimSpace(s[1:])
	}
	if rest, ok := strings.CutSuffix(s, "-"); ok && !neg {
		neg, s = true, strings.TrimSpace(rest) // "1.234,50-"
	}
	s = trimCurrency(strings.TrimSuffix(s, "%"))
	if s != "" && s[0] == '-' && !neg {
		neg, s = true, s[1:] // "$-12"
	}
	group, dec := byte(','), byte('.')
	switch format {
	case NumberPlain:
		group = 0
	case NumberDot:
		group, dec = '.', ','
	}
	whole, frac, hasFrac := strings.Cut(s, string(dec))
	if whole == "" || hasFrac && (frac == "" || !allDigits(frac)) {
		return 0, false
	}
	if group != 0 {
		// Spaces and apostrophes group thousands in either format.
		if !isASCII(whole) {
			whole = groupSpaces.Replace(whole)
		}
		if strings.IndexByte(whole, group) < 0 {
			if strings.IndexByte(whole, ' ') >= 0 {
				group = ' '
			} else if strings.IndexByte(whole, '\'') >= 0 {
				group = '\''
			}
		}
	}
	if group != 0 && strings.IndexByte(whole, group) >= 0 {
		parts := strings.Split(whole, string(group))
		if len(parts[0]) == 0 || len(parts[0]) > 3 {
			return 0, false
		}
		for _, p := range parts[1:] {
			if len(p) != 3 {
				return 0, false
			}
		}
		whole = strings.Join(parts, "")
	}
	if !allDigits(whole) {
		return 0, false
	}
	v, err := strconv.ParseFloat(whole+"."+frac, 64)
	if !hasFrac {
		v, err = strconv.ParseFloat(whole, 64)
	}
	if err != nil || v > MaxMagnitude {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

// trimCurrency drops the currency signs and the ISO 4217 code a number
// may carry before or after it: multi-currency CRMs export "USD 1,234.50".
// A code is looked up only where s begins or ends with a capital letter:
// every cell of a formatted column comes through here.
func trimCurrency(s string) string {
	for _, sign := range [...]string{"$", "€", "£", "¥"} {
		s = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(s, sign), sign))
	}
	if n := len(s); n > 3 && s[0] >= 'A' && s[0] <= 'Z' && currencyCodes[s[:3]] {
		s = strings.TrimSpace(s[3:])
	}
	if n := len(s); n > 3 && s[n-1] >= 'A' && s[n-1] <= 'Z' && currencyCodes[s[n-3:]] {
		s = strings.TrimSpace(s[:n-3])
	}
	return s
}

// currencyCodes are the ISO 4217 codes trimCurrency knows.
var currencyCodes = map[string]bool{"USD": true, "EUR": true, "GBP": true, "JPY": true, "CHF": true, "CAD": true, "AUD": true,
	"NZD": true, "SEK": true, "NOK": true, "DKK": true, "PLN": true, "CZK": true, "HUF": true, "INR": true, "CNY": true,
	"BRL": true, "MXN": true, "ZAR": true, "SGD": true, "HKD": true}

// groupSpaces turns the no-break spaces (U+00A0, U+202F) and the right
// single quote that spreadsheets group thousands with into a space and an
// apostrophe.
var groupSpaces = strings.NewReplacer("\u00a0", " ", "\u202f", " ", "\u2019", "'")

// NormValue is how listed values (labels, stages) compare: case does not
// matter, nor, in a value with letters, do spaces, hyphens and
// underscores ("Closed Won", "closed-won", "CLOSED_WON" and HubSpot's
// "closedwon" are one stage). In a value without letters spaces around and
// between words do not matter, and a sign does ("-1" is no "1").
func NormValue(s string) string {
	s = strings.ToLower(s)
	if !strings.ContainsFunc(s, unicode.IsLetter) {
		return strings.Join(strings.Fields(s), " ")
	}
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// isASCII reports whether s has no byte beyond ASCII.
func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// AmbiguousError reports a column whose values read as different numbers
// or dates in two formats, with examples and the setting that decides.
type AmbiguousError struct {
	Column   string
	Examples []string
	Choices  []string
	Flag     string
}

func (e *AmbiguousError) Error() string {
	return fmt.Sprintf("column %q is ambiguous: %s could be read as %s; say which with %s",
		e.Column, quoteList(e.Examples), strings.Join(e.Choices, " or "), e.Flag)
}

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, ", ")
}

// detectNumbers decides whether a text column holds numbers in a format
// other than plain: every non-empty cell a number in the format (missing
// tokens aside). format, when set, is the format to use. It returns the
// values and the format, or ok false for a text column; two formats that
// read some cell differently are an *AmbiguousError.
func detectNumbers(name string, cells []string, format string) (vals []float64, used string, ok bool, err error) {
	formats := []string{NumberComma, NumberDot}
	if format != "" {
		formats = []string{format}
	}
	var fits []string
	var read [][]float64
	for _, f := range formats {
		vs, good := parseAll(cells, f)
		if good {
			fits, read = append(fits, f), append(read, vs)
		}
	}
	switch len(fits) {
	case 0:
		return nil, "", false, nil
	case 1:
		return read[0], fits[0], true, nil
	}
	var examples []string
	for i, c := range cells {
		if !sameFloat(read[0][i], read[1][i]) && len(examples) < 3 {
			examples = append(examples, c)
		}
	}
	if len(examples) == 0 {
		return read[0], fits[0], true, nil
	}
	return nil, "", false, &AmbiguousError{Column: name, Examples: examples, Choices: []string{
		fmt.Sprintf("%s (%s)", num(read[0], cells, examples[0]), NumberComma), fmt.Sprintf("%s (%s)", num(read[1], cells, examples[0]), NumberDot)},
		Flag: fmt.Sprintf("--number-format %q or %q", name+"="+NumberComma, name+"="+NumberDot)}
}

func num(vals []float64, cells []string, cell string) string {
	i := slices.Index(cells, cell)
	return strconv.FormatFloat(vals[i], 'f', -1, 64)
}

func sameFloat(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }

// parseAll reads every cell in a format; empty cells and missing tokens
// are NaN. It fails when a cell is neither, or when no cell is a number.
func parseAll(cells []string, format string) ([]float64, bool) {
	out := make([]float64, len(cells))
	any := false
	for i, c := range cells {
		if c == "" || missingToken(strings.TrimSpace(c)) {
			out[i] = math.NaN()
			continue
		}
		v, ok := ParseNumberAs(c, format)
		if !ok {
			return nil, false
		}
		out[i], any = v, true
	}
	return out, any
}

// datePatterns are the day-first and month-first patterns a column of
// dates is tried with when it is not ISO 8601 (each reads numbers with or
// without a leading zero). Two-digit years are tried with slashes only,
// as spreadsheets write them: with dots they would read version numbers
// (1.2.10) as dates; --time-format dd.mm.yy reads those.
var datePatterns = []string{"dd.mm.yyyy", "dd/mm/yyyy", "mm/dd/yyyy", "dd-mm-yyyy", "yyyy/mm/dd", "dd-mmm-yyyy", "dd mmm yyyy",
	"dd mmmm yyyy", "mmm dd, yyyy", "mmmm dd, yyyy", "dd/mm/yy", "mm/dd/yy"}

// DatePatternsOf returns the patterns of the ones a flat table's date
// column is tried with (dd.mm.yyyy, mm/dd/yyyy, ...) that read s, with or
// without a time of day, as a time in the supported range: what to
// suggest for --time-format when s is no ISO 8601 time. Both a day-first
// and a month-first pattern may read it (03/04/2024). Ten digits are
// FormatUnix, thirteen FormatUnixMS, five FormatExcel.
func DatePatternsOf(s string) []string {
	s = strings.TrimSpace(s)
	// Seconds or milliseconds since 1970, as event trackers export them:
	// ten or thirteen digits in this century; days since 1899-12-30, as a
	// spreadsheet saves a date formatted as a number: five digits from
	// 1970 on.
	whole, _, _ := strings.Cut(s, ".")
	for _, u := range []struct {
		format string
		digits int
	}{{FormatUnix, 10}, {FormatUnixMS, 13}, {FormatExcel, 5}} {
		if t, err := ParseIn(u.format, s); err == nil && len(whole) == u.digits && CheckTime(t) == nil && t.Year() >= 1970 {
			return []string{u.format}
		}
	}
	var fits []string
	for _, p := range datePatterns {
		base, _ := TimeLayout(p)
		if t, err := parseWith(s, withTimeOfDay(base)); err == nil && CheckTime(t) == nil {
			fits = append(fits, p)
		}
	}
	return fits
}

// withTimeOfDay returns the layouts a date written in layout is read with:
// as it is, or followed by a time of day (10:30, 10:30:15, 3:45 PM), also
// after a comma ("3/5/2024, 2:07 PM", as Salesforce's reports write).
func withTimeOfDay(layout string) []string {
	if IsNumberLayout(layout) {
		return []string{layout}
	}
	out := []string{layout}
	for _, sep := range []string{" ", ", "} {
		for _, clock := range []string{"15:04", "15:04:05", "3:04 PM", "3:04:05 PM"} {
			out = append(out, layout+sep+clock)
		}
	}
	return out
}

// detectTimes decides whether a text column holds dates: every non-empty
// cell ISO 8601 or written in one pattern (with an optional time of day,
// as withTimeOfDay adds). format, when set, is the pattern or layout to
// use. A column that both a day-first and a month-first pattern read,
// differently, is an *AmbiguousError.
func detectTimes(name string, cells []string, format string) (ts []time.Time, used string, ok bool, err error) {
	if format != "" {
		layout, err := TimeLayout(format)
		if err != nil {
			return nil, "", false, err
		}
		if ts, good := parseTimes(cells, withTimeOfDay(layout)); good {
			return ts, format, true, nil
		}
		return nil, "", false, nil
	}
	if ts, good := parseTimes(cells, nil); good {
		return ts, "", true, nil
	}
	var fits []string
	var read [][]time.Time
	for _, p := range datePatterns {
		base, _ := TimeLayout(p)
		if ts, good := parseTimes(cells, withTimeOfDay(base)); good {
			fits, read = append(fits, p), append(read, ts)
		}
	}
	if len(fits) == 0 {
		return nil, "", false, nil
	}
	for k := 1; k < len(fits); k++ {
		var examples []string
		for i, c := range cells {
			if !read[0][i].Equal(read[k][i]) && len(examples) < 3 {
				examples = append(examples, c)
			}
		}
		if len(examples) > 0 {
			return nil, "", false, &AmbiguousError{Column: name, Examples: examples, Choices: []string{fits[0], fits[k]},
				Flag: fmt.Sprintf("--time-format %s or %s", fits[0], fits[k])}
		}
	}
	return read[0], fits[0], true, nil
}

// digitDates reads a column of numbers as dates written in format, when
// the format is digits alone ("yyyymmdd", "20060102"): every value a whole
// number of at most as many digits, read with its leading zeros put back.
// Missing values stay missing; a column with none is no dates. It stops
// at the first value that is no date, as a column of counts does at once.
func digitDates(v []float64, format string) ([]time.Time, bool) {
	if c, ok := countOf(strings.ToLower(format)); ok {
		return countedDates(v, c)
	}
	width := len(format)
	if width == 0 || strings.Trim(format, "yYmMdDhHsS0123456789") != "" || strings.Contains(strings.ToLower(format), "mmm") {
		return nil, false
	}
	layout, err := TimeLayout(format)
	if err != nil {
		return nil, false
	}
	ts, any := make([]time.Time, len(v)), false
	for i, x := range v {
		if math.IsNaN(x) {
			continue
		}
		if x < 0 || x != math.Trunc(x) || x >= math.Pow10(width) {
			return nil, false
		}
		t, err := time.Parse(layout, fmt.Sprintf("%0*d", width, int64(x)))
		if err != nil || CheckTime(t) != nil {
			return nil, false
		}
		ts[i], any = t.UTC(), true
	}
	return ts, any
}

// parseTimes reads every cell with one of the layouts (ISO 8601 when
// layouts is nil), in the supported range, but empty ones and markers of
// a missing value (missingToken), which stay missing.
func parseTimes(cells []string, layouts []string) ([]time.Time, bool) {
	var out []time.Time // made at the first time read: most columns fail at once
	for i, c := range cells {
		c = strings.TrimSpace(c)
		if c == "" || missingToken(c) {
			continue
		}
		t, err := parseWith(c, layouts)
		if err != nil || CheckTime(t) != nil {
			return nil, false
		}
		if out == nil {
			out = make([]time.Time, len(cells))
		}
		out[i] = t
	}
	return out, out != nil
}

// countedDates reads numbers as counts in a format of numbers (countOf),
// to the microsecond; ok is false when one is no time in the supported
// range.
func countedDates(v []float64, c counted) ([]time.Time, bool) {
	perUnit := float64(c.ns / 1e3) // µs
	epoch := float64(c.epoch / 1e3)
	ts, any := make([]time.Time, len(v)), false
	for i, x := range v {
		if math.IsNaN(x) {
			continue
		}
		us := math.Round(epoch + x*perUnit)
		if !(math.Abs(us) < 1<<62) {
			return nil, false
		}
		t := time.UnixMicro(int64(us)).UTC()
		if CheckTime(t) != nil {
			return nil, false
		}
		ts[i], any = t, true
	}
	return ts, any
}

func parseWith(s string, layouts []string) (time.Time, error) {
	if layouts == nil {
		return ParseTime(s)
	}
	for _, l := range layouts {
		if t, err := ParseIn(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, ErrBadTime
}

// ColumnRead is how a text column of a flat file was read: as numbers in
// a format, as dates in a pattern, or as text, with a note when the
// reader had a doubt worth a look.
type ColumnRead struct {
	Column string `json:"column"`
	Number string `json:"number_format,omitempty"`
	Time   string `json:"time_format,omitempty"`
	Text   bool   `json:"text,omitempty"` // kept as written (Source.Text)
	Note   string `json:"note,omitempty"`
}

// ColumnReads returns how the text columns of a table read from a flat
// file were read (the metadata leadscore.read), nil for other tables.
func (t *Table) ColumnReads() []ColumnRead {
	var out []ColumnRead
	if raw, ok := t.Meta[MetaRead]; ok {
		json.Unmarshal([]byte(raw), &out) // written by readText: well-formed
	}
	return out
}

// readText reads the text columns of a table from a flat file again:
// numbers in a format (as src.Numbers says, or detected), then dates (in
// src.TimeLayout, or detected); the columns of src.Text stay as they are.
// A column of numbers is dates when the time
// format given for it is digits alone (yyyymmdd) and reads every one.
// Each decision is recorded in the table's metadata (ColumnReads), after
// reads, what was decided before.
func readText(t *Table, src Source, reads []ColumnRead) error {
	for k := range t.Columns {
		c := &t.Columns[k]
		if src.Text[c.Name] {
			if c.Kind == KindString {
				reads = append(reads, ColumnRead{Column: c.Name, Text: true})
			}
			continue
		}
		tf := src.Times[c.Name]
		if tf == "" {
			tf = src.TimeLayout
		}
		if c.Kind == KindFloat && src.Numbers[c.Name] == "" {
			if ts, ok := digitDates(c.Float, tf); ok {
				*c = Column{Name: c.Name, Kind: KindTime, Time: ts, Written: c.Written}
				reads = append(reads, ColumnRead{Column: c.Name, Time: tf})
				continue
			}
		}
		if c.Kind != KindString {
			if f := src.Numbers[c.Name]; f != "" && f != NumberPlain && c.Kind == KindFloat {
				reads = append(reads, ColumnRead{Column: c.Name, Number: NumberPlain})
			}
			continue
		}
		codes := codesNote(c.Str, src.Numbers[c.Name])
		if codes == "" {
			vals, format, ok, err := detectNumbers(c.Name, c.Str, src.Numbers[c.Name])
			if err != nil {
				return err
			}
			if ok {
				*c = Column{Name: c.Name, Kind: KindFloat, Float: vals, Written: c.Written}
				reads = append(reads, ColumnRead{Column: c.Name, Number: format})
				continue
			}
		}
		if f := src.Numbers[c.Name]; f != "" {
			return fmt.Errorf("column %q: not every value is a number written %s (%s; a value that means missing goes to --na)", c.Name, f, firstNot(c.Str, f))
		}
		ts, pattern, ok, err := detectTimes(c.Name, c.Str, tf)
		if err != nil {
			return err
		}
		if ok {
			*c = Column{Name: c.Name, Kind: KindTime, Time: ts, Written: c.Written}
			reads = append(reads, ColumnRead{Column: c.Name, Time: pattern})
			continue
		}
		if codes != "" {
			reads = append(reads, ColumnRead{Column: c.Name, Text: true,
				Note: fmt.Sprintf("%s; --number-format %q reads them as numbers", codes, c.Name+"="+NumberPlain)})
			continue
		}
		if note := mostlyNumbers(c.Str); note != "" {
			reads = append(reads, ColumnRead{Column: c.Name, Note: note})
		}
	}
	if len(reads) > 0 {
		b, _ := json.Marshal(reads) // plain data: cannot fail
		if t.Meta == nil {
			t.Meta = map[string]string{}
		}
		t.Meta[MetaRead] = string(b)
	}
	return nil
}

// firstNot names the first cell that is not a number in the format.
func firstNot(cells []string, format string) string {
	for i, c := range cells {
		if c == "" || missingToken(strings.TrimSpace(c)) {
			continue
		}
		if _, ok := ParseNumberAs(c, format); !ok {
			return fmt.Sprintf("row %d: %q", i+1, c)
		}
	}
	return ""
}

// zeroLed reports whether s is written with a leading zero before another
// digit ("02134", "007"), as postal codes, phone numbers and account
// numbers are, and numbers are not.
func zeroLed(s string) bool {
	return len(s) > 1 && s[0] == '0' && s[1] >= '0' && s[1] <= '9'
}

// codesNote notes text cells that read as numbers, some written with a
// leading zero (zeroLed): codes, which reading them as numbers would
// change ("02134" and "2134" the same postal code). It returns "" for
// other cells, and for a column given a number format of its own (format).
// Only a column with such a cell has its cells parsed.
func codesNote(cells []string, format string) string {
	if format != "" {
		return ""
	}
	example := ""
	for _, c := range cells {
		if c = strings.TrimSpace(c); zeroLed(c) {
			example = c
			break
		}
	}
	if example == "" {
		return ""
	}
	for _, c := range cells {
		if c = strings.TrimSpace(c); c != "" && !missingToken(c) && !readsAsNumber(c) {
			return ""
		}
	}
	return fmt.Sprintf("read as text: numbers written with leading zeros, as codes are (%q)", example)
}

// mostlyNumbers notes a text column whose cells are numbers but for a few
// values: most likely a missing-value marker to pass to --na.
func mostlyNumbers(cells []string) string {
	others := map[string]int{}
	n, nums := 0, 0
	for _, c := range cells {
		if c == "" {
			continue
		}
		n++
		if readsAsNumber(c) {
			nums++
		} else if len(others) < 4 {
			others[c]++
		}
		if n-nums > len(cells)-len(cells)*9/10 {
			return "" // more text than the note below allows, whatever follows
		}
	}
	if nums == 0 || nums < n*9/10 || nums == n {
		return ""
	}
	keys := make([]string, 0, len(others))
	for k := range others {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return fmt.Sprintf("read as text: %d of %d values are numbers, but also %s (give them to --na to read the column as numbers)",
		nums, n, quoteList(keys))
}

// readsAsNumber reports whether s is a number in any of the formats.
func readsAsNumber(s string) bool {
	for _, f := range []string{NumberPlain, NumberComma, NumberDot} {
		if _, ok := ParseNumberAs(s, f); ok {
			return true
		}
	}
	return false
}

// dateAgeSep joins a date column's name and the time column's in the name
// of the date's age (DateAgeName).
const dateAgeSep = "_days_before_"

// DateAgeName names the column AddDateAges makes of date column date:
// "<date>_days_before_<ref>".
func DateAgeName(date, ref string) string { return date + dateAgeSep + ref }

// DateOfAge returns the date column whose age before time column ref the
// column name is (DateAgeName); ok is false for any other name, and for
// ref "".
func DateOfAge(name, ref string) (date string, ok bool) {
	if ref == "" {
		return "", false
	}
	return strings.CutSuffix(name, dateAgeSep+ref)
}

// SplitDateAge splits the name of a date's age (DateAgeName) into the
// date column's and the time column's; ok is false for any other name.
func SplitDateAge(name string) (date, ref string, ok bool) {
	k := strings.LastIndex(name, dateAgeSep)
	if k <= 0 {
		return "", "", false
	}
	return name[:k], name[k+len(dateAgeSep):], true
}

// AddDateAges turns each time column of a flat table but ref into a
// number a model can use: a column "<name>_days_before_<ref>", the days
// from its date to the row's ref time (NaN when either is missing). The
// columns a feature table passes through (MetaPassthrough: a deals file's
// closed_at, when a deal opened) are no features and stay as they are. It
// returns the names of the columns added.
func AddDateAges(t *Table, ref string) []string {
	r := t.Column(ref)
	if r == nil || r.Kind != KindTime {
		return nil
	}
	passed := strings.Split(t.Meta[MetaPassthrough], ",")
	var added []string
	for k := range t.Columns {
		c := &t.Columns[k]
		if _, age := DateOfAge(c.Name, ref); c.Kind != KindTime || c.Name == ref || age || slices.Contains(passed, c.Name) {
			continue
		}
		name := DateAgeName(c.Name, ref)
		if t.Column(name) != nil {
			continue
		}
		out := make([]float64, len(c.Time))
		for i := range out {
			if c.IsNull(i) || r.IsNull(i) {
				out[i] = math.NaN()
				continue
			}
			out[i] = r.Time[i].Sub(c.Time[i]).Hours() / 24
		}
		added = append(added, name)
		t.Columns = append(t.Columns, Column{Name: name, Kind: KindFloat, Float: out})
	}
	return added
}

// LaterShare returns the share of a date-age column's values (see
// AddDateAges) whose date falls after the row's time, among those that are
// not missing (0 when none is). A date most rows have after their own time
// was filled in later than the row describes: a close date, a last
// activity.
func LaterShare(c *Column) float64 {
	later, n := 0, 0
	for _, x := range c.Float {
		if math.IsNaN(x) {
			continue
		}
		n++
		if x < 0 {
			later++
		}
	}
	if n == 0 {
		return 0
	}
	return float64(later) / float64(n)
}
