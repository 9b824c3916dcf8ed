package train

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/stat"

	"leadscore/features"
	"leadscore/predict"
)

func TestAUCHandComputed(t *testing.T) {
	tests := []struct {
		name   string
		scores []float64
		labels []bool
		want   float64
	}{
		{"perfect", []float64{0.1, 0.2, 0.8, 0.9}, []bool{false, false, true, true}, 1},
		{"reversed", []float64{0.9, 0.8, 0.2, 0.1}, []bool{false, false, true, true}, 0},
		// Pairs (pos, neg): (0.4 vs 0.1) win, (0.4 vs 0.5) loss, (0.7 vs 0.1)
		// win, (0.7 vs 0.5) win → 3/4.
		{"three of four", []float64{0.1, 0.4, 0.5, 0.7}, []bool{false, true, false, true}, 0.75},
		// A tie between a positive and a negative counts one half:
		// (0.5 vs 0.5) ½, (0.5 vs 0.2) 1 → 1.5/2.
		{"tie", []float64{0.2, 0.5, 0.5}, []bool{false, false, true}, 0.75},
		{"all tied", []float64{0.3, 0.3, 0.3, 0.3}, []bool{false, true, false, true}, 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AUC(tt.scores, tt.labels); math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("AUC = %v, want %v", got, tt.want)
			}
		})
	}
	if got := AUC([]float64{1, 2}, []bool{true, true}); !math.IsNaN(got) {
		t.Errorf("AUC with one class = %v, want NaN", got)
	}
}

// TestFitLogisticRecovers fits simulated data with known coefficients and a
// weak penalty, and checks the estimates and the optimality condition.
func TestFitLogisticRecovers(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	n, p := 40000, 3
	beta := []float64{-0.5, 1.2, -0.8, 0.3}
	x := make([]float64, n*p)
	y := make([]bool, n)
	for i := range n {
		eta := beta[0]
		for j := range p {
			x[i*p+j] = r.NormFloat64()
			eta += beta[j+1] * x[i*p+j]
		}
		y[i] = r.Float64() < 1/(1+math.Exp(-eta))
	}
	lr, err := FitLogistic(context.Background(), x, y, p, LogisticConfig{C: 1e6})
	if err != nil {
		t.Fatal(err)
	}
	got := append([]float64{lr.Intercept}, lr.Coef...)
	for j := range beta {
		// Standard errors here are about 0.015; allow 4 of them.
		if math.Abs(got[j]-beta[j]) > 0.06 {
			t.Errorf("coefficient %d = %.4f, want %.4f ± 0.06", j, got[j], beta[j])
		}
	}
	// At the optimum the gradient Xᵀ(σ(η) − y) + w/C is zero.
	g := make([]float64, p+1)
	for i := range n {
		eta := lr.Intercept
		for j := range p {
			eta += lr.Coef[j] * x[i*p+j]
		}
		res := 1/(1+math.Exp(-eta)) - b2f(y[i])
		g[0] += res
		for j := range p {
			g[j+1] += res * x[i*p+j]
		}
	}
	for j := range g {
		if j > 0 {
			g[j] += lr.Coef[j-1] / 1e6
		}
		if math.Abs(g[j])/float64(n) > 1e-6 {
			t.Errorf("gradient[%d]/n = %g, want ~0", j, g[j]/float64(n))
		}
	}
	// Same data, different worker counts: identical coefficients.
	lr1, _ := FitLogistic(context.Background(), x, y, p, LogisticConfig{C: 1e6, Workers: 1})
	lr4, _ := FitLogistic(context.Background(), x, y, p, LogisticConfig{C: 1e6, Workers: 4})
	for j := range lr1.Coef {
		if lr1.Coef[j] != lr4.Coef[j] || lr1.Intercept != lr4.Intercept {
			t.Fatal("coefficients depend on the worker count")
		}
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func TestSplitOutOfTime(t *testing.T) {
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	times := []time.Time{base.AddDate(0, 0, 5), base, base.AddDate(0, 0, 9), base.AddDate(0, 0, 1), base.AddDate(0, 0, 7)}
	y := make([]bool, 5)
	tr, va := Split(y, times, 0.4, 1)
	if len(tr) != 3 || len(va) != 2 {
		t.Fatalf("split %v / %v", tr, va)
	}
	for _, i := range tr {
		for _, j := range va {
			if !times[i].Before(times[j]) {
				t.Errorf("training row %d (%v) is not before validation row %d (%v)", i, times[i], j, times[j])
			}
		}
	}
}

// TestSortByTime checks the keyed sorts against a stable sort by time, on
// times with many ties, in other zones and before 1970: with fractions of
// a second, in whole seconds (packed keys), and with the zero time among
// them; also on a subset of the rows.
func TestSortByTime(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	zones := []*time.Location{time.UTC, time.FixedZone("plus", 5*3600), time.FixedZone("minus", -8*3600)}
	for _, nsec := range []int64{500, 0} {
		times := make([]time.Time, 5000)
		for i := range times {
			times[i] = time.Unix(int64(r.IntN(200))*3600-50*3600, int64(r.IntN(3))*nsec).In(zones[r.IntN(3)])
		}
		times[17] = time.Time{}
		packed := sortBySecond(allRows(len(times)), times)
		if packed != (nsec == 0) {
			t.Errorf("nanoseconds %d: packed keys %v", nsec, packed)
		}
		for _, rows := range [][]int{allRows(len(times)), allRows(len(times))[1000:3500:3500]} {
			want, got := slices.Clone(rows), slices.Clone(rows)
			slices.SortStableFunc(want, func(a, b int) int { return times[a].Compare(times[b]) })
			sortByTime(got, times)
			if !slices.Equal(got, want) {
				t.Fatalf("nanoseconds %d, %d rows: keyed sort differs from the stable sort by time", nsec, len(rows))
			}
		}
	}
}

func TestTrainRefusesTooFew(t *testing.T) {
	n := 120
	tb := &features.Table{Columns: []features.Column{
		{Name: "x", Kind: features.KindFloat, Float: make([]float64, n)},
		{Name: "won", Kind: features.KindBool, Bool: make([]bool, n)},
	}}
	for i := range n {
		tb.Columns[0].Float[i] = float64(i)
		tb.Columns[1].Bool[i] = i%10 == 0 // 12 positives
	}
	_, err := Train(context.Background(), tb, Config{Label: "won"})
	var tf *TooFewError
	// 120 rows are small data (cross-validated), which needs 20 of each.
	if !errors.As(err, &tf) || tf.Min != smallMinClass {
		t.Fatalf("error = %v, want *TooFewError with min %d", err, smallMinClass)
	}
}

// TestTrainNoSignal trains on pure noise: the AUC interval must include 0.5
// and the model must say it is no better than chance.
func TestTrainNoSignal(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	n := 1500
	tb := &features.Table{Columns: []features.Column{
		{Name: "a", Kind: features.KindFloat, Float: make([]float64, n)},
		{Name: "b", Kind: features.KindString, Str: make([]string, n)},
		{Name: "won", Kind: features.KindBool, Bool: make([]bool, n)},
	}}
	for i := range n {
		tb.Columns[0].Float[i] = r.NormFloat64()
		tb.Columns[1].Str[i] = []string{"x", "y", "z"}[r.IntN(3)]
		tb.Columns[2].Bool[i] = r.IntN(2) == 0
	}
	var report bytes.Buffer
	m, err := Train(context.Background(), tb, Config{Label: "won", Seed: 1, Report: &report})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(report.String(), "Do not ship") {
		t.Error("the report of a no-signal model does not say not to ship it")
	}
	if !m.NoBetterThanChance || m.Metrics.AUCLow > 0.5 || m.Metrics.AUCHigh < 0.5 {
		t.Errorf("noise: AUC %.3f [%.3f, %.3f], no better than chance = %v", m.Metrics.AUC, m.Metrics.AUCLow, m.Metrics.AUCHigh, m.NoBetterThanChance)
	}
}

// TestCategoricalOverride: a numeric code whose effect is not monotone is
// learnt as categories when asked.
func TestCategoricalOverride(t *testing.T) {
	n := 1200
	tb := &features.Table{Columns: []features.Column{
		{Name: "region", Kind: features.KindFloat, Float: make([]float64, n)},
		{Name: "won", Kind: features.KindBool, Bool: make([]bool, n)},
	}}
	r := rand.New(rand.NewPCG(8, 8))
	for i := range n {
		code := float64(10 + 10*(i%3)) // 10, 20, 30: only 20 converts often
		tb.Columns[0].Float[i] = code
		tb.Columns[1].Bool[i] = r.Float64() < map[float64]float64{10: 0.2, 20: 0.8, 30: 0.2}[code]
	}
	asNumber, err := Train(context.Background(), tb, Config{Label: "won", Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	asCategory, err := Train(context.Background(), tb, Config{Label: "won", Seed: 2, Categorical: []string{"region"}})
	if err != nil {
		t.Fatal(err)
	}
	if asCategory.Features[0].Kind != predict.Categorical || len(asCategory.Features[0].Levels) != 3 {
		t.Fatalf("region features %+v", asCategory.Features)
	}
	if asCategory.Metrics.AUC < asNumber.Metrics.AUC+0.1 {
		t.Errorf("AUC as categories %.3f, as a number %.3f: the override should help", asCategory.Metrics.AUC, asNumber.Metrics.AUC)
	}
}

// The compact design fits the same model as the full design matrix it
// stands for: the one-hot level columns folded into slots change the
// arithmetic, not the objective.
func TestCompactDesignFitsAsFullDesign(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 5))
	n := 6000
	amount, visits := make([]float64, n), make([]float64, n)
	channel, region := make([]string, n), make([]string, n)
	won := make([]bool, n)
	for i := range n {
		amount[i] = math.Floor(r.ExpFloat64() * 800)
		if r.IntN(6) == 0 {
			amount[i] = math.NaN()
		}
		visits[i] = float64(r.IntN(20))
		channel[i] = []string{"web", "email", "fair", "", "partner"}[r.IntN(5)]
		region[i] = string(rune('a' + r.IntN(12)))
		eta := -1 + 0.002*visits[i]*visits[i] + map[string]float64{"web": 0.8, "email": -0.4}[channel[i]]
		if !math.IsNaN(amount[i]) {
			eta += amount[i] / 1000
		}
		won[i] = r.Float64() < 1/(1+math.Exp(-eta))
	}
	tb := &features.Table{Meta: map[string]string{}, Columns: []features.Column{
		{Name: "amount", Kind: features.KindFloat, Float: amount},
		{Name: "visits", Kind: features.KindFloat, Float: visits},
		{Name: "channel", Kind: features.KindString, Str: channel},
		{Name: "region", Kind: features.KindString, Str: region},
		{Name: "won", Kind: features.KindBool, Bool: won},
	}}
	m := &predict.Model{Type: predict.TypeLogistic}
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	if err := fitPreprocessing(m, tb, Config{Label: "won"}, rows); err != nil {
		t.Fatal(err)
	}
	compact := compactDesign(m, tb, rows, 2)
	if len(compact.groups) != 2 || len(compact.denseCols) >= len(m.Design) {
		t.Fatalf("compact design has %d groups and %d of %d columns dense", len(compact.groups), len(compact.denseCols), len(m.Design))
	}
	enc, err := predict.NewEncoder(m, tb)
	if err != nil {
		t.Fatal(err)
	}
	p := len(m.Design)
	full := make([]float64, n*p)
	for i := range n {
		enc.Row(i, full[i*p:(i+1)*p])
	}
	for _, c := range []float64{0.01, 1} {
		a, err := FitLogistic(context.Background(), full, won, p, LogisticConfig{C: c})
		if err != nil {
			t.Fatal(err)
		}
		b, err := fitLogistic(context.Background(), compact, won, LogisticConfig{C: c})
		if err != nil {
			t.Fatal(err)
		}
		if d := math.Abs(a.Intercept - b.Intercept); d > 1e-7 {
			t.Errorf("C=%g: intercepts differ by %.2g", c, d)
		}
		for j := range a.Coef {
			if d := math.Abs(a.Coef[j] - b.Coef[j]); d > 1e-7 {
				t.Errorf("C=%g: %s differs by %.2g (%v vs %v)", c, m.Design[j].Name, d, a.Coef[j], b.Coef[j])
			}
		}
		out := make([]float64, 5)
		compact.logits(b, []int{0, 1, 2, 3, 4}, out)
		for i, v := range out {
			if want := b.Logit(full[i*p : (i+1)*p]); math.Abs(v-want) > 1e-12 {
				t.Errorf("row %d: compact logit %v, full %v", i, v, want)
			}
		}
	}
}

// median selects what sorting and gonum's empirical quantile give, on
// lengths odd and even, with ties, and on adversarial orders.
func TestMedianMatchesQuantile(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 7))
	for n := 1; n < 3000; n += 1 + n/7 {
		for _, kind := range []string{"normal", "ties", "sorted", "reversed", "constant"} {
			x := make([]float64, n)
			for i := range x {
				switch kind {
				case "normal":
					x[i] = r.NormFloat64()
				case "ties":
					x[i] = float64(r.IntN(5))
				case "sorted":
					x[i] = float64(i)
				case "reversed":
					x[i] = float64(n - i)
				case "constant":
					x[i] = 3
				}
			}
			sorted := slices.Clone(x)
			slices.Sort(sorted)
			want := stat.Quantile(0.5, stat.Empirical, sorted, nil)
			if got := median(x); got != want {
				t.Fatalf("n=%d %s: median %v, want %v", n, kind, got, want)
			}
		}
	}
}

// TestSmallData: 240 rows with a real signal are measured by repeated
// cross-validation, not by the 48 rows a split would hold out, and pass
// the gate; the model is fitted on every row.
func TestSmallData(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	n := 240
	tb := &features.Table{Columns: []features.Column{
		{Name: "x", Kind: features.KindFloat, Float: make([]float64, n)},
		{Name: "won", Kind: features.KindBool, Bool: make([]bool, n)},
	}}
	for i := range n {
		x := r.NormFloat64()
		tb.Columns[0].Float[i] = x
		tb.Columns[1].Bool[i] = r.Float64() < predict.Sigmoid(1.5*x)
	}
	var report bytes.Buffer
	m, err := Train(context.Background(), tb, Config{Label: "won", Seed: 1, Report: &report})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Metrics.Split, "cross-validation") || m.NoBetterThanChance || m.Training.Rows != n || !(m.Metrics.AUCLow > 0.6) {
		t.Errorf("split %q, AUC %.3f [%.3f, %.3f], rows %d, no better than chance %v", m.Metrics.Split, m.Metrics.AUC, m.Metrics.AUCLow, m.Metrics.AUCHigh, m.Training.Rows, m.NoBetterThanChance)
	}
	if !strings.Contains(report.String(), "cross-validation") {
		t.Error("the report does not say how the model was measured")
	}
}

// TestSortKeys checks the radix sort against slices.Sort: keys that share
// their high bytes (as packed time keys do), keys of every byte, ties, and
// key counts that end the passes in either buffer.
func TestSortKeys(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 10, 5000, 70001} {
		for _, mask := range []uint64{0xffffff, 0xff00ff00, ^uint64(0), 0xf} {
			keys := make([]uint64, n)
			for i := range keys {
				keys[i] = 0x1234_0000_0000_0000 | r.Uint64()&mask
			}
			want := slices.Clone(keys)
			slices.Sort(want)
			sortKeys(keys)
			if !slices.Equal(keys, want) {
				t.Fatalf("%d keys, mask %#x: not sorted as slices.Sort sorts them", n, mask)
			}
		}
	}
}

// TestSortedRows checks sortedRows against a stable sort of positions by
// row, on rows out of order with repeats.
func TestSortedRows(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	rows := make([]int, 30000)
	for k := range rows {
		rows[k] = r.IntN(20000)
	}
	want := allRows(len(rows))
	slices.SortStableFunc(want, func(a, b int) int { return cmp.Compare(rows[a], rows[b]) })
	at, sorted := sortedRows(rows)
	if !slices.Equal(at, want) || !slices.Equal(sorted, pick(rows, want)) {
		t.Error("sortedRows differs from the stable sort of positions by row")
	}
}
