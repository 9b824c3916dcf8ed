package rfm

import (
	"context"
	"math"
	"strconv"
	"testing"
	"time"

	"leadscore/features"
)

func cdnowConfig() Config {
	return Config{
		Orders:         features.Source{Path: "testdata/cdnow_sample.csv.gz"},
		ObservationEnd: time.Date(1997, 9, 30, 0, 0, 0, 0, time.UTC),
		Unit:           "week",
	}
}

// TestComputeCDNOW summarises the raw CDNOW transactions as the paper did
// (calibration to 1997-09-30, weeks) and checks each customer's x, tₓ, T and
// repeat-purchase mean against the paper's table, then the fitted
// parameters against the published ones.
func TestComputeCDNOW(t *testing.T) {
	res, err := Compute(context.Background(), cdnowConfig())
	if err != nil {
		t.Fatal(err)
	}
	sum, spend := paperSummary(t)
	if len(res.Customers) != len(sum) {
		t.Fatalf("%d customers, want %d", len(res.Customers), len(sum))
	}
	si := 0
	for _, c := range res.Customers {
		id, _ := strconv.Atoi(c.EntityID)
		want := sum[id-1]
		if float64(c.X) != want.X || math.Abs(c.TX-want.TX) > 0.006 || math.Abs(c.T-want.T) > 0.006 {
			t.Errorf("customer %s: x %d tₓ %.3f T %.3f, paper %v %v %v", c.EntityID, c.X, c.TX, c.T, want.X, want.TX, want.T)
		}
		if c.X > 0 {
			_ = spend[si]
			si++
		}
	}
	m := res.Model
	within(t, "r", m.R, 0.2426, 0.005)
	within(t, "alpha", m.Alpha, 4.4136, 0.005)
	within(t, "a", m.A, 0.7929, 0.005)
	within(t, "b", m.B, 2.4259, 0.005)
	within(t, "log-likelihood", m.LogLikelihood, -9582.43, 0.0001)
	within(t, "p", m.P, 6.2496, 0.005)
	within(t, "q", m.Q, 3.7442, 0.005)
	within(t, "v", m.V, 15.4435, 0.005)
	if res.Stats.AfterEnd == 0 || res.Stats.Orders+res.Stats.AfterEnd != 6919 {
		t.Errorf("stats %+v: want the 6,919 transactions split at 1997-09-30", res.Stats)
	}
	if m.WindowStart != "1997-01-01" || m.WindowEnd != "1997-09-30" || m.TimeUnit != "week" {
		t.Errorf("model window %s–%s unit %s", m.WindowStart, m.WindowEnd, m.TimeUnit)
	}
}

func TestComputeChurnAndSegments(t *testing.T) {
	res, err := Compute(context.Background(), cdnowConfig())
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	var fallback, bg int
	for _, c := range res.Customers {
		counts[c.Segment]++
		switch c.ChurnMethod {
		case "recency_fallback":
			fallback++
			if c.X != 0 || c.PAlive != 1 {
				t.Errorf("%s: fallback for a repeat buyer", c.EntityID)
			}
		case "bgnbd":
			bg++
			if c.ChurnRisk != (c.PAlive < 0.5) {
				t.Errorf("%s: churn %v with P(alive) %v", c.EntityID, c.ChurnRisk, c.PAlive)
			}
		}
		if c.RScore < 1 || c.RScore > 5 || c.CLV == nil || *c.CLV < 0 || c.Recency > c.T+1e-9 {
			t.Errorf("%s: scores %d%d%d clv %v recency %v T %v", c.EntityID, c.RScore, c.FScore, c.MScore, c.CLV, c.Recency, c.T)
		}
	}
	if fallback != 2357-946 || bg != 946 {
		t.Errorf("churn methods: %d fallback, %d bgnbd; want 1411 and 946", fallback, bg)
	}
	if counts["Champions"] == 0 || counts["Lost"]+counts["Hibernating"] == 0 {
		t.Errorf("segments %v", counts)
	}
	// Each quintile holds a fifth of the customers.
	per := map[int32]int{}
	for _, c := range res.Customers {
		per[c.FScore]++
	}
	for s := int32(1); s <= 5; s++ {
		if n := per[s]; n < 471 || n > 472 {
			t.Errorf("f_score %d has %d customers, want 471 or 472", s, n)
		}
	}
}
