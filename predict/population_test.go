package predict

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"leadscore/features"
)

// TestPopulation: a conversion model scores contacts on a date, an
// opportunity model open deals; any other table is refused, saying why.
func TestPopulation(t *testing.T) {
	conv := tinyModel(t)
	conv.Target = &features.Target{Kind: features.TargetConversion, HorizonDays: 90}
	opp := tinyModel(t)
	opp.Target = &features.Target{Kind: features.TargetOpportunity}
	noCustomers := tinyModel(t)
	noCustomers.Target = &features.Target{Kind: features.TargetConversion, HorizonDays: 90, ExcludeCustomers: true}
	asOf := func() *features.Table {
		tb := table([]string{"a", "b"}, []float64{1, 2}, nil)
		tb.Meta[features.MetaAsOf] = "2025-01-01T00:00:00Z"
		return tb
	}
	deals := func() *features.Table {
		tb := table([]string{"a", "b"}, []float64{1, 2}, nil)
		tb.Meta[features.MetaCutoffs] = "deals.csv"
		tb.Meta[features.MetaTarget] = `{"kind":"opportunity"}`
		return tb
	}
	for _, tt := range []struct {
		name string
		m    *Model
		t    *features.Table
		ok   bool
	}{
		{"conversion model, contacts on a date", conv, asOf(), true},
		{"conversion model, deal openings", conv, deals(), false},
		{"opportunity model, open deals", opp, deals(), true},
		{"opportunity model, every contact", opp, asOf(), false},
		{"model without customers, every contact", noCustomers, asOf(), false},
	} {
		_, _, err := Score(context.Background(), tt.m, tt.t, Config{})
		var pe *PopulationError
		if tt.ok != (err == nil) || !tt.ok && !errors.As(err, &pe) {
			t.Errorf("%s: error %v", tt.name, err)
		}
	}
}

// TestFreshness: a newest event long before the as-of date warns past
// stale_after_days and fails past stale_limit_days.
func TestFreshness(t *testing.T) {
	m := tinyModel(t)
	tb := table([]string{"a"}, []float64{1}, nil)
	tb.Meta[features.MetaAsOf] = "2025-01-01T00:00:00Z"
	tb.Meta[features.MetaNewestEvent] = "2024-12-01T00:00:00Z"
	_, sum, err := Score(context.Background(), m, tb, Config{})
	if err != nil || sum.StaleDays != 31 {
		t.Errorf("stale days %v (%v), want 31", sum.StaleDays, err)
	}
	if _, sum, _ := Score(context.Background(), m, tb, Config{StaleAfterDays: 40}); sum.StaleDays != 0 {
		t.Errorf("stale within 40 days: %v", sum.StaleDays)
	}
	_, _, err = Score(context.Background(), m, tb, Config{StaleLimitDays: 30})
	var se *StaleError
	if !errors.As(err, &se) || !se.Newest.Equal(time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("error %v, want a *StaleError", err)
	}
	// A table built from an events file without a row (newest event "")
	// is older than any limit; one written before the key is not checked.
	tb.Meta[features.MetaNewestEvent] = ""
	if _, sum, err := Score(context.Background(), m, tb, Config{StaleAfterDays: 40}); err != nil || !sum.NoEvents {
		t.Errorf("no events: %+v, %v", sum, err)
	}
	_, _, err = Score(context.Background(), m, tb, Config{StaleLimitDays: 30})
	if !errors.As(err, &se) || err.Error() != "no event falls before the as-of date 2025-01-01 (stale_limit_days 30): is the events feed still running?" {
		t.Errorf("no events, stale_limit_days 30: %v", err)
	}
	delete(tb.Meta, features.MetaNewestEvent)
	if _, sum, err := Score(context.Background(), m, tb, Config{StaleLimitDays: 30}); err != nil || sum.NoEvents || sum.StaleDays != 0 {
		t.Errorf("no key: %+v, %v", sum, err)
	}
}

// TestAgeDrift: inputs that age with the calendar (tenure, days since)
// warn only past drift_psi_age; the same shift in a count warns at
// drift_psi.
func TestAgeDrift(t *testing.T) {
	n := 2000
	train, now := make([]float64, n), make([]float64, n)
	for i := range n {
		train[i] = float64(i % 100)
		now[i] = float64(i%100) + 12 // everyone 12 days older
	}
	col := &features.Column{Kind: features.KindFloat, Float: train}
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	for _, tt := range []struct {
		agg   features.Agg
		drift bool
	}{{features.AggTenure, false}, {features.AggCount, true}} {
		m := tinyModel(t)
		m.Features[0].Desc = &features.Descriptor{Agg: tt.agg, Type: "page_view", WindowDays: 30, Noun: "page view", Phrase: "viewed pages"}
		m.Features[0].Distribution = DistributionOf(&m.Features[0], col, rows)
		ids := make([]string, n)
		for i := range ids {
			ids[i] = string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676))
		}
		_, sum, err := Score(context.Background(), m, table(ids, now, nil), Config{})
		if err != nil {
			t.Fatal(err)
		}
		if psi := sum.Drift[0].PSI; !(psi > 0.2 && psi < 1) {
			t.Fatalf("PSI %v: the test wants a shift between 0.2 and 1", psi)
		}
		if got := len(sum.Drifted) > 0; got != tt.drift {
			t.Errorf("%s shifted: drifted %v, want %v", tt.agg, got, tt.drift)
		}
	}
}

// TestIsAge: a date's age before the model's time column ages with the
// calendar, as tenure does; a column named so without that time column,
// and a count, do not.
func TestIsAge(t *testing.T) {
	for _, tt := range []struct {
		f       Feature
		timeCol string
		want    bool
	}{
		{Feature{Name: "Create Date_days_before_ts"}, "ts", true},
		{Feature{Name: "Create Date_days_before_ts"}, "", false},
		{Feature{Name: "Create Date_days_before_ts"}, "Created", false},
		{Feature{Name: "tenure_days", Desc: &features.Descriptor{Agg: features.AggTenure}}, "", true},
		{Feature{Name: "rfq_count_30d", Desc: &features.Descriptor{Agg: features.AggCount}}, "ts", false},
	} {
		if got := isAge(&tt.f, tt.timeCol); got != tt.want {
			t.Errorf("%s with time column %q: %v, want %v", tt.f.Name, tt.timeCol, got, tt.want)
		}
	}
}

// TestSampledNegatives: a model trained on a quarter of the negatives
// has odds four times too high; its probabilities are corrected.
func TestSampledNegatives(t *testing.T) {
	m := tinyModel(t)
	m.Target = &features.Target{Kind: features.TargetConversion, HorizonDays: 90, SampleNegatives: 0.25}
	p := Sigmoid(1.0)
	want := 1 / (1 + (1-p)/p*4)
	if got := m.Probability(1.0); math.Abs(got-want) > 1e-12 {
		t.Errorf("probability %v, want %v (odds / 4)", got, want)
	}
}

// TestAllowWeakModel: a model no better than chance, without rule points
// to fall back on, fails with a way forward; allowed, it scores and says
// so in the summary and on every row of the CSV.
func TestAllowWeakModel(t *testing.T) {
	m := tinyModel(t)
	m.NoBetterThanChance, m.Metrics.AUC, m.Metrics.AUCLow, m.Metrics.AUCHigh = true, 0.55, 0.45, 0.65
	tb := table([]string{"a", "b"}, []float64{1, 2}, nil)
	if _, _, err := Score(context.Background(), m, tb, Config{}); err == nil || !strings.Contains(err.Error(), "--allow-weak-model") {
		t.Errorf("error %v, want the way forward", err)
	}
	ranked, sum, err := Score(context.Background(), m, tb, Config{AllowWeakModel: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sum.Verdict, "no better than chance") || ranked[0].EntityID != "b" || sum.ModelWeight != 1 {
		t.Errorf("summary %+v", sum)
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, ranked, sum); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\r\n")
	if !strings.HasSuffix(lines[0], ",model_verdict") || !strings.Contains(lines[2], "no better than chance") {
		t.Errorf("CSV %q", buf.String())
	}
}
