package train

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"leadscore/features"
)

// TestSplitLeavesOutValidatingGroups: deals open over several monthly
// dates, split out of time; no deal has rows on both sides, the training
// rows lost are counted in the description, and given validation rows
// keep every other row for training.
func TestSplitLeavesOutValidatingGroups(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	ts := features.Column{Name: "ts", Kind: features.KindTime}
	deal := features.Column{Name: "deal_row", Kind: features.KindFloat}
	var y []bool
	for k := range 600 {
		start, months, won := r.IntN(12), 1+r.IntN(5), r.Float64() < 0.4
		for m := start; m < min(start+months, 12); m++ {
			ts.Time = append(ts.Time, time.Date(2024, time.Month(1+m), 1, 0, 0, 0, 0, time.UTC))
			deal.Float = append(deal.Float, float64(k+1))
			y = append(y, won)
		}
	}
	tb := &features.Table{Columns: []features.Column{ts, deal}}
	sp, err := splitRows(tb, y, &Config{TimeColumn: "ts", Group: "deal_row"})
	if err != nil {
		t.Fatal(err)
	}
	validating := map[float64]bool{}
	for _, i := range sp.valid {
		validating[deal.Float[i]] = true
	}
	for _, i := range sp.train {
		if validating[deal.Float[i]] {
			t.Fatalf("deal %v trains and validates", deal.Float[i])
		}
	}
	whole, err := splitRows(tb, y, &Config{TimeColumn: "ts"})
	if err != nil {
		t.Fatal(err)
	}
	left := len(whole.train) - len(sp.train)
	if left == 0 || len(sp.valid) != len(whole.valid) || !strings.Contains(sp.describe, strconv.Itoa(left)+" training rows left out, of deal_row values that validate") {
		t.Errorf("%d rows left out, described %q", left, sp.describe)
	}
	given, err := splitRows(tb, y, &Config{Group: "deal_row", ValidRows: sp.valid})
	if err != nil {
		t.Fatal(err)
	}
	if len(given.train)+len(given.valid) != len(y) {
		t.Errorf("with validation rows given: %d + %d rows of %d", len(given.train), len(given.valid), len(y))
	}
}
