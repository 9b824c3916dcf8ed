package predict

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"leadscore/features"

	"gonum.org/v1/gonum/integrate/quad"
)

// randomTrees builds an ensemble of random trees over numeric and
// categorical features, with missing-value directions both ways.
func randomTrees(r *rand.Rand, nTrees, depth, p int, cat []bool) *Trees {
	ts := &Trees{Base: -0.3, GainImportance: make([]float64, p)}
	for range nTrees {
		var t Tree
		var grow func(depth int) int32
		grow = func(depth int) int32 {
			i := int32(len(t.Left))
			t.Left, t.Right, t.Feature = append(t.Left, -1), append(t.Right, -1), append(t.Feature, -1)
			t.Threshold, t.DefaultLeft = append(t.Threshold, 0), append(t.DefaultLeft, r.IntN(2) == 0)
			t.Value, t.Cover, t.Gain = append(t.Value, r.NormFloat64()), append(t.Cover, 0), append(t.Gain, 0)
			if depth == 0 || r.IntN(5) == 0 {
				t.Cover[i] = 1 + r.Float64()*10
				return i
			}
			f := int32(r.IntN(p))
			t.Feature[i] = f
			if cat[f] {
				var set []int32
				for c := range int32(12) {
					if r.IntN(2) == 0 {
						set = append(set, c)
					}
				}
				t.CatNodes, t.CatRight = append(t.CatNodes, i), append(t.CatRight, set)
			} else {
				t.Threshold[i] = float32(math.Round(r.NormFloat64()*8) / 4)
			}
			l := grow(depth - 1)
			rt := grow(depth - 1)
			t.Left[i], t.Right[i] = l, rt
			t.Cover[i] = t.Cover[l] + t.Cover[rt]
			return i
		}
		grow(depth)
		ts.Trees = append(ts.Trees, t)
	}
	return ts
}

// TestShapAgreesWithLundberg compares both evaluations of the integral form
// (the subtree pattern tables and the walk) with the original algorithm on
// random trees, and checks that the values and the base value add up to
// the log-odds. The deep trees over many features have leaves with more
// path features than a table allows, evaluated alone, and outgrow the
// per-tree bound on table memory.
func TestShapAgreesWithLundberg(t *testing.T) {
	for _, tc := range []struct {
		name         string
		trees, depth int
		cat          []bool
		rows         int
		direct       bool // some leaves have too many path features for a table
	}{
		{"shallow", 30, 6, []bool{false, true, false, false, false}, 3000, false},
		{"deep", 4, 16, []bool{false, true, false, false, false, false, false, false, false, false, false, false, false, false, false, false, false, false}, 101, true}, // not a multiple of shapRows: a partial block
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(3, 4))
			p := len(tc.cat)
			ts := randomTrees(r, tc.trees, tc.depth, p, tc.cat)
			if err := ts.Prepare(p); err != nil {
				t.Fatal(err)
			}
			tables, walk, ref := ts.NewShap(), ts.NewShap(), newLundberg(ts) // NewShap builds the tables
			direct := 0
			for k := range ts.Trees {
				tr := &ts.Trees[k]
				if tr.Left[0] >= 0 && tr.leafShap == nil { // a lone leaf explains nothing
					t.Fatalf("tree %d has no leaf tables", k)
				}
				if tr.leafShap != nil {
					if len(tr.leafShap.tab) > maxTreeCells {
						t.Fatalf("tree %d: %d table cells, bound %d", k, len(tr.leafShap.tab), maxTreeCells)
					}
					direct += len(tr.leafShap.alone)
				}
			}
			if tc.direct != (direct > 0) {
				t.Fatalf("%d leaves without tables", direct)
			}
			walk.walk = true
			x := make([]float64, p)
			a, w, b := make([]float64, p), make([]float64, p), make([]float64, p)
			var block, blockWant, logits []float64 // every row, its values and log-odds from Explain
			for i := range tc.rows {
				for f := range x {
					switch {
					case r.IntN(6) == 0:
						x[f] = math.NaN()
					case tc.cat[f]:
						x[f] = float64(r.IntN(13))
					default:
						x[f] = math.Round(r.NormFloat64()*8) / 4
					}
				}
				clear(a)
				clear(w)
				clear(b)
				logit := tables.Explain(x, a)
				if want := ts.Logit(x); logit != want || walk.Explain(x, w) != want {
					t.Fatalf("row %d: Explain's log-odds %g, Logit's %g", i, logit, want)
				}
				ref.Explain(x, b)
				sum := ts.ExpectedLogit()
				for f := range a {
					sum += a[f]
					if math.Abs(a[f]-b[f]) > 1e-9 || math.Abs(w[f]-b[f]) > 1e-9 {
						t.Fatalf("row %d feature %d: tables %g, walk %g, Lundberg's algorithm %g", i, f, a[f], w[f], b[f])
					}
				}
				if math.Abs(sum-logit) > 1e-9 {
					t.Fatalf("row %d: base + Σφ = %g, log-odds %g", i, sum, logit)
				}
				block, blockWant = append(block, x...), append(blockWant, a...)
				logits = append(logits, logit)
			}
			// ExplainBlock bins the rows and looks their decisions up.
			if ts.fast == nil {
				t.Fatal("the random trees have no binned form")
			}
			got, gotLogits := make([]float64, len(block)), make([]float64, tc.rows)
			tables.ExplainBlock(block, tc.rows, got, gotLogits)
			for k := range got {
				if math.Abs(got[k]-blockWant[k]) > 1e-9 {
					t.Fatalf("ExplainBlock row %d feature %d: %g, Explain %g", k/p, k%p, got[k], blockWant[k])
				}
			}
			for k, l := range gotLogits {
				if l != logits[k] { // the same leaf values, added in the same order
					t.Fatalf("ExplainBlock row %d: log-odds %g, Explain %g", k, l, logits[k])
				}
			}
		})
	}
}

// TestLeafSharesPerPattern checks the table of a leaf's shares, built for
// all patterns at once, against patternShares (what a leaf without a table
// evaluates) pattern by pattern, for paths of 1 to 12 features with cover
// shares down to 1e-6.
func TestLeafSharesPerPattern(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 8))
	for d := 1; d <= maxTableSlots; d++ {
		z := make([]float64, d)
		for j := range z {
			z[j] = math.Pow(10, -6*r.Float64())
		}
		v := r.NormFloat64()
		all := leafShares(v, z)
		g := (d + 1) / 2
		pts, w := make([]float64, g), make([]float64, g)
		quad.Legendre{}.FixedLocations(pts, w, 0, 1)
		q, want := make([]float64, d), make([]float64, d)
		for S := range 1 << d {
			patternShares(v, z, uint64(S), pts, w, q, want)
			for i, x := range want {
				if got := all[S*d+i]; math.Abs(got-x) > 1e-12*math.Max(1, math.Abs(x)) {
					t.Fatalf("d=%d pattern %b feature %d: table %v, alone %v", d, S, i, got, x)
				}
			}
		}
	}
}

// TestBinnedTreesAgree: the binned scorer takes every decision Tree.Leaf
// takes, for values on, between and beyond the thresholds, missing values
// and unknown categorical codes.
func TestBinnedTreesAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	p := 6
	cat := []bool{false, false, true, false, true, false}
	ts := randomTrees(r, 50, 6, p, cat)
	if err := ts.Prepare(p); err != nil {
		t.Fatal(err)
	}
	if ts.fast == nil {
		t.Fatal("no binned scorer")
	}
	const n = 20003 // not a multiple of the block's eight rows
	bins := make([]uint8, n*p)
	want := make([]float64, n)
	for i := range n {
		x := make([]float64, p)
		for f := range x {
			switch {
			case r.IntN(8) == 0:
				x[f] = math.NaN()
			case cat[f]:
				x[f] = float64(r.IntN(15) - 1) // −1 and 12…13: unknown codes
			default:
				x[f] = math.Round(r.NormFloat64()*8) / 4 // often exactly a threshold
			}
		}
		want[i] = ts.slowLogit(x)
		if got := ts.Logit(x); got != want[i] {
			t.Fatalf("row %d %v: binned %g, tree walk %g", i, x, got, want[i])
		}
		ts.fast.bin(x, bins[i*p:(i+1)*p])
	}
	got := make([]float64, n)
	ts.fast.logitBlock(bins, p, got)
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("row %d: block scoring %g, tree walk %g", i, got[i], want[i])
		}
	}
}

// pathElem is an element of TreeSHAP's unique path: a feature, the share of
// training cover that flows along the path through its splits (zero) and
// whether the row itself does (one), and the weight of the permutations.
type pathElem struct {
	feature   int32
	zero, one float64
	weight    float64
}

// lundberg is the original TreeSHAP algorithm (Lundberg, Erion & Lee 2018,
// algorithm 2), the reference the integral form is checked against.
type lundberg struct {
	ts     *Trees
	levels [][]pathElem
	phi    []float64
	x      []float64
}

func newLundberg(ts *Trees) *lundberg {
	d := ts.maxDepth + 2
	s := &lundberg{ts: ts, levels: make([][]pathElem, d+1)}
	for i := range s.levels {
		s.levels[i] = make([]pathElem, d+1)
	}
	return s
}

// Explain adds row x's exact SHAP values (Lundberg, Erion & Lee 2018,
// "Consistent individualized feature attribution for tree ensembles",
// algorithm 2, path-dependent) to phi, one per feature, and returns the
// row's log-odds. The values and ExpectedLogit sum to the log-odds.
func (s *lundberg) Explain(x []float64, phi []float64) float64 {
	s.phi, s.x = phi, x
	for k := range s.ts.Trees {
		s.recurse(&s.ts.Trees[k], 0, 0, nil, 1, 1, -1)
	}
	return s.ts.Logit(x)
}

func (s *lundberg) recurse(t *Tree, node int32, level int, parent []pathElem, pz, po float64, pf int32) {
	path := s.levels[level][:len(parent)]
	copy(path, parent)
	path = extendPath(path, pz, po, pf)
	n := &t.nodes[node]
	if n.left < 0 {
		v := t.Value[node]
		for i := 1; i < len(path); i++ {
			e := &path[i]
			s.phi[e.feature] += unwoundSum(path, i) * (e.one - e.zero) * v
		}
		return
	}
	hot, cold := n.right, n.left
	if n.GoesLeft(s.x[n.Feature]) {
		hot, cold = n.left, n.right
	}
	iz, io := 1.0, 1.0
	for k := 1; k < len(path); k++ {
		if path[k].feature == n.Feature {
			iz, io = path[k].zero, path[k].one
			path = unwindPath(path, k)
			break
		}
	}
	c := t.Cover[node]
	s.recurse(t, hot, level+1, path, iz*t.Cover[hot]/c, io, n.Feature)
	s.recurse(t, cold, level+1, path, iz*t.Cover[cold]/c, 0, n.Feature)
}

// extendPath appends a feature with its zero and one fractions to the
// path and updates the permutation weights.
func extendPath(path []pathElem, pz, po float64, pf int32) []pathElem {
	l := len(path)
	w := 0.0
	if l == 0 {
		w = 1
	}
	path = append(path, pathElem{feature: pf, zero: pz, one: po, weight: w})
	inv := 1 / float64(l+1)
	for i := l - 1; i >= 0; i-- {
		path[i+1].weight += po * path[i].weight * float64(i+1) * inv
		path[i].weight = pz * path[i].weight * float64(l-i) * inv
	}
	return path
}

// unwindPath removes element k, undoing its extension.
func unwindPath(path []pathElem, k int) []pathElem {
	d := len(path) - 1
	one, zero := path[k].one, path[k].zero
	next := path[d].weight
	for i := d - 1; i >= 0; i-- {
		if one != 0 {
			tmp := path[i].weight
			path[i].weight = next * float64(d+1) / (float64(i+1) * one)
			next = tmp - path[i].weight*zero*float64(d-i)/float64(d+1)
		} else {
			path[i].weight = path[i].weight * float64(d+1) / (zero * float64(d-i))
		}
	}
	for i := k; i < d; i++ {
		path[i].feature, path[i].zero, path[i].one = path[i+1].feature, path[i+1].zero, path[i+1].one
	}
	return path[:d]
}

// unwoundSum is the total permutation weight the path would have without
// element k.
func unwoundSum(path []pathElem, k int) float64 {
	d := len(path) - 1
	one, zero := path[k].one, path[k].zero
	next := path[d].weight
	total := 0.0
	for i := d - 1; i >= 0; i-- {
		if one != 0 {
			tmp := next * float64(d+1) / (float64(i+1) * one)
			total += tmp
			next = path[i].weight - tmp*zero*float64(d-i)/float64(d+1)
		} else {
			total += path[i].weight / zero * float64(d+1) / float64(d-i)
		}
	}
	return total
}

// TestTreeColumn checks that a feature's column is, row for row and bit for
// bit, what TreeRow gives: numeric floats (shared with the table) and
// bools, categorical codes with the other level and missing values.
func TestTreeColumn(t *testing.T) {
	n := 50
	r := rand.New(rand.NewPCG(4, 4))
	amount, flag, channel := make([]float64, n), make([]bool, n), make([]string, n)
	for i := range n {
		amount[i] = math.Round(r.NormFloat64() * 100)
		if i%7 == 0 {
			amount[i] = math.NaN()
		}
		flag[i] = r.IntN(2) == 0
		channel[i] = []string{"web", "email", "", "radio"}[r.IntN(4)]
	}
	tb := &features.Table{Columns: []features.Column{
		{Name: "amount", Kind: features.KindFloat, Float: amount},
		{Name: "flag", Kind: features.KindBool, Bool: flag},
		{Name: "channel", Kind: features.KindString, Str: channel},
	}}
	m := &Model{Type: TypeGBDT, Features: []Feature{
		{Name: "amount", Kind: Numeric}, {Name: "flag", Kind: Numeric},
		{Name: "channel", Kind: Categorical, Levels: []string{"email", "web"}},
	}}
	e, err := NewEncoder(m, tb)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float64, len(m.Features))
	for k := range m.Features {
		col := e.TreeColumn(k)
		for i := range n {
			e.TreeRow(i, x)
			if math.Float64bits(col[i]) != math.Float64bits(x[k]) {
				t.Errorf("feature %s, row %d: column %v, row %v", m.Features[k].Name, i, col[i], x[k])
			}
		}
	}
}

// TestBinnerMatchesBinOf: a Binner gives every value the bin of the binary
// search over all the cuts, on cuts spread evenly, heavy-tailed, clustered,
// around zero, at float32's extremes and in the thousands, and on values
// equal to the cuts, a float32 step either side, between and beyond them;
// and with an infinite first or last cut.
func TestBinnerMatchesBinOf(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	spreads := map[string]func() float64{
		"uniform":   func() float64 { return r.Float64() * 100 },
		"lognormal": func() float64 { return math.Exp(r.NormFloat64() * 3) },
		"clustered": func() float64 { return float64(r.IntN(5)) + r.Float64()*1e-4 },
		"signed":    func() float64 { return r.NormFloat64() },
		"extreme":   func() float64 { return math.Ldexp(r.Float64()-0.5, r.IntN(250)-125) },
		"integers":  func() float64 { return float64(r.IntN(4000)) },
	}
	inf := float32(math.Inf(1))
	for _, cuts := range [][]float32{{-inf, 0, 1}, {0, 1, inf}, {-inf, inf}} {
		b := NewBinner(cuts)
		for _, x := range []float64{math.Inf(-1), -1, 0, 0.5, 1, 2, math.Inf(1), math.NaN()} {
			if got, want := b.Bin(x), BinOf(x, cuts, false); got != want {
				t.Fatalf("cuts %v: Bin(%v) = %d, BinOf %d", cuts, x, got, want)
			}
		}
	}
	for name, draw := range spreads {
		for _, k := range []int{0, 1, 2, 3, 17, 254} {
			seen := map[float32]bool{}
			var cuts []float32
			for len(cuts) < k {
				if c := float32(draw()); !seen[c] {
					seen[c] = true
					cuts = append(cuts, c)
				}
			}
			slices.Sort(cuts)
			b := NewBinner(cuts)
			values := []float64{math.NaN(), math.Inf(-1), math.Inf(1), -math.MaxFloat64, math.MaxFloat64, 0, math.Copysign(0, -1)}
			for _, c := range cuts {
				values = append(values, float64(c), float64(math.Nextafter32(c, float32(math.Inf(-1)))), float64(math.Nextafter32(c, float32(math.Inf(1)))),
					float64(c)*(1+1e-12))
			}
			for range 20_000 {
				values = append(values, draw())
			}
			for _, x := range values {
				if got, want := b.Bin(x), BinOf(x, cuts, false); got != want {
					t.Fatalf("%s, %d cuts: Bin(%v) = %d, BinOf %d", name, k, x, got, want)
				}
			}
		}
	}
}
