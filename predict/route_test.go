package predict

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"leadscore/features"
)

// leads is a table of n leads with a score input x (falling with i), a
// count of unsubscribes and a company size.
func leads(n int, seed uint64) *features.Table {
	r := rand.New(rand.NewPCG(seed, 1))
	ids, x, unsub, emp := make([]string, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range n {
		ids[i], x[i] = fmt.Sprintf("L%04d", i), 3-6*float64(i)/float64(n)+0.3*r.NormFloat64()
		if i%10 == 3 {
			unsub[i] = 1
		}
		emp[i] = float64([]int{10, 60, 300, 1200}[i%4])
	}
	tb := table(ids, x, nil)
	tb.Columns = append(tb.Columns, features.Column{Name: "unsubscribe_count_365d", Kind: features.KindFloat, Float: unsub},
		features.Column{Name: "employees", Kind: features.KindFloat, Float: emp})
	return tb
}

func routingConfig(t *testing.T, yml string) Config {
	t.Helper()
	cfg, err := ParseConfig(strings.NewReader(yml), "predict.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

const routingYAML = `
suppress:
  - [{field: unsubscribe_count_365d, op: ">", value: 0}]
queues:
  - {name: enterprise, grades: [A, B], when: [{field: employees, op: ">=", value: 250}]}
grades:
  - {name: A, capacity: 40, queue: top-sellers}
  - {name: B, capacity: 120, queue: consultants}
  - {name: C, queue: nurture}
reps:
  top-sellers: [{name: Ann, weight: 2, max_leads: 15}, {name: Ben, max_leads: 10}]
  enterprise: [{name: Eve, max_leads: 30}, {name: Fay, weight: 3, max_leads: 25}]
  consultants: [{name: Cy}, {name: Dee}]
`

// TestRouting: suppressed leads are never listed (and are counted), queue
// rules take their grades' leads first, caps are never exceeded and the
// overflow stays unowned and counted.
func TestRouting(t *testing.T) {
	cfg := routingConfig(t, routingYAML)
	tb := leads(400, 1)
	ranked, sum, err := Score(context.Background(), tinyModel(t), tb, cfg)
	if err != nil {
		t.Fatal(err)
	}
	held := map[string]int{}
	for _, r := range ranked {
		if tb.Column("unsubscribe_count_365d").Float[idx(r.EntityID)] > 0 {
			t.Fatalf("suppressed lead %s listed", r.EntityID)
		}
		if tb.Column("employees").Float[idx(r.EntityID)] >= 250 && (r.Grade == "A" || r.Grade == "B") && r.Queue != "enterprise" {
			t.Errorf("%s (%s) in %s, want enterprise", r.EntityID, r.Grade, r.Queue)
		}
		if r.Owner != "" {
			held[r.Owner]++
		}
	}
	if len(ranked) != 360 || sum.Suppressed["unsubscribe_count_365d > 0"] != 40 {
		t.Errorf("%d leads listed, suppressed %v", len(ranked), sum.Suppressed)
	}
	caps := map[string]int{"Ann": 15, "Ben": 10, "Eve": 30, "Fay": 25}
	for rep, c := range caps {
		if held[rep] > c {
			t.Errorf("%s holds %d leads, cap %d", rep, held[rep], c)
		}
	}
	// Enterprise gets more A and B leads than Eve and Fay can hold.
	if sum.Unassigned["enterprise"] == 0 || held["Eve"] != 30 || held["Fay"] != 25 || held["Ann"] == 0 || held["Ann"] < held["Ben"] {
		t.Errorf("Eve %d, Fay %d, Ann %d, Ben %d, unassigned %v", held["Eve"], held["Fay"], held["Ann"], held["Ben"], sum.Unassigned)
	}
	cfg.IncludeSuppressed = true
	all, _, err := Score(context.Background(), tinyModel(t), tb, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 400 || all[399].Grade != SuppressedGrade || all[399].Owner != "" {
		t.Errorf("with suppressed: %d leads, last %+v", len(all), all[399])
	}
	if _, err := ParseConfig(strings.NewReader("reps:\n  q: [{name: A, capacity: 2}]\n"), "predict.yaml"); err == nil {
		t.Error("reps with capacity accepted: reps have weight and max_leads")
	}
}

func idx(id string) int {
	var i int
	fmt.Sscanf(id, "L%04d", &i)
	return i
}

// TestStableOwners: over a week of daily runs whose scores move a little,
// at least 90% of the leads that stay in a queue keep their owner, and
// the list says what changed.
func TestStableOwners(t *testing.T) {
	cfg := routingConfig(t, routingYAML)
	var prev []Ranked
	stayed, kept := 0, 0
	for day := range 7 {
		cfg.Previous = prev
		ranked, sum, err := Score(context.Background(), tinyModel(t), leads(400, uint64(day+1)), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if day > 0 {
			before := map[string]Ranked{}
			for _, r := range prev {
				before[r.EntityID] = r
			}
			for _, r := range ranked {
				p, ok := before[r.EntityID]
				if ok && p.Queue == r.Queue && p.Owner != "" && r.Owner != "" {
					stayed++
					if p.Owner == r.Owner {
						kept++
					}
				}
				if ok && (r.PreviousScore == nil || *r.PreviousScore != p.Score || *r.ScoreChange != r.Score-p.Score) {
					t.Fatalf("%s: previous score %v, was %d", r.EntityID, r.PreviousScore, p.Score)
				}
			}
			if !sum.Changes {
				t.Error("summary does not say the list was compared")
			}
		}
		prev = ranked
	}
	if stayed == 0 || float64(kept) < 0.9*float64(stayed) {
		t.Errorf("%d of %d leads that stayed in a queue kept their owner, want 90%%", kept, stayed)
	}
}

// TestChangeWords: new, newly A, left A, up, down, and the awards that
// lapsed on a large drop.
func TestChangeWords(t *testing.T) {
	prev := []Ranked{
		{EntityID: "a", Score: 50, Grade: "B"},
		{EntityID: "b", Score: 80, Grade: "A", RuleAwards: "requested a quotation on 2024-11-03: +15 until 2025-02-03; is a decision maker: +15"},
		{EntityID: "c", Score: 30, Grade: "C"},
		{EntityID: "d", Score: 30, Grade: "C"},
	}
	out := []Ranked{
		{EntityID: "a", Score: 80, Grade: "A"},
		{EntityID: "b", Score: 50, Grade: "B", RuleAwards: "is a decision maker: +15"},
		{EntityID: "c", Score: 36, Grade: "C"},
		{EntityID: "d", Score: 31, Grade: "C"},
		{EntityID: "e", Score: 10, Grade: "D"},
	}
	markChanges(out, prev)
	want := []string{"newly A", "left A; lapsed: requested a quotation on 2024-11-03: +15 until 2025-02-03", "up", "", "new"}
	for i, w := range want {
		if out[i].Change != w {
			t.Errorf("%s: change %q, want %q", out[i].EntityID, out[i].Change, w)
		}
	}
}

// TestDealChanges: in a list of open deals each deal is compared with its
// own previous row and keeps its own owner; a previous list that does not
// name deals is matched by account.
func TestDealChanges(t *testing.T) {
	deal := func(id string, score int32, owner string) Ranked {
		return Ranked{EntityID: "acme", DealID: &id, Score: score, Grade: "B", Queue: "deals", Owner: owner}
	}
	prev := []Ranked{deal("D1", 40, "Ann"), deal("D2", 70, "Bo")}
	out := []Ranked{deal("D2", 71, ""), deal("D1", 60, ""), deal("D3", 50, "")}
	markChanges(out, prev)
	owners := map[string]string{}
	for i := range prev {
		owners[prev[i].key()] = prev[i].Owner
	}
	assignOwners(out, map[string][]Rep{"deals": {{Name: "Ann", Weight: 1}, {Name: "Bo", Weight: 1}, {Name: "Cy", Weight: 1}}}, owners)
	for i, want := range []struct{ change, owner string }{{"", "Bo"}, {"up", "Ann"}, {"new", out[2].Owner}} {
		if out[i].Change != want.change || out[i].Owner != want.owner || out[i].Owner == "" {
			t.Errorf("%s: change %q, owner %q; want %q, %q", *out[i].DealID, out[i].Change, out[i].Owner, want.change, want.owner)
		}
	}
	old := []Ranked{{EntityID: "acme", Score: 70, Grade: "B", Owner: "Bo"}}
	out = []Ranked{deal("D1", 71, "")}
	markChanges(out, old)
	if out[0].PreviousScore == nil || *out[0].PreviousScore != 70 {
		t.Errorf("a deal against a list that named none: previous score %v, want the account's 70", out[0].PreviousScore)
	}
}

// TestConditionFieldMissing: a misspelt field in suppress:, or a
// channel_column the table lacks, is an error, not a rule that never
// matches or a channel report never written.
func TestConditionFieldMissing(t *testing.T) {
	for give, want := range map[string]string{
		"suppress:\n  - [{field: unsubscribed_count, op: \">\", value: 0}]\n": "unsubscribed_count (tested by suppress: or queues:)",
		"channel_column: first_chanel\n":                                      "first_chanel (channel_column)",
	} {
		cfg := routingConfig(t, give)
		_, _, err := Score(context.Background(), tinyModel(t), leads(20, 1), cfg)
		if se, ok := err.(*SchemaError); !ok || !strings.Contains(se.Error(), want) {
			t.Errorf("%s: error %v, want a *SchemaError naming %s", give, err, want)
		}
	}
}

// TestMovedInputs: a lead whose score fell by 15 points or more names the
// input that pulled it down, with its value then and now.
func TestMovedInputs(t *testing.T) {
	m := tinyModel(t)
	prevTable := table([]string{"a", "b"}, []float64{3, 1}, nil)
	prev, _, err := Score(context.Background(), m, prevTable, Config{})
	if err != nil {
		t.Fatal(err)
	}
	ranked, _, err := Score(context.Background(), m, table([]string{"a", "b"}, []float64{-1, 1}, nil), Config{Previous: prev, PreviousTable: prevTable})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range ranked {
		switch r.EntityID {
		case "a":
			if !strings.Contains(r.Change, "moved: x = -1 (was x = 3)") {
				t.Errorf("a: change %q", r.Change)
			}
		case "b":
			if r.Change != "" {
				t.Errorf("b: change %q, want none", r.Change)
			}
		}
	}
}

// TestOlderDeals: an open deal listed after being open more than twice as
// long as 99% of the deals the model learned from is counted (its score
// extrapolates); TypicalDealAge measures that age on a training table.
func TestOlderDeals(t *testing.T) {
	day := time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)
	n := 200
	ids, x := make([]string, n), make([]float64, n)
	ts, opened := make([]time.Time, n), make([]time.Time, n)
	for i := range n {
		ids[i], x[i], ts[i] = strconv.Itoa(i), float64(i%3), day
		opened[i] = day.AddDate(0, 0, -(1 + i%100)) // open 1 to 100 days
	}
	opened[0] = day.AddDate(0, 0, -250) // the one deal beyond twice the 99th percentile (100 days)
	opened[1] = day.AddDate(0, 0, -190)
	tb := table(ids, x, nil)
	tb.Columns = append(tb.Columns, features.Column{Name: "ts", Kind: features.KindTime, Time: ts},
		features.Column{Name: "deal_opened", Kind: features.KindTime, Time: opened})
	if got := TypicalDealAge(tb); got != 100 {
		t.Errorf("TypicalDealAge = %v, want 100", got)
	}
	m := tinyModel(t)
	m.Training.DealAgeDays = 100
	_, sum, err := Score(context.Background(), m, tb, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.OlderDeals != 1 || sum.OlderDealsDays != 200 {
		t.Errorf("%d deals older than %v days, want the one of 250 days over 200", sum.OlderDeals, sum.OlderDealsDays)
	}
	m.Training.DealAgeDays = 0 // a model of contacts
	if _, sum, _ := Score(context.Background(), m, tb, Config{}); sum.OlderDeals != 0 {
		t.Errorf("a model without deal ages counted %d", sum.OlderDeals)
	}
}

// TestKeepMissingColumn: a column to keep that neither the table nor the
// entities file has is a *KeepError naming the columns of both.
func TestKeepMissingColumn(t *testing.T) {
	from := &features.Table{Columns: []features.Column{{Name: "entity_id", Kind: features.KindString, Str: []string{"a"}},
		{Name: "company", Kind: features.KindString, Str: []string{"Acme"}}}}
	_, _, err := Score(context.Background(), tinyModel(t), table([]string{"a"}, []float64{1}, nil), Config{Keep: []string{"compnay"}, KeepFrom: from})
	var ke *KeepError
	if !errors.As(err, &ke) || ke.Column != "compnay" || !strings.Contains(err.Error(), "have entity_id, x; in the entities file entity_id, company") {
		t.Errorf("error %v, want a *KeepError naming both files' columns", err)
	}
}

// TestKeepPrefersWritten: a column kept from the entities file as written
// wins over the scored table's value of it (a feature table joins the
// attribute as a number); the scored table's own written cells win over
// both, and without written cells anywhere the scored table's value is
// carried.
func TestKeepPrefersWritten(t *testing.T) {
	ids := []string{"a", "b"}
	from := &features.Table{Columns: []features.Column{{Name: "entity_id", Kind: features.KindString, Str: []string{"b", "a"}},
		{Name: "phone", Kind: features.KindFloat, Float: []float64{15550000002, 15550000001}, Written: []string{"+1 555 000 0002", "+1 555 000 0001"}},
		{Name: "seats", Kind: features.KindFloat, Float: []float64{2000, 1000}}}}
	tb := table(ids, []float64{1, 2}, nil)
	tb.Columns = append(tb.Columns,
		features.Column{Name: "phone", Kind: features.KindFloat, Float: []float64{15550000001, 15550000002}},
		features.Column{Name: "seats", Kind: features.KindFloat, Float: []float64{1000, 2000}},
		features.Column{Name: "amount", Kind: features.KindFloat, Float: []float64{1000.5, 12}, Written: []string{"1,000.50", "12.00"}})
	from.Columns = append(from.Columns, features.Column{Name: "amount", Kind: features.KindFloat, Float: []float64{1, 2}, Written: []string{"1.00", "2.00"}})
	ranked, _, err := Score(context.Background(), tinyModel(t), tb, Config{Keep: []string{"phone", "seats", "amount"}, KeepFrom: from})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"a": {"+1 555 000 0001", "1000", "1,000.50"}, "b": {"+1 555 000 0002", "2000", "12.00"}}
	for _, r := range ranked {
		if !slices.Equal(r.Kept, want[r.EntityID]) {
			t.Errorf("lead %s kept %q, want %q", r.EntityID, r.Kept, want[r.EntityID])
		}
	}
}
