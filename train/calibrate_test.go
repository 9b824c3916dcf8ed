package train

import (
	"context"
	"math"
	"math/rand/v2"
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
