package features

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestMixedNumberStyles: a CSV file that groups thousands with dots in
// one number cell ("1.234,50") and writes "2.500" in another (of any
// column), which alone reads as 2.5, stops the read at the second of them
// whichever comes first, naming both, and is no bad row to skip; with the
// number format the file writes, "2.500" is 2500. A file that groups with
// commas reads "2.500" as 2.5, as do files without grouped numbers; text
// columns do not count.
func TestMixedNumberStyles(t *testing.T) {
	events := func(values ...string) string {
		var sb strings.Builder
		sb.WriteString("entity_id,ts,type,value,score\n")
		for i, v := range values {
			sb.WriteString("a,2024-01-0" + string(rune('1'+i)) + ",order," + v + ",1.500\n")
		}
		return writeFile(t, "events.csv", sb.String())
	}
	for _, c := range []struct {
		values []string
		want   string // the error, "" for none
	}{
		{[]string{`"1.234,50"`, "7", "2.500"}, `events.csv:4:20: field "value": "2.500" reads as 2.5, but line 2's "1.234,50" is written 1.234,5 (dots group thousands), where it is 2500`},
		{[]string{"2.500", `"12,5"`}, `events.csv:3:20: field "value": "12,5" is written 1.234,5 (dots group thousands), where line 2's "2.500", read as 2.5, is 2500`},
		{[]string{"2.500", "1.234.567"}, `events.csv:3:20: field "value": "1.234.567" is written 1.234,5`},
		{[]string{`"1,234.50"`, "2.500", "0.5"}, ""},
		{[]string{"2.500", "3.125"}, ""},
	} {
		path := events(c.values...)
		got, err := readAllEvents(t, Source{Path: path}, &BadRows{Max: 10})
		if c.want == "" {
			if err != nil || len(got) != len(c.values) || got[len(got)-2].Value != 2.5 {
				t.Errorf("%q: %+v, %v", c.values, got, err)
			}
			continue
		}
		if !errors.Is(err, ErrMixedNumbers) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), `--number-format "1.234,5"`) {
			t.Errorf("%q: %v\nwant %s", c.values, err, c.want)
		}
		got, err = readAllEvents(t, Source{Path: path, CSV: CSVOptions{NumberFormat: NumberDot}}, nil)
		if err != nil || !slices.ContainsFunc(got, func(e Event) bool { return e.Value == 2500 }) {
			t.Errorf("%q as 1.234,5: %+v, %v", c.values, got, err)
		}
	}
	// A file is written in one locale: a unit price "2,55" makes the
	// quantity "1.000" a thousand, not one.
	lines := writeFile(t, "lines.csv", "Customer,Date,Price,Quantity\nc1,2024-01-02,\"2,55\",1.000\n")
	er, err := OpenOrders(context.Background(), Source{Path: lines, Columns: map[string]string{"entity_id": "Customer", "ts": "Date", "amount": "Price"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = er.Read(make([]Event, 2))
	er.Close()
	if !errors.Is(err, ErrMixedNumbers) || !strings.Contains(err.Error(), `lines.csv:2:22: field "Quantity": "1.000" reads as 1, but line 2's "2,55" in "Price" is written 1.234,5 (dots group thousands), where it is 1000`) {
		t.Errorf("order lines: %v", err)
	}
	// The deals file's amounts, read by another reader, alike.
	deals := writeFile(t, "deals.csv", "entity_id,ts,won,amount\na,2024-01-02,1,\"1.200,00\"\nb,2024-01-03,0,1.500\n")
	if _, err := ReadOutcomes(context.Background(), Source{Path: deals}, &BadRows{Max: 10}); !errors.Is(err, ErrMixedNumbers) ||
		!strings.Contains(err.Error(), `deals.csv:3:16: field "amount": "1.500" reads as 1.5, but line 2's "1.200,00"`) {
		t.Errorf("deals: %v", err)
	}
	o, err := ReadOutcomes(context.Background(), Source{Path: deals, CSV: CSVOptions{NumberFormat: NumberDot}}, nil)
	if err != nil || o.Amount[1] != 1500 {
		t.Errorf("deals as 1.234,5: %+v, %v", o, err)
	}
}
