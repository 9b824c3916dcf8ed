package predict

import (
	"math"
	"math/rand/v2"
	"testing"
)

// randomTrees builds an ensemble of random trees over numeric and
// categorical features, with missing-value directions both ways.
func randomTrees(r *rand.Rand, nTrees, p int, cat []bool) *Trees {
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
		grow(6)
		ts.Trees = append(ts.Trees, t)
	}
	return ts
}

// TestBinnedTreesAgree: the binned scorer takes every decision Tree.Leaf
// takes, for values on, between and beyond the thresholds, missing values
// and unknown categorical codes.
func TestBinnedTreesAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	p := 6
	cat := []bool{false, false, true, false, true, false}
	ts := randomTrees(r, 50, p, cat)
	if err := ts.Prepare(p); err != nil {
		t.Fatal(err)
	}
	if ts.fast == nil {
		t.Fatal("no binned scorer")
	}
	x := make([]float64, p)
	for i := range 20000 {
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
		if got, want := ts.Logit(x), ts.slowLogit(x); got != want {
			t.Fatalf("row %d %v: binned %g, tree walk %g", i, x, got, want)
		}
	}
}
