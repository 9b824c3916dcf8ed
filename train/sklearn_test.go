package train

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"strconv"
	"testing"

	"leadscore/features/testfiles"
)

// TestFitLogisticMatchesSklearn compares FitLogistic with scikit-learn's
// LogisticRegression (L2, lbfgs, tol 1e-12) on the fixture made by
// testdata/gen_lr_sklearn.py, for three values of C. Tolerance: 1e-3 on
// every coefficient and the intercept (observed differences are far smaller).
// readFixture reads testdata/lr_fixture.csv: p feature columns and y.
func readFixture(t *testing.T) (x []float64, y []bool, p int) {
	t.Helper()
	recs := testfiles.ReadCSV(t, "testdata/lr_fixture.csv")
	p = len(recs[0]) - 1
	for _, r := range recs[1:] {
		for j := range p {
			v, err := strconv.ParseFloat(r[j], 64)
			if err != nil {
				t.Fatal(err)
			}
			x = append(x, v)
		}
		y = append(y, r[p] == "1")
	}
	return x, y, p
}

func TestFitLogisticMatchesSklearn(t *testing.T) {
	x, y, p := readFixture(t)
	b, err := os.ReadFile("testdata/lr_sklearn.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Fits []struct {
			C         float64
			Intercept float64
			Coef      []float64
		}
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	for _, fit := range ref.Fits {
		lr, err := FitLogistic(context.Background(), x, y, p, LogisticConfig{C: fit.C})
		if err != nil {
			t.Fatal(err)
		}
		worst := math.Abs(lr.Intercept - fit.Intercept)
		for j := range p {
			worst = math.Max(worst, math.Abs(lr.Coef[j]-fit.Coef[j]))
		}
		if worst > 1e-3 {
			t.Errorf("C=%g: largest difference from scikit-learn %.2g (intercept %v vs %v, coef %v vs %v)",
				fit.C, worst, lr.Intercept, fit.Intercept, lr.Coef, fit.Coef)
		}
		t.Logf("C=%g: largest difference from scikit-learn %.2g", fit.C, worst)
	}
}
