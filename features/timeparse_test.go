package features

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	tests := []struct {
		give string
		want time.Time
	}{
		{"2024-03-01", time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)},
		{"2024-03-01 12:30:05", time.Date(2024, 3, 1, 12, 30, 5, 0, time.UTC)},
		{"2024-03-01 12:30:05.25", time.Date(2024, 3, 1, 12, 30, 5, 250e6, time.UTC)},
		{"2024-03-01T12:30:05", time.Date(2024, 3, 1, 12, 30, 5, 0, time.UTC)},
		{"2024-03-01T12:30:05Z", time.Date(2024, 3, 1, 12, 30, 5, 0, time.UTC)},
		{"2024-03-01T12:30:05+02:00", time.Date(2024, 3, 1, 10, 30, 5, 0, time.UTC)},
		{"2024-03-01T00:30:00+02:00", time.Date(2024, 2, 29, 22, 30, 0, 0, time.UTC)},
		{"2024-03-01T12:30:05.123456789-05:00", time.Date(2024, 3, 1, 17, 30, 5, 123456789, time.UTC)},
		{"2024-03-01 12:30:05+01:00", time.Date(2024, 3, 1, 11, 30, 5, 0, time.UTC)},
		{"2024-03-01T12:30", time.Date(2024, 3, 1, 12, 30, 0, 0, time.UTC)},
		{"2024-03-01 12:30", time.Date(2024, 3, 1, 12, 30, 0, 0, time.UTC)},
		// PostgreSQL and DuckDB write offsets as +hh; ISO 8601 also allows +hhmm.
		{"2023-01-01 01:24:34+00", time.Date(2023, 1, 1, 1, 24, 34, 0, time.UTC)},
		{"2024-03-01 12:30:05.5-05", time.Date(2024, 3, 1, 17, 30, 5, 500e6, time.UTC)},
		{"2024-03-01T12:30:05+0530", time.Date(2024, 3, 1, 7, 0, 5, 0, time.UTC)},
		{"2024-03-01 12:30:05-0130", time.Date(2024, 3, 1, 14, 0, 5, 0, time.UTC)},
		// BigQuery names the zone.
		{"2024-03-01 12:30:05 UTC", time.Date(2024, 3, 1, 12, 30, 5, 0, time.UTC)},
		{"2024-03-01 12:30:05.123456 UTC", time.Date(2024, 3, 1, 12, 30, 5, 123456000, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			got, err := ParseTime(tt.give)
			if err != nil {
				t.Fatalf("ParseTime(%q) error: %v", tt.give, err)
			}
			if !got.Equal(tt.want) || got.Location() != time.UTC {
				t.Errorf("ParseTime(%q) = %v, want %v in UTC", tt.give, got, tt.want)
			}
		})
	}
}

func TestParseTimeErrors(t *testing.T) {
	for _, give := range []string{"", "yesterday", "2024-02-30", "2023-02-29", "2024-13-01", "2024-01-01T25:00:00",
		"01.03.2024", "2024/03/01", "2024-03-01 12:61:00", "2024-03-01X12:00:00", "2024-03-01 12:30:05 junk",
		"2024-03-01 12:30:05+5", "2024-03-01 12:30:05+00:0", "2024-03-01 12:30:05+25",
		"2024-03-01 12:30:05+01:00 UTC", "2024-02-30 12:30:05 UTC", "2024-03-01 UTC UTC", "2024-01-1 UTC", "2024-01- UTC"} {
		t.Run(give, func(t *testing.T) {
			_, err := ParseTime(give)
			var te *TimeError
			if !errors.Is(err, ErrBadTime) || !errors.As(err, &te) || te.Value != give {
				t.Errorf("ParseTime(%q) error = %v, want a TimeError matching ErrBadTime", give, err)
			}
		})
	}
}

// TestParseIn: seconds and milliseconds since 1970, as trackers export
// them, and Go layouts.
func TestParseIn(t *testing.T) {
	for _, tt := range []struct {
		layout, s string
		want      time.Time
	}{
		{FormatUnix, "1693766927", time.Date(2023, 9, 3, 18, 48, 47, 0, time.UTC)},
		{FormatUnix, "1693766927.5", time.Date(2023, 9, 3, 18, 48, 47, 5e8, time.UTC)},
		{FormatUnix, "-86400", time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)},
		{FormatUnix, "-0.5", time.Date(1969, 12, 31, 23, 59, 59, 5e8, time.UTC)},
		{FormatUnixMS, "1693766927123", time.Date(2023, 9, 3, 18, 48, 47, 123e6, time.UTC)},
		{FormatExcel, "45292", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)},
		{FormatExcel, "45292.75", time.Date(2024, 1, 1, 18, 0, 0, 0, time.UTC)},
		{FormatExcel, "1", time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC)},
		{FormatExcel, "-0.5", time.Date(1899, 12, 29, 12, 0, 0, 0, time.UTC)},
		{"02.01.2006", "05.03.2024", time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)},
	} {
		if got, err := ParseIn(tt.layout, tt.s); err != nil || !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("ParseIn(%q, %q) = %v, %v; want %v", tt.layout, tt.s, got, err, tt.want)
		}
	}
	for _, s := range []string{"", "+1693766927", "16937x", "1693766927.", "1693766927.5e3", "99999999999999999999", "2024-03-01"} {
		if _, err := ParseIn(FormatUnix, s); err == nil {
			t.Errorf("ParseIn(unix, %q): no error", s)
		}
	}
	if _, err := ParseIn(FormatUnixMS, "16937x"); err == nil || !strings.Contains(err.Error(), `"16937x" is no number of milliseconds since 1970`) {
		t.Errorf("ParseIn(unix_ms, 16937x): %v", err)
	}
	if l, err := TimeLayout("UNIX_MS"); err != nil || l != FormatUnixMS {
		t.Errorf("TimeLayout(UNIX_MS) = %q, %v", l, err)
	}
	if _, err := ParseIn(FormatExcel, "1.1.2024"); err == nil || !strings.Contains(err.Error(), `"1.1.2024" is no number of days since 1899-12-30 (an Excel serial date)`) {
		t.Errorf("ParseIn(excel, 1.1.2024): %v", err)
	}
	// Events read in the format; a flat table's column given it.
	events := Source{Path: writeFile(t, "events.csv", "entity_id,ts,type\nA,1693766927,visit\n"), TimeLayout: FormatUnix}
	tb, err := Build(context.Background(), Config{Events: events, AsOf: d("2023-09-05 18:48:47")})
	if err != nil || tb.NumRows() != 1 || tb.Column("tenure_days").Float[0] != 2 {
		t.Errorf("events in unix seconds: %v, %v", tb, err)
	}
	excel := Source{Path: writeFile(t, "excel.csv", "entity_id,ts,type\nA,45292.5,visit\n"), TimeLayout: FormatExcel}
	tb, err = Build(context.Background(), Config{Events: excel, AsOf: d("2024-01-03 12:00:00")})
	if err != nil || tb.NumRows() != 1 || tb.Column("tenure_days").Float[0] != 2 {
		t.Errorf("events in Excel serial dates: %v, %v", tb, err)
	}
	flat := Source{Path: writeFile(t, "flat.csv", "id,Created,Opened,Amount\n1,1693766927,45292.25,500\n2,,,20\n"),
		Times: map[string]string{"Created": FormatUnix, "Opened": FormatExcel}}
	ft, err := ReadTable(context.Background(), flat, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c := ft.Column("Created"); c.Kind != KindTime || !c.Time[0].Equal(time.Date(2023, 9, 3, 18, 48, 47, 0, time.UTC)) || !c.Time[1].IsZero() {
		t.Errorf("Created: %+v", c)
	}
	if c := ft.Column("Opened"); c.Kind != KindTime || !c.Time[0].Equal(time.Date(2024, 1, 1, 6, 0, 0, 0, time.UTC)) || !c.Time[1].IsZero() {
		t.Errorf("Opened: %+v", c)
	}
	if c := ft.Column("Amount"); c.Kind != KindFloat {
		t.Errorf("Amount read as %v, want numbers", c.Kind)
	}
}

// TestDatePatternsOf: the patterns a --time-format hint offers for a value
// ParseTime cannot read.
func TestDatePatternsOf(t *testing.T) {
	for give, want := range map[string][]string{
		"01.03.2024":          {"dd.mm.yyyy"},
		"31.12.2024 23:59:30": {"dd.mm.yyyy"},
		"2024/03/01":          {"yyyy/mm/dd"},
		"12/1/10 8:26":        {"dd/mm/yy", "mm/dd/yy"},
		"12/31/2024 3:45 PM":  {"mm/dd/yyyy"},
		"05-Mar-2024":         {"dd-mmm-yyyy"},
		"31.02.2024":          nil, // no such day
		"01.03.1850":          nil, // out of the supported range
		"yesterday":           nil,
		"2024-02-30":          nil,
		"1693766927":          {"unix"},
		"1693766927.25":       {"unix"},
		"1693766927123":       {"unix_ms"},
		"20240301":            nil, // yyyymmdd is given, not guessed
		"169376692":           nil, // 1975: too few digits for a tracker's time
		"45292":               {"excel"},
		"45292.5":             {"excel"},
		"12345":               nil, // 1933: before 1970, no serial date a CRM writes
	} {
		if got := DatePatternsOf(give); !slices.Equal(got, want) {
			t.Errorf("DatePatternsOf(%q) = %q, want %q", give, got, want)
		}
	}
}

// TestQuickTimeAgrees: what quickTime accepts, time.Parse through the
// contract's layouts reads as the same instant, on timestamps with every
// field in and just out of range.
func TestQuickTimeAgrees(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	accepted := 0
	for range 200000 {
		year := [...]int{rng.IntN(3000), rng.IntN(10000), 0, 9999}[rng.IntN(4)]
		s := fmt.Sprintf("%04d-%02d-%02d", year, rng.IntN(14), rng.IntN(33))
		if rng.IntN(8) > 0 {
			s += pick("T", " ") + fmt.Sprintf("%02d:%02d", rng.IntN(25), rng.IntN(61))
			if rng.IntN(8) > 0 {
				s += fmt.Sprintf(":%02d", rng.IntN(61))
				if rng.IntN(3) == 0 {
					s += "." + strings.Repeat("7", rng.IntN(11))
				}
				s += pick("", "Z", "+00", "-05", "+05:30", "-0130", "+2359", "+24", "+23:60", "+5", "z", "+00:0")
			}
		}
		q, ok := quickTime(s)
		if !ok {
			continue
		}
		accepted++
		slow, err := parseTimeLayouts(s)
		if err != nil || !slow.Equal(q) {
			t.Fatalf("%q: quickTime %v, time.Parse %v (%v)", s, q, slow, err)
		}
	}
	if accepted < 50000 {
		t.Fatalf("quickTime accepted only %d timestamps", accepted)
	}
}

// FuzzQuickTime: whatever quickTime accepts, time.Parse reads the same.
func FuzzQuickTime(f *testing.F) {
	for _, s := range []string{"2024-03-01", "2023-01-01 01:24:34+00", "2024-03-01T12:30:05.123456789-05:00", "2024-02-29T00:00+0530"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if q, ok := quickTime(s); ok {
			if slow, err := parseTimeLayouts(s); err != nil || !slow.Equal(q) {
				t.Fatalf("%q: quickTime %v, time.Parse %v (%v)", s, q, slow, err)
			}
		}
	})
}
