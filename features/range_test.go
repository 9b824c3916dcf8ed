package features

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestEventTimeRange: an event outside the supported range is a bad row
// with its position, whether the text parses as a date or not.
func TestEventTimeRange(t *testing.T) {
	for _, ts := range []string{"1700-01-01", "1899-12-31 23:59:59", "2100-01-01", "2262-04-12", "9999-12-31"} {
		t.Run(ts, func(t *testing.T) {
			p := writeFile(t, "events.csv", "entity_id,ts,type\na,2024-01-01,rfq\nb,"+ts+",rfq\n")
			_, err := readAllEvents(t, Source{Path: p}, nil)
			var re *RowError
			if !errors.As(err, &re) || !errors.Is(err, ErrTimeRange) || re.Line != 3 || re.Column != 3 || re.Field != "ts" {
				t.Errorf("error = %v, want a *RowError at 3:3 wrapping ErrTimeRange", err)
			}
		})
	}
	ok := writeFile(t, "events.csv", "entity_id,ts,type\na,1900-01-01,rfq\nb,2099-12-31 23:59:59,rfq\n")
	if _, err := readAllEvents(t, Source{Path: ok}, nil); err != nil {
		t.Errorf("the range's ends: %v", err)
	}
}

// TestEventTimeRangeParquet: the same through Parquet timestamp columns.
func TestEventTimeRangeParquet(t *testing.T) {
	p := writeParquetEvents(t, []pqEvent{
		{EntityID: ptr("a"), TS: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), Type: "order"},
		{EntityID: ptr("b"), TS: time.Date(2150, 1, 1, 0, 0, 0, 0, time.UTC), Type: "order"},
	})
	_, err := readAllEvents(t, Source{Path: p}, nil)
	var re *RowError
	if !errors.As(err, &re) || !errors.Is(err, ErrTimeRange) || re.Line != 2 || re.Field != "ts" {
		t.Errorf("error = %v, want a *RowError on row 2 wrapping ErrTimeRange", err)
	}
}

// TestOutOfRangeEventChangesNoOtherRow: skipping events outside the range
// leaves every other entity's row exactly as it is without them. Before
// the range existed, an event in 1700 overflowed the age arithmetic and
// set activity bits in another row.
func TestOutOfRangeEventChangesNoOtherRow(t *testing.T) {
	var clean strings.Builder
	clean.WriteString("entity_id,ts,type,value\n")
	for i := range 40 {
		for k := range 6 {
			ts := asOf.Add(-time.Duration(1+i*7+k*13) * 24 * time.Hour)
			clean.WriteString(string(rune('a'+i%26)) + string(rune('a'+i/26)) + "," + ts.Format(time.RFC3339) + ",rfq,\n")
		}
	}
	dirty := clean.String() + "aa,1700-01-01,rfq,\nab,9999-12-31,order,5\nzz,2262-04-12,rfq,\nac,1500-06-01 10:00:00,order,1\n"
	want := build(t, clean.String(), Config{AsOf: asOf, Rules: DefaultRules()})
	bad := &BadRows{Max: 10}
	got := build(t, dirty, Config{AsOf: asOf, Rules: DefaultRules(), BadRows: bad})
	if bad.Count() != 4 {
		t.Fatalf("%d bad rows, want 4", bad.Count())
	}
	if err := sameTable(want, got); err != nil {
		t.Error(err)
	}
}

// TestTimeRangeConfig: as-of dates and cutoffs outside the range are
// refused.
func TestTimeRangeConfig(t *testing.T) {
	ev := writeFile(t, "events.csv", "entity_id,ts,type\na,2024-01-01,rfq\n")
	for _, d := range []time.Time{time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)} {
		_, err := Build(context.Background(), Config{Events: Source{Path: ev}, AsOf: d})
		if !errors.Is(err, ErrTimeRange) {
			t.Errorf("as-of %v: error = %v, want ErrTimeRange", d, err)
		}
	}
	cut := writeFile(t, "cutoffs.csv", "entity_id,ts\na,2024-01-01\na,9999-12-31\n")
	_, err := ReadCutoffs(context.Background(), Source{Path: cut}, nil)
	var re *RowError
	if !errors.As(err, &re) || !errors.Is(err, ErrTimeRange) || re.Line != 3 {
		t.Errorf("cutoff on 9999-12-31: error = %v, want a *RowError on line 3", err)
	}
}

// TestEpochAndEarlyEvents: the epoch itself and times before it are
// ordinary times: days since the last event is measured from an event at
// 1970-01-01T00:00:00Z, and an order before 1970 starts an inactivity
// clock.
func TestEpochAndEarlyEvents(t *testing.T) {
	at := time.Date(1970, 3, 1, 0, 0, 0, 0, time.UTC)
	tb := build(t, "entity_id,ts,type,value\na,1970-01-01T00:00:00Z,rfq,\nb,1969-06-01,order,5\nb,1969-12-01,page_view,\n",
		Config{AsOf: at, Rules: parseRules(t, "version: 1\ngroups: [{name: g}]\nrules:\n  - {name: idle, group: g, points: -10, inactive: {type: order, for: 6 months, only_if_seen: true}, valid_for: 1 year}\n")})
	if got := value(t, tb, 0, "rfq_days_since_last"); got != 59 {
		t.Errorf("a: rfq_days_since_last = %v, want 59", got)
	}
	if got := value(t, tb, 1, "order_days_since_last"); got != 273 {
		t.Errorf("b: order_days_since_last = %v, want 273", got)
	}
	if got := value(t, tb, 1, "rule_points"); got != -10 {
		t.Errorf("b: rule_points = %v, want -10 (no order since 1969-06-01)", got)
	}
}

func TestParseNumber(t *testing.T) {
	for _, s := range []string{"0", "-12", "+3.5", ".5", "5.", "1e6", "-2.5E-3", "1e15", "-1000000000000000"} {
		if _, err := ParseNumber(s); err != nil {
			t.Errorf("ParseNumber(%q): %v", s, err)
		}
	}
	tests := []struct {
		give string
		want error
	}{
		{"1_000", ErrBadNumber}, {"0x1p10", ErrBadNumber}, {"0x10", ErrBadNumber}, {"12,5", ErrBadNumber}, {"1e", ErrBadNumber},
		{"-", ErrBadNumber}, {".", ErrBadNumber}, {"1.2.3", ErrBadNumber}, {" 1", ErrBadNumber},
		{"Inf", ErrNotFinite}, {"-infinity", ErrNotFinite}, {"NaN", ErrNotFinite},
		{"1e16", ErrNumberRange}, {"1e308", ErrNumberRange}, {"1e400", ErrNumberRange}, {"-2000000000000000", ErrNumberRange},
	}
	for _, tt := range tests {
		if _, err := ParseNumber(tt.give); !errors.Is(err, tt.want) {
			t.Errorf("ParseNumber(%q) error = %v, want %v", tt.give, err, tt.want)
		}
	}
}

// TestReadDecimal checks readDecimal against the definition it shortcuts:
// the grammar, written as a regular expression, for the syntax and
// strconv.ParseFloat for the value, bit for bit, on the spellings of CSV
// exports (prices, rates, counts, exponents) and on random strings of
// digits, signs, points and exponent marks.
func TestReadDecimal(t *testing.T) {
	grammar := regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$`)
	check := func(s string) {
		t.Helper()
		f, syntax, exact := readDecimal(s)
		if want := grammar.MatchString(s); syntax != want {
			t.Fatalf("readDecimal(%q) syntax = %v, want %v", s, syntax, want)
		}
		if !exact {
			return
		}
		want, err := strconv.ParseFloat(s, 64)
		if err != nil || math.Float64bits(f) != math.Float64bits(want) {
			t.Fatalf("readDecimal(%q) = %v (%x), strconv %v (%x), %v", s, f, math.Float64bits(f), want, math.Float64bits(want), err)
		}
	}
	for _, s := range []string{"0", "-0", "+0", "0.0", "-0.000", ".0", "0.", "12", "-3.5", "1234.50", "0.1", "0.3", "2.675",
		"9007199254740991", "9007199254740992", "9007199254740993", "-9007199254740991e3", "1e22", "1e23", "1e-22", "1e-23",
		"123456789012345678", "1234567890123456789", "12345678901234567890", "0.00000000000000000000001", "4.35e-7",
		"00000000000000000000001", "1" + strings.Repeat("0", 30) + "e-30", "5e+0", "5E-0", "1e99999", "0e99999", "1e", "e5", "."} {
		check(s)
	}
	r := rand.New(rand.NewPCG(5, 6))
	const alphabet = "0123456789012345678901234567890123456789.-+eE"
	b := make([]byte, 0, 24)
	for range 500_000 {
		b = b[:0]
		for range 1 + r.IntN(22) {
			b = append(b, alphabet[r.IntN(len(alphabet))])
		}
		check(string(b))
	}
	// Numbers as files spell them: a sign, digits, a fraction, sometimes an
	// exponent.
	for range 500_000 {
		s := strconv.FormatFloat((r.Float64()-0.3)*math.Pow(10, float64(r.IntN(30)-12)), 'f', r.IntN(12), 64)
		if r.IntN(4) == 0 {
			s += "e" + strconv.Itoa(r.IntN(40)-20)
		}
		check(s)
	}
}

// TestHugeValues: a value beyond MaxMagnitude is a bad value in events, in
// entity attributes and in flat tables, never an infinity in a sum.
func TestHugeValues(t *testing.T) {
	p := writeFile(t, "events.csv", "entity_id,ts,type,value\na,2024-01-01,order,1e308\na,2024-01-02,order,1e308\n")
	_, err := readAllEvents(t, Source{Path: p}, nil)
	var re *RowError
	if !errors.As(err, &re) || !errors.Is(err, ErrNumberRange) || re.Line != 2 || re.Field != "value" {
		t.Errorf("events: error = %v, want a *RowError on line 2 wrapping ErrNumberRange", err)
	}
	ent := writeFile(t, "entities.csv", "entity_id,revenue\na,10\nb,1e308\n")
	_, err = ReadProfiles(context.Background(), Source{Path: ent}, nil)
	if !errors.As(err, &re) || !errors.Is(err, ErrNumberRange) || re.Line != 3 || re.Field != "revenue" {
		t.Errorf("entities: error = %v, want a *RowError on line 3", err)
	}
	tab := writeFile(t, "leads.csv", "id,revenue,won\n1,10,1\n2,\"2e20\",0\n3,5,1\n")
	_, err = ReadTable(context.Background(), Source{Path: tab}, nil, nil)
	if !errors.As(err, &re) || !errors.Is(err, ErrNumberRange) || re.Line != 3 || re.Field != "revenue" {
		t.Errorf("table: error = %v, want a *RowError on line 3", err)
	}
	// Within the bound, a long run of large values sums to a finite total.
	var sb strings.Builder
	sb.WriteString("entity_id,ts,type,value\n")
	for i := range 1000 {
		sb.WriteString("a," + asOf.Add(-time.Duration(i+1)*time.Hour).Format(time.RFC3339) + ",order,1e15\n")
	}
	tb := build(t, sb.String(), Config{AsOf: asOf})
	if s := value(t, tb, 0, "order_value_sum_365d"); math.IsInf(s, 0) || s != 1e18 {
		t.Errorf("sum = %v, want 1e18", s)
	}
}
