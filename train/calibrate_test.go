package train

import (
	"cmp"
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"leadscore/predict"
)

func TestFitIsotonicPAV(t *testing.T) {
	// Scores in increasing order with outcomes 0 1 0 0 1 1: PAV pools the
	// violating run (1, 0, 0) into one block of rate 1/3, and the two 1s.
	logits := []float64{-3, -2, -1, 0, 1, 2}
	y := []bool{false, true, false, false, true, true}
	c := FitIsotonic(logits, y)
	wantY := []float64{0, 1.0 / 3, 1} // equal neighbouring rates pool too
	if len(c.Y) != len(wantY) {
		t.Fatalf("blocks %v, want rates %v", c.Y, wantY)
	}
	for i := range wantY {
		if math.Abs(c.Y[i]-wantY[i]) > 1e-12 {
			t.Errorf("block %d rate %v, want %v", i, c.Y[i], wantY[i])
		}
	}
	wantX := (predict.Sigmoid(-2) + predict.Sigmoid(-1) + predict.Sigmoid(0)) / 3
	if math.Abs(c.X[1]-wantX) > 1e-12 {
		t.Errorf("pooled block at %v, want %v", c.X[1], wantX)
	}
	// The map is non-decreasing and flat beyond its ends.
	prev := -1.0
	for l := -6.0; l <= 6; l += 0.1 {
		p := c.Probability(l)
		if p < prev-1e-15 {
			t.Fatalf("isotonic map decreases at logit %v", l)
		}
		prev = p
	}
}

func TestFitPlattRecovers(t *testing.T) {
	// Over-confident logits: the truth is σ(0.5·logit − 0.3).
	r := rand.New(rand.NewPCG(4, 4))
	n := 20000
	logits := make([]float64, n)
	y := make([]bool, n)
	for i := range logits {
		logits[i] = 3 * r.NormFloat64()
		y[i] = r.Float64() < predict.Sigmoid(0.5*logits[i]-0.3)
	}
	c, err := FitPlatt(context.Background(), logits, y)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(c.A-0.5) > 0.03 || math.Abs(c.B+0.3) > 0.05 {
		t.Errorf("Platt A=%v B=%v, want 0.5 and −0.3", c.A, c.B)
	}
	before, after := ECE(probs(nil, logits), y), ECE(probs(c, logits), y)
	if after >= before || after > 0.02 {
		t.Errorf("ECE %v before, %v after calibration", before, after)
	}
}

func TestRankingMetrics(t *testing.T) {
	p := []float64{0.9, 0.8, 0.7, 0.6, 0.5, 0.4}
	y := []bool{true, false, true, false, false, true}
	// Precision at each positive: 1/1, 2/3, 3/6 → AP = (1 + 2/3 + 1/2) / 3.
	if got, want := PRAUC(p, y), (1+2.0/3+0.5)/3; math.Abs(got-want) > 1e-12 {
		t.Errorf("PRAUC = %v, want %v", got, want)
	}
	// Ascending: 0.4+ 0.5− 0.6− 0.7+ 0.8− 0.9+; the largest gap between the
	// cumulative shares is 2/3 − 1/3 = 1/3 (after 0.6).
	if got := KS(p, y); math.Abs(got-1.0/3) > 1e-12 {
		t.Errorf("KS = %v, want 1/3", got)
	}
	// Expected calibration error, bins of 0.1: every score sits alone.
	wantECE := (0.1 + 0.8 + 0.3 + 0.6 + 0.5 + 0.6) / 6
	if got := ECE(p, y); math.Abs(got-wantECE) > 1e-12 {
		t.Errorf("ECE = %v, want %v", got, wantECE)
	}
	d := Deciles(append(p, p...), append(y, y...))
	if d[9].Gain != 1 || d[0].Rows+d[1].Rows+d[9].Rows == 0 {
		t.Errorf("deciles %+v", d)
	}
}

// TestRankingWithTies checks the rankings (every row's, and a group's in
// its own order) and the metrics read from one against their definitions,
// on scores with many ties: KS as the largest gap between the classes'
// shares at or below each distinct score (walking the ranking from the
// bottom must end each run of ties where an ascending walk would), the
// average precision over the rows ranked by score and then row, and each
// decile's positives.
func TestRankingWithTies(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	n := 5003
	p, y := labeledScores(r, n, 0.3, func(_ int, pos bool) float64 { return math.Round(10*(r.Float64()+0.3*b2f(pos))) / 10 })
	rk := rank(p, y)
	distinct := slices.Compact(slices.Sorted(slices.Values(p)))
	var pos, neg float64
	for _, v := range y {
		if v {
			pos++
		} else {
			neg++
		}
	}
	wantKS := 0.0
	for _, v := range distinct {
		var cp, cn float64
		for i, q := range p {
			if q <= v {
				if y[i] {
					cp++
				} else {
					cn++
				}
			}
		}
		wantKS = math.Max(wantKS, math.Abs(cn/neg-cp/pos))
	}
	if got := rk.ks(p, y); math.Abs(got-wantKS) > 1e-15 {
		t.Errorf("KS %v, by definition %v", got, wantKS)
	}
	order := allRows(n)
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(p[b], p[a]) })
	if !slices.Equal(order, rk.idx) {
		t.Fatal("the ranking is not by score, highest first, then row")
	}
	ap, tp := 0.0, 0.0
	for k, i := range order {
		if y[i] {
			tp++
			ap += tp / float64(k+1) / pos
		}
	}
	if got := PRAUC(p, y); math.Abs(got-ap) > 1e-12 {
		t.Errorf("average precision %v, want %v", got, ap)
	}
	// A group of rows out of order: ties keep the group's order, as a
	// stable sort keeps them.
	g := r.Perm(n)[:n/2]
	want := slices.Clone(g)
	slices.SortStableFunc(want, func(a, b int) int { return cmp.Compare(p[b], p[a]) })
	if !slices.Equal(rankRows(p, g), want) {
		t.Error("a group's ranking is not the stable sort by score")
	}
	for d, dec := range Deciles(p, y) {
		k := 0
		for _, i := range order[d*n/10 : (d+1)*n/10] {
			if y[i] {
				k++
			}
		}
		if dec.Positives != k {
			t.Errorf("decile %d: %d positives, want %d", d+1, dec.Positives, k)
		}
	}
}
