package train

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"leadscore/features"
)

// leakyTable is a CRM export of n closed deals: a real but weak signal
// (pages viewed), an id-like text column of pairs of rows, and three
// fields only the outcome fills in: the deal's value (0 when lost), the
// days until payment (missing unless won) and the reason for losing
// (missing unless lost).
func leakyTable(n int, seed uint64) *features.Table {
	r := rand.New(rand.NewPCG(seed, 1))
	id, won := features.Column{Name: "deal_id", Kind: features.KindString}, features.Column{Name: "won", Kind: features.KindString}
	pages := features.Column{Name: "pages", Kind: features.KindFloat}
	pair := features.Column{Name: "campaign", Kind: features.KindString}
	value := features.Column{Name: "close_value", Kind: features.KindFloat}
	paid := features.Column{Name: "days_to_payment", Kind: features.KindFloat}
	reason := features.Column{Name: "loss_reason", Kind: features.KindString}
	for i := range n {
		y := r.Float64() < 0.3
		id.Str = append(id.Str, "D"+strconv.Itoa(i))
		won.Str = append(won.Str, strconv.FormatBool(y))
		p := r.NormFloat64()
		if y {
			p += 0.8
		}
		pages.Float = append(pages.Float, math.Round(10+3*p))
		pair.Str = append(pair.Str, "c"+strconv.Itoa(i/2))
		switch {
		case y:
			value.Float = append(value.Float, math.Round(1000+5000*r.Float64()))
			paid.Float = append(paid.Float, float64(r.IntN(60)))
			reason.Str = append(reason.Str, "")
		default:
			value.Float = append(value.Float, 0)
			paid.Float = append(paid.Float, math.NaN())
			reason.Str = append(reason.Str, []string{"price", "timing", "competitor"}[r.IntN(3)])
		}
	}
	return &features.Table{Columns: []features.Column{id, won, pages, pair, value, paid, reason}}
}

// TestFindLeaks: the three fields the outcome fills in are found (by
// value, by being missing, by a category's share); the weak signal and the
// column of pairs (a category that decides every pair in sample, and
// nothing out of it) are not.
func TestFindLeaks(t *testing.T) {
	tb := leakyTable(3000, 1)
	y, err := Labels(tb, "won")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Label: "won", ID: "deal_id"}
	var got []string
	for _, l := range findLeaks(tb, y, cfg) {
		got = append(got, l.Column)
		if l.AUC < 0.999 {
			t.Errorf("%s: AUC %.4f, want 1", l.Column, l.AUC)
		}
	}
	if want := []string{"close_value", "days_to_payment", "loss_reason"}; !slices.Equal(got, want) {
		t.Errorf("leaks %v, want %v", got, want)
	}
	for _, name := range []string{"pages", "campaign"} {
		c := tb.Column(name)
		rows := allRows(len(y))
		var a float64
		if c.Kind == features.KindFloat {
			a = numberAUC(c, y, rows)
		} else {
			a = categoryAUC(c, y, rows)
		}
		if a >= leakAUC || a < 0.5 {
			t.Errorf("%s: AUC %.4f, want in [0.5, %g)", name, a, leakAUC)
		}
	}
}

// TestNumberAUCMatchesAUC: the rank AUC with ties and missing values
// equals the ROC AUC of the same scores with missing values made the
// lowest (and the highest) score.
func TestNumberAUCMatchesAUC(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	c := &features.Column{Name: "x", Kind: features.KindFloat}
	var y []bool
	for range 2000 {
		v := float64(r.IntN(7)) // many ties
		pos := r.Float64() < 0.2+0.1*v
		if r.Float64() < 0.15 {
			v = math.NaN()
			pos = r.Float64() < 0.9 // missing values are telling
		}
		c.Float, y = append(c.Float, v), append(y, pos)
	}
	oriented := func(a float64) float64 { return max(a, 1-a) }
	fill := func(with float64) []float64 {
		s := slices.Clone(c.Float)
		for i, v := range s {
			if math.IsNaN(v) {
				s[i] = with
			}
		}
		return s
	}
	want := max(oriented(AUC(fill(-1), y)), oriented(AUC(fill(99), y)))
	if got := numberAUC(c, y, allRows(len(y))); math.Abs(got-want) > 1e-12 {
		t.Errorf("numberAUC %.15f, ROC AUC %.15f", got, want)
	}
}

// TestTrainRefusesLeaks: Train stops at the leaks with a *LeakError that
// names them and the flags that settle it; dropping or allowing them
// trains, and an allowed leak stays a feature, recorded in the model and
// its report.
func TestTrainRefusesLeaks(t *testing.T) {
	ctx := context.Background()
	cfg := Config{Label: "won", ID: "deal_id", Seed: 1}
	_, err := Train(ctx, leakyTable(3000, 2), cfg)
	var le *LeakError
	if !errors.As(err, &le) {
		t.Fatalf("err %v, want a *LeakError", err)
	}
	for _, want := range []string{"close_value (AUC 1.000), days_to_payment (AUC 1.000), loss_reason (AUC 1.000)",
		"--drop close_value,days_to_payment,loss_reason", "--allow-leak close_value,days_to_payment,loss_reason"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}

	cfg.Drop = []string{"close_value", "days_to_payment"}
	cfg.AllowLeaks = []string{"loss_reason"}
	var report bytes.Buffer
	cfg.Report = &report
	m, err := Train(ctx, leakyTable(3000, 2), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"loss_reason (AUC 1.000)"}; !slices.Equal(m.Training.AllowedLeaks, want) ||
		!strings.Contains(report.String(), "(--allow-leak): loss_reason (AUC 1.000)") {
		t.Errorf("allowed leaks recorded %v, want %v, also in the report", m.Training.AllowedLeaks, want)
	}
	var names []string
	for _, f := range m.Features {
		names = append(names, f.Name)
	}
	if !slices.Contains(names, "loss_reason") || slices.Contains(names, "close_value") {
		t.Errorf("features %v: want loss_reason (allowed) and not close_value (dropped)", names)
	}
}

// TestRolesNameLeaks: inspect's roles mark a leak, or say it is allowed,
// once the label's values can be read.
func TestRolesNameLeaks(t *testing.T) {
	tb := leakyTable(1000, 3)
	roles := func(cfg Config) map[string]ColumnRole {
		out := map[string]ColumnRole{}
		for _, r := range Roles(tb, cfg) {
			out[r.Column] = r
		}
		return out
	}
	r := roles(Config{Label: "won", ID: "deal_id", AllowLeaks: []string{"loss_reason"}})
	if r["close_value"].Role != "suspected leak" || !strings.Contains(r["close_value"].Why, "AUC 1.000") {
		t.Errorf("close_value: %+v", r["close_value"])
	}
	if r["loss_reason"].Role != "feature" || !strings.Contains(r["loss_reason"].Why, "--allow-leak") {
		t.Errorf("loss_reason: %+v", r["loss_reason"])
	}
	if p := r["pages"]; p.Role != "feature" || !(p.AUCAlone > 0.5 && p.AUCAlone < leakAUC) || r["close_value"].AUCAlone < 0.999 {
		t.Errorf("pages: %+v; close_value alone %v", p, r["close_value"].AUCAlone)
	}
	if r := roles(Config{ID: "deal_id"}); r["close_value"].Role != "feature" || r["close_value"].AUCAlone != 0 {
		t.Errorf("without a label: close_value %+v", r["close_value"])
	}
}

// TestLaterDates: a date column of a flat export that falls after the
// row's time on most rows (a close date) is named in its role with the
// flag that leaves it out, and --drop of the date drops its age column.
func TestLaterDates(t *testing.T) {
	tb := leakyTable(400, 4)
	created := features.Column{Name: "created", Kind: features.KindTime}
	closed := features.Column{Name: "closed", Kind: features.KindTime}
	contact := features.Column{Name: "contacted", Kind: features.KindTime}
	for i := range 400 {
		d := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i)
		created.Time = append(created.Time, d)
		closed.Time = append(closed.Time, d.AddDate(0, 0, 10+i%40))
		contact.Time = append(contact.Time, d.AddDate(0, 0, -1-i%7))
	}
	tb.Columns = append(tb.Columns, created, closed, contact)
	if added := features.AddDateAges(tb, "created"); len(added) != 2 {
		t.Fatalf("added %v", added)
	}
	roles := func(drop ...string) map[string]ColumnRole {
		out := map[string]ColumnRole{}
		for _, r := range Roles(tb, Config{ID: "deal_id", TimeColumn: "created", Drop: drop}) {
			out[r.Column] = r
		}
		return out
	}
	r := roles()
	if why := r["closed_days_before_created"].Why; !strings.Contains(why, "after created on 100% of rows") || !strings.Contains(why, "--drop closed") {
		t.Errorf("closed: %q", why)
	}
	if why := r["contacted_days_before_created"].Why; why != "numeric" {
		t.Errorf("contacted, before the row's time: %q", why)
	}
	if r := roles("closed")["closed_days_before_created"]; r.Role != "not a feature" {
		t.Errorf("--drop closed: its age column %+v", r)
	}
	m, err := Train(context.Background(), tb, Config{Label: "won", ID: "deal_id", TimeColumn: "created",
		Drop: []string{"close_value", "days_to_payment", "loss_reason", "closed"}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range m.Features {
		if strings.HasPrefix(f.Name, "closed") {
			t.Errorf("--drop closed trained on %s", f.Name)
		}
	}
}

// TestSerialDatesHint: a numeric column named as a date whose values are
// days from 1970 to 2100 is said to be Excel serial dates, with the flag
// that reads them; a count with such values and another name is not.
func TestSerialDatesHint(t *testing.T) {
	tb := &features.Table{Columns: []features.Column{
		{Name: "Created Date", Kind: features.KindFloat, Float: []float64{45292, 45300.5, math.NaN()}},
		{Name: "visits", Kind: features.KindFloat, Float: []float64{45292, 45300, 45310}},
		{Name: "closed_at", Kind: features.KindFloat, Float: []float64{3, 4, 5}},
	}}
	for _, r := range Roles(tb, Config{}) {
		hint := strings.Contains(r.Why, `--time-format "`+r.Column+`=excel"`)
		if hint != (r.Column == "Created Date") {
			t.Errorf("%s: %q", r.Column, r.Why)
		}
	}
}

// TestCategoryAUCWithoutSignal: a category column whose values tell no
// rows apart (empty, one value, a name on every row) is 0.5 alone, not
// the difference between the halves' shares of positives; a column that
// does tell them apart is still measured.
func TestCategoryAUCWithoutSignal(t *testing.T) {
	tb := leakyTable(3000, 1)
	y, err := Labels(tb, "won")
	if err != nil {
		t.Fatal(err)
	}
	n := len(y)
	empty := features.Column{Name: "empty", Kind: features.KindString, Str: make([]string, n)}
	same := features.Column{Name: "newsletter", Kind: features.KindString}
	names := features.Column{Name: "email", Kind: features.KindString}
	for i := range n {
		same.Str = append(same.Str, "No")
		names.Str = append(names.Str, "lead"+strconv.Itoa(i)+"@example.com")
	}
	rows := allRows(n)
	for _, c := range []*features.Column{&empty, &same, &names} {
		if a := categoryAUC(c, y, rows); a != 0.5 {
			t.Errorf("%s: AUC alone %.4f, want 0.5", c.Name, a)
		}
	}
	if a := categoryAUC(tb.Column("loss_reason"), y, rows); a < 0.999 {
		t.Errorf("loss_reason: AUC alone %.4f, want 1", a)
	}
}
