package rfm

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"

	"leadscore/features/testfiles"
)

// paperSummary reads the paper's calibration statistics (x, tₓ, T in weeks,
// and zbar, the mean spend of repeat purchases) for the 2,357 customers.
func paperSummary(t *testing.T) ([]Summary, []Spend) {
	t.Helper()
	recs := testfiles.ReadCSV(t, "testdata/cdnow_customers_summary_with_transactions.csv")
	var err error
	var sum []Summary
	var spend []Spend
	for _, r := range recs[1:] {
		v := make([]float64, 4)
		for i := range v {
			if v[i], err = strconv.ParseFloat(r[i+1], 64); err != nil {
				t.Fatal(err)
			}
		}
		sum = append(sum, Summary{X: v[0], TX: v[1], T: v[2]})
		if v[0] > 0 {
			spend = append(spend, Spend{X: v[0], M: v[3]})
		}
	}
	return sum, spend
}

func within(t *testing.T, name string, got, want, rel float64) {
	t.Helper()
	if math.IsNaN(got) || math.Abs(got-want) > rel*math.Abs(want) {
		t.Errorf("%s = %.6g, want %.6g ± %.2g%%", name, got, want, 100*rel)
	}
}

// TestBGNBDPaper reproduces Fader, Hardie & Lee (2005) on the CDNOW sample:
// r = 0.2426, α = 4.4136, a = 0.7929, b = 2.4259, LL = −9582.43 (CLVTools'
// higher-precision MLE), each within 0.5%.
func TestBGNBDPaper(t *testing.T) {
	sum, _ := paperSummary(t)
	if len(sum) != 2357 {
		t.Fatalf("%d customers, want 2357", len(sum))
	}
	m, err := FitBGNBD(context.Background(), sum, FitConfig{})
	if err != nil {
		t.Fatal(err)
	}
	within(t, "r", m.R, 0.2426, 0.005)
	within(t, "alpha", m.Alpha, 4.4136, 0.005)
	within(t, "a", m.A, 0.7929, 0.005)
	within(t, "b", m.B, 2.4259, 0.005)
	within(t, "log-likelihood", m.LogLikelihood, -9582.43, 0.00001)
	// The paper's worked example: x = 2, tₓ = 30.43, T = 38.86 → 1.226
	// expected purchases in the next 39 weeks.
	within(t, "E[Y(39) | 2, 30.43, 38.86]", m.ExpectedPurchases(Summary{X: 2, TX: 30.43, T: 38.86}, 39), 1.226, 0.005)
}

func TestBGNBDAtPublishedParameters(t *testing.T) {
	sum, _ := paperSummary(t)
	m := BGNBD{R: 0.2425945, Alpha: 4.4136019, A: 0.7929199, B: 2.4258881}
	ll := 0.0
	for _, s := range sum {
		ll += m.logLik(s)
	}
	// CDNOW SOURCE.md: −9582.4256 at CLVTools' MLE.
	if math.Abs(ll-(-9582.4256)) > 1e-3 {
		t.Errorf("log-likelihood at the published MLE = %.4f, want −9582.4256", ll)
	}
	if p := m.PAlive(Summary{X: 0, T: 30}); p != 1 {
		t.Errorf("P(alive) with no repeat = %v, want 1", p)
	}
	// P(alive) falls as the silence since the last purchase grows.
	prev := 1.0
	for _, tx := range []float64{38, 30, 20, 10, 1} {
		p := m.PAlive(Summary{X: 3, TX: tx, T: 38.86})
		if p >= prev {
			t.Errorf("P(alive) at tₓ = %v is %v, not below %v", tx, p, prev)
		}
		prev = p
	}
}

// TestGammaGammaPaper reproduces p = 6.2496, q = 3.7442, γ = 15.4435 on the
// 946 repeat buyers, each within 0.5%.
func TestGammaGammaPaper(t *testing.T) {
	_, spend := paperSummary(t)
	if len(spend) != 946 {
		t.Fatalf("%d repeat buyers, want 946", len(spend))
	}
	g, err := FitGammaGamma(context.Background(), spend)
	if err != nil {
		t.Fatal(err)
	}
	within(t, "p", g.P, 6.2496, 0.005)
	within(t, "q", g.Q, 3.7442, 0.005)
	within(t, "gamma", g.V, 15.4435, 0.005)
	// SOURCE.md: −4055.9247 at (6.25, 3.74, 15.44).
	at := GammaGamma{P: 6.25, Q: 3.74, V: 15.44}
	ll := 0.0
	for _, s := range spend {
		ll += at.logLik(s)
	}
	if math.Abs(ll-(-4055.9247)) > 1e-3 {
		t.Errorf("Gamma-Gamma log-likelihood at (6.25, 3.74, 15.44) = %.4f, want −4055.9247", ll)
	}
}

func TestHyp2F1(t *testing.T) {
	// ₂F₁(1, 1; 2; z) = −ln(1−z)/z.
	for _, z := range []float64{0.1, 0.5, 0.9, 0.999} {
		want := -math.Log1p(-z) / z
		if got := hyp2f1(1, 1, 2, z); math.Abs(got-want) > 1e-9*want {
			t.Errorf("2F1(1,1;2;%v) = %v, want %v", z, got, want)
		}
	}
	// Large parameters near 1, where the series alone fails: finite and
	// equal to Pfaff's form.
	got := hyp2f1(150.2, 160.5, 300.1, 0.995)
	if math.IsNaN(got) || math.IsInf(got, 0) {
		t.Errorf("2F1 with large parameters = %v", got)
	}
}

// TestBGNBDSameOnAnyCores fits more distinct summaries than one chunk
// holds on one core and on three: the fit must be the same to the bit.
func TestBGNBDSameOnAnyCores(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	data := make([]Summary, 3*fitChunk)
	for i := range data {
		T := 1 + 100*r.Float64()
		x := float64(r.IntN(8))
		tx := 0.0
		if x > 0 {
			tx = T * r.Float64()
		}
		data[i] = Summary{X: x, TX: tx, T: T}
	}
	fit := func(cores int) BGNBD {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(cores))
		m, err := FitBGNBD(context.Background(), data, FitConfig{})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	one, three := fit(1), fit(3)
	if one != three {
		t.Errorf("one core: %+v; three: %+v", one, three)
	}
}
