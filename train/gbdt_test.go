package train

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/floats"

	"leadscore/predict"
)

func TestQuantileCuts(t *testing.T) {
	// Few distinct values: one bin each, cut at each value but the first.
	v := []float64{3, 1, 2, 2, math.NaN(), 3, 1}
	if got := quantileCuts(v, seq(len(v)), 255); !slices.Equal(got, []float32{2, 3}) {
		t.Errorf("cuts %v, want [2 3]", got)
	}
	// 1000 distinct values into 4 bins: 250 values each.
	v = make([]float64, 1000)
	for i := range v {
		v[i] = float64(i)
	}
	if got := quantileCuts(v, seq(len(v)), 4); !slices.Equal(got, []float32{250, 500, 750}) {
		t.Errorf("cuts %v, want [250 500 750]", got)
	}
	// A value holding most rows gets a bin of its own.
	v = v[:0]
	for i := range 100 {
		v = append(v, float64(i))
	}
	for range 900 {
		v = append(v, 50)
	}
	got := quantileCuts(v, seq(len(v)), 8)
	if !slices.Contains(got, 50) || !slices.Contains(got, 51) {
		t.Errorf("cuts %v: 50 should have a bin [50, 51) of its own", got)
	}
	b := &binning{cuts: [][]float32{{2, 3}}, nbins: []int{4}, cat: []bool{false}}
	xs := []float64{0.5, 2, 2.5, 3, 99, math.NaN()}
	got8 := b.apply([]GBColumn{{Values: xs}}, seq(len(xs)), 1)
	if want := []uint8{1, 2, 2, 3, 3, 0}; !slices.Equal(got8, want) {
		t.Errorf("bins of %v = %v, want %v", xs, got8, want)
	}
	// Rows in another order, some left out, one given twice; and a
	// categorical feature beside.
	b = &binning{cuts: [][]float32{{2, 3}, nil}, nbins: []int{4, 4}, cat: []bool{false, true}}
	codes := []float64{2, 0, 1, math.NaN(), 2, 1}
	cols := []GBColumn{{Values: xs}, {Values: codes, Levels: 3}}
	for _, rows := range [][]int{{4, 0, 5, 2}, {3, 1, 3, 0}} {
		got := b.apply(cols, rows, 2)
		want := make([]uint8, 2*len(rows))
		for j, i := range rows {
			want[j] = []uint8{1, 2, 2, 3, 3, 0}[i]
			want[len(rows)+j] = predict.BinOf(codes[i], nil, true)
		}
		if !slices.Equal(got, want) {
			t.Errorf("rows %v: bins %v, want %v", rows, got, want)
		}
	}
}

// TestSortFloat32s: the radix sort gives slices.Sort's order on values of
// both signs, zeros, subnormals, infinities and repeats, and puts −0
// before 0.
func TestSortFloat32s(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, n := range []int{0, 1, 2, 1000, 100_000} {
		v := make([]float32, n)
		for i := range v {
			switch r.IntN(6) {
			case 0:
				v[i] = float32(r.NormFloat64())
			case 1:
				v[i] = float32(math.Ldexp(r.Float64()-0.5, r.IntN(300)-150))
			case 2:
				v[i] = float32(r.IntN(20) - 10)
			case 3:
				v[i] = []float32{float32(math.Inf(1)), float32(math.Inf(-1)), math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32}[r.IntN(5)]
			default:
				v[i] = float32(r.ExpFloat64() * 1e4)
			}
		}
		want := slices.Clone(v)
		slices.Sort(want)
		sortFloat32s(v)
		if !slices.Equal(v, want) {
			t.Fatalf("n=%d: radix order differs from slices.Sort", n)
		}
	}
	v := []float32{0, float32(math.Copysign(0, -1)), 1, -1}
	sortFloat32s(v)
	if !math.Signbit(float64(v[1])) || math.Signbit(float64(v[2])) {
		t.Errorf("sorted %v: want −0 before 0", v)
	}
}

// TestBinDecisionsMatchValueRule: for random splits and values, the bin
// decision training partitions by (the split's right bins) is the rule
// scoring applies to the value itself.
func TestBinDecisionsMatchValueRule(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	cuts := []float32{-1.5, 0, 0.25, 3, 7}
	for range 2000 {
		var s predict.Split
		s.DefaultLeft = r.IntN(2) == 0
		cat := r.IntN(2) == 0
		if cat {
			var codes [4]uint64
			for c := range 20 {
				if r.IntN(2) == 0 {
					codes[c/64] |= 1 << (c % 64)
				}
			}
			s.Right = &codes
		} else {
			s.Threshold = cuts[r.IntN(len(cuts))]
		}
		right := s.RightBins(cuts)
		x := math.Round(r.NormFloat64()*40) / 8
		if cat {
			x = float64(r.IntN(22))
		}
		if r.IntN(10) == 0 {
			x = math.NaN()
		}
		if predict.InRight(&right, predict.BinOf(x, cuts, cat)) == s.GoesLeft(x) {
			t.Fatalf("split %+v, x %v: the bin decision differs from the value rule", s, x)
		}
	}
}

// smallData is a table-free problem for the engine: numeric features with
// missing values and one categorical feature.
func smallData(n int, seed uint64) ([]GBColumn, []bool) {
	r := rand.New(rand.NewPCG(seed, 3))
	cols := []GBColumn{{Values: make([]float64, n)}, {Values: make([]float64, n)}, {Values: make([]float64, n)}, {Values: make([]float64, n), Levels: 12}}
	y := make([]bool, n)
	for i := range n {
		a, b, c := r.NormFloat64(), r.Float64(), r.NormFloat64()
		cat := r.IntN(12)
		eta := a + 2*step(b > 0.6) - 1.5*step(cat == 3 || cat == 7) + 0.5*a*c
		if r.Float64() < 0.2 {
			// Missing a: these rows convert more.
			a = math.NaN()
			eta += 1
		}
		cols[0].Values[i], cols[1].Values[i], cols[2].Values[i], cols[3].Values[i] = a, b, c, float64(cat)
		y[i] = r.Float64() < 1/(1+math.Exp(-eta))
	}
	return cols, y
}

func step(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func fitSmall(t *testing.T, cfg GBDTConfig) (*predict.Trees, []GBColumn, []bool) {
	t.Helper()
	cols, y := smallData(4000, 1)
	ens, err := FitGBDT(context.Background(), cols, y, seq(3000), nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := &predict.Model{Type: predict.TypeGBDT, Features: []predict.Feature{{Name: "a", Kind: predict.Numeric}, {Name: "b", Kind: predict.Numeric},
		{Name: "c", Kind: predict.Numeric}, {Name: "cat", Kind: predict.Categorical, Levels: []string{"0", "1", "10", "11", "2", "3", "4", "5", "6", "7", "8"}}},
		Trees: ens}
	if err := m.Finish(); err != nil {
		t.Fatal(err)
	}
	return ens, cols, y
}

func row(cols []GBColumn, i int) []float64 {
	x := make([]float64, len(cols))
	for k := range cols {
		x[k] = cols[k].Values[i]
	}
	return x
}

func TestGBDTLearns(t *testing.T) {
	ens, cols, y := fitSmall(t, GBDTConfig{Rounds: 100, Leaves: 15})
	var p []float64
	for i := 3000; i < 4000; i++ {
		p = append(p, ens.Logit(row(cols, i)))
	}
	auc := AUC(p, y[3000:])
	// The Bayes rate of this problem, from the true log-odds, is 0.80.
	if auc < 0.76 {
		t.Errorf("held-out AUC %.3f, want ≥ 0.76", auc)
	}
	// Rows missing a convert more: the trees must send them to the higher
	// side. Blanking a in rows that have it must raise their log-odds on
	// average (by about 1, the effect of being missing, as a's own effect
	// averages out).
	shift, k := 0.0, 0
	for i := 3000; i < 4000; i++ {
		x := row(cols, i)
		if math.IsNaN(x[0]) {
			continue
		}
		before := ens.Logit(x)
		x[0] = math.NaN()
		shift += ens.Logit(x) - before
		k++
	}
	if shift /= float64(k); shift < 0.5 {
		t.Errorf("blanking a shifts the log-odds by %.2f on average, want about +1", shift)
	}
	cats := 0
	for _, tr := range ens.Trees {
		for k, n := range tr.CatNodes {
			cats++
			if tr.Feature[n] != 3 || len(tr.CatRight[k]) == 0 {
				t.Errorf("categorical node %d on feature %d with set %v", n, tr.Feature[n], tr.CatRight[k])
			}
		}
	}
	if cats == 0 {
		t.Error("no categorical split")
	}
}

func TestGBDTDeterministicAcrossWorkers(t *testing.T) {
	var out [][]byte
	for _, w := range []int{1, 2, 3} {
		ens, _, _ := fitSmall(t, GBDTConfig{Rounds: 30, Subsample: 0.8, Colsample: 0.75, Workers: w, Seed: 5})
		m := &predict.Model{Trees: ens}
		var b bytes.Buffer
		if err := m.Write(&b); err != nil {
			t.Fatal(err)
		}
		out = append(out, b.Bytes())
	}
	if !bytes.Equal(out[0], out[1]) || !bytes.Equal(out[0], out[2]) {
		t.Error("models differ with the number of workers")
	}
}

func TestGBDTEarlyStopping(t *testing.T) {
	cols, y := smallData(3000, 2)
	ens, err := FitGBDT(context.Background(), cols, y, seq(2000), seq(3000)[2000:], GBDTConfig{Rounds: 400, LearningRate: 0.5, EarlyStoppingRounds: 10})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(ens.Trees); n >= 100 || n != ens.Params.BestIteration {
		t.Errorf("kept %d trees (best iteration %d) of 400 at learning rate 0.5; want the best iteration, well under 100", n, ens.Params.BestIteration)
	}
	// The kept trees minimise the validation log loss over their prefixes.
	logits := make([]float64, 1000)
	var losses []float64
	for k := range ens.Trees {
		for j := range logits {
			if k == 0 {
				logits[j] = ens.Base
			}
			x := row(cols, 2000+j)
			logits[j] += ens.Trees[k].Value[ens.Trees[k].Leaf(x)]
		}
		losses = append(losses, logLossLogits(logits, y[2000:]))
	}
	if slices.Min(losses) != losses[len(losses)-1] {
		t.Errorf("the last kept tree does not give the lowest validation loss")
	}
}

// TestGBDTTrackedLogits: the logits fitGBDT keeps for tracked training rows
// are bit for bit those the returned trees give the rows, with every row or
// a sample per round, and when stopping early drops the last rounds' trees.
func TestGBDTTrackedLogits(t *testing.T) {
	cols, y := smallData(3000, 4)
	track := []int{0, 7, 8, 500, 1999, 1234}
	for _, cfg := range []GBDTConfig{
		{Rounds: 40, Workers: 2},
		{Rounds: 40, Subsample: 0.7, Colsample: 0.75, Seed: 3},
		{Rounds: 400, LearningRate: 0.5, EarlyStoppingRounds: 10},
	} {
		var valid []int
		if cfg.EarlyStoppingRounds > 0 {
			valid = seq(3000)[2000:]
		}
		ens, logits, err := fitGBDT(context.Background(), cols, y, seq(2000), valid, cfg, track)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.EarlyStoppingRounds > 0 && len(ens.Trees) == 400 {
			t.Fatal("the boosting did not stop early")
		}
		for j, i := range track {
			if want := ens.Logit(row(cols, i)); logits[j] != want {
				t.Errorf("%+v: row %d tracked logit %v, the trees give %v", cfg, i, logits[j], want)
			}
		}
	}
}

// TestGradientsFromOdds: after 300 rounds of leaf factors, the rows'
// e^−score kept by multiplication stays within 1e-13 of e^−score computed
// from the summed leaf values, and the float32 gradients and hessians are
// those of the logistic function at the summed score, to one float32 step.
func TestGradientsFromOdds(t *testing.T) {
	const n, leaves = 4000, 31
	r := rand.New(rand.NewPCG(11, 12))
	cols, y := smallData(n, 2)
	bo := newBooster(cols, seq(n), GBDTConfig{}.withDefaults())
	score, against := make([]float64, n), make([]float64, n)
	for i := range score {
		score[i] = -1.2
		against[i] = math.Exp(-score[i])
	}
	yl := zeroOne(y)
	bo.gradients(against, yl, nil, nil)
	leaf, value, factor := make([]int32, n), make([]float64, leaves), make([]float64, leaves)
	for range 300 {
		for k := range value {
			value[k] = float64(float32(r.NormFloat64() * 0.3))
			factor[k] = math.Exp(-value[k])
		}
		for i := range leaf {
			leaf[i] = int32(r.IntN(leaves))
			score[i] += value[leaf[i]]
		}
		bo.gradients(against, yl, leaf, factor)
	}
	// ulps is |a − b| in float32 steps at the larger magnitude.
	ulps := func(a, b float32) float64 {
		m := max(a, b, -a, -b)
		return math.Abs(float64(a)-float64(b)) / float64(math.Nextafter32(m, 2*m)-m)
	}
	for i, s := range score {
		if e := math.Exp(-s); math.Abs(against[i]-e) > 1e-13*e {
			t.Fatalf("row %d: e^-score kept %v, from the score %v", i, against[i], e)
		}
		p := predict.Sigmoid(s)
		g, h := p, p*(1-p)
		if y[i] {
			g = p - 1
		}
		if got := bo.gh[i]; ulps(got.g, float32(g)) > 1 || ulps(got.h, float32(h)) > 1 {
			t.Fatalf("row %d: gradient %v, hessian %v; want %v, %v", i, got.g, got.h, float32(g), float32(h))
		}
	}
}

func TestHistogramSubtraction(t *testing.T) {
	cols, y := smallData(5000, 4)
	bo := newBooster(cols, seq(5000), GBDTConfig{}.withDefaults())
	bn := bo.b
	for i := range bo.idx {
		bo.idx[i] = int32(i)
	}
	against := make([]float64, 5000) // e^−score
	for i := range against {
		against[i] = math.Exp(-float64(i%7) / 7)
	}
	bo.gradients(against, zeroOne(y), nil, nil)
	bo.sampleFeatures(nil)
	parent := make([]hbin, bn.total)
	bo.buildHist(parent, nil)
	l := &leaf{end: 5000, n: 5000}
	for _, e := range parent[bn.off[0] : bn.off[0]+bn.nbins[0]] {
		l.g, l.h = l.g+e.g, l.h+e.h
	}
	l.hist = parent
	bo.findBest(l, bo.best[0])
	s := l.best
	if s.gain <= 0 {
		t.Fatal("no split")
	}
	d := bo.decision(&s)
	rb := d.RightBins(bn.cuts[s.feature])
	mid := bo.partition(l, s.feature, &rb)
	left, right := make([]hbin, bn.total), make([]hbin, bn.total)
	bo.buildHist(left, bo.idx[:mid])
	bo.buildHist(right, bo.idx[mid:])
	for f := range bn.off {
		for b := range 256 { // a feature's bins; a split pass's second ones follow
			k := bn.off[f] + b
			dg, dh := parent[k].g-left[k].g-right[k].g, parent[k].h-left[k].h-right[k].h
			if math.Abs(dg) > 1e-9 || math.Abs(dh) > 1e-9 {
				t.Fatalf("feature %d, bin %d: parent − left − right = (%g, %g)", f, b, dg, dh)
			}
		}
	}
	// The partition agrees with the split: every left row goes left.
	var lg float64
	for _, r := range bo.idx[:mid] {
		lg += float64(bo.gh[r].g)
	}
	if math.Abs(lg-s.lg) > 1e-9 {
		t.Errorf("left gradient sum %g, split says %g", lg, s.lg)
	}
	if !slices.IsSorted(bo.idx[:mid]) || !slices.IsSorted(bo.idx[mid:]) {
		t.Error("partition is not stable")
	}
}

// bruteShap computes path-dependent SHAP values of one tree by their
// definition: the Shapley values of the game v(S) = E[f(x) | x_S], where
// the expectation follows the training cover at splits on features not in
// S.
func bruteShap(tr *predict.Tree, x []float64, p int) []float64 {
	var ev func(node int32, s uint) float64
	ev = func(node int32, s uint) float64 {
		if tr.Left[node] < 0 {
			return tr.Value[node]
		}
		f := tr.Feature[node]
		if s&(1<<f) != 0 {
			if tr.GoesLeft(node, x[f]) {
				return ev(tr.Left[node], s)
			}
			return ev(tr.Right[node], s)
		}
		l, r := tr.Left[node], tr.Right[node]
		return (tr.Cover[l]*ev(l, s) + tr.Cover[r]*ev(r, s)) / tr.Cover[node]
	}
	phi := make([]float64, p)
	fact := func(k int) float64 { return math.Gamma(float64(k) + 1) }
	for i := range p {
		for s := uint(0); s < 1<<p; s++ {
			if s&(1<<i) != 0 {
				continue
			}
			k := 0
			for j := range p {
				if s&(1<<j) != 0 {
					k++
				}
			}
			w := fact(k) * fact(p-k-1) / fact(p)
			phi[i] += w * (ev(0, s|1<<i) - ev(0, s))
		}
	}
	return phi
}

func TestTreeSHAP(t *testing.T) {
	ens, cols, _ := fitSmall(t, GBDTConfig{Rounds: 20, Leaves: 12, Subsample: 0.7})
	shap := ens.NewShap()
	phi := make([]float64, len(cols))
	for i := range 4000 {
		x := row(cols, i)
		clear(phi)
		logit := shap.Explain(x, phi)
		if got := ens.ExpectedLogit() + floats.Sum(phi); math.Abs(got-logit) > 1e-9 {
			t.Fatalf("row %d: base %g + Σφ = %g, log-odds %g", i, ens.ExpectedLogit(), got, logit)
		}
		if i >= 40 {
			continue
		}
		// Against the definition, tree by tree, for the first rows.
		want := make([]float64, len(cols))
		for k := range ens.Trees {
			for j, v := range bruteShap(&ens.Trees[k], x, len(cols)) {
				want[j] += v
			}
		}
		for j := range want {
			if math.Abs(want[j]-phi[j]) > 1e-9 {
				t.Fatalf("row %d feature %d: TreeSHAP %g, by definition %g", i, j, phi[j], want[j])
			}
		}
	}
}
