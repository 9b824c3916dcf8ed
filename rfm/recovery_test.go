package rfm

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"leadscore/datasets"
	"leadscore/features"
)

// TestParameterRecovery simulates customers with known BG/NBD and
// Gamma-Gamma parameters and checks that the fit recovers them.
func TestParameterRecovery(t *testing.T) {
	p := filepath.Join(t.TempDir(), "orders.csv")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	cfg := datasets.OrdersConfig{Customers: 30000, Seed: 5, R: 0.5, Alpha: 6, A: 0.8, B: 4, P: 6, Q: 4, Gamma: 15}
	if _, err := datasets.GenerateOrders(context.Background(), cfg, f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	res, err := Compute(context.Background(), Config{Orders: features.Source{Path: p}, AsOf: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Model
	// With 30,000 customers the estimates land within a few standard errors
	// of the truth; these tolerances are about three of them. (Orders on one
	// day merge, a small bias for the fastest buyers.)
	within(t, "r", m.R, 0.5, 0.10)
	within(t, "alpha", m.Alpha, 6, 0.12)
	within(t, "a", m.A, 0.8, 0.20)
	within(t, "b", m.B, 4, 0.25)
	within(t, "p", m.P, 6, 0.15)
	within(t, "q", m.Q, 4, 0.15)
	within(t, "v", m.V, 15, 0.20)
	t.Logf("fitted r=%.3f alpha=%.3f a=%.3f b=%.3f p=%.3f q=%.3f v=%.3f (true 0.5 6 0.8 4 6 4 15)", m.R, m.Alpha, m.A, m.B, m.P, m.Q, m.V)
}
