//go:build cgo

package train

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	liblinear "github.com/sjwhitworth/golearn/linear_models"
)

// TestGolearnLiblinearCrossCheck fits the fixture with golearn's binding of
// liblinear (L2-regularised logistic regression, an independent solver) and
// checks that its decisions agree with FitLogistic's. golearn's limits shape
// the test: it returns labels, not probabilities or coefficients; liblinear
// penalises the intercept, so a constant column of 100 stands in for one
// (its weight's penalty is then negligible); and golearn's Predict drops
// feature values that are not positive, so the features are shifted by +10.
// golearn's cgo calls fail Go's cgocheck, so the test reruns itself with
// GODEBUG=cgocheck=0.
func TestGolearnLiblinearCrossCheck(t *testing.T) {
	if !strings.Contains(os.Getenv("GODEBUG"), "cgocheck=0") {
		cmd := exec.Command(os.Args[0], "-test.run=^TestGolearnLiblinearCrossCheck$", "-test.v")
		cmd.Env = append(os.Environ(), "GODEBUG=cgocheck=0")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestGolearnLiblinearCrossCheck") {
			t.Fatalf("golearn cross-check (rerun with GODEBUG=cgocheck=0) failed: %v\n%s", err, out)
		}
		for _, l := range strings.Split(string(out), "\n") {
			if strings.Contains(l, "agrees on") {
				t.Log(strings.TrimSpace(l))
			}
		}
		return
	}
	x, y, p := readFixture(t)
	flat := make([]float64, len(x))
	var rows [][]float64
	var yf []float64
	for i := range y {
		row := make([]float64, 0, p+1)
		for j := range p {
			flat[i*p+j] = x[i*p+j] + 10
			row = append(row, x[i*p+j]+10)
		}
		rows = append(rows, append(row, 100))
		yf = append(yf, b2f(y[i]))
	}
	const c = 0.5
	ours, err := FitLogistic(context.Background(), flat, y, p, LogisticConfig{C: c})
	if err != nil {
		t.Fatal(err)
	}
	model := liblinear.Train(liblinear.NewProblem(rows, yf, -1), liblinear.NewParameter(liblinear.L2R_LR, c, 1e-10))
	agree, near := 0, 0
	for i, row := range rows {
		logit := ours.Logit(row[:p])
		theirs := liblinear.Predict(model, row) == 1
		if (logit > 0) == theirs {
			agree++
		} else if logit > -0.05 && logit < 0.05 {
			near++ // on the boundary: either answer is right
		} else {
			t.Errorf("row %d: our logit %.3f, liblinear says %v", i+1, logit, theirs)
		}
	}
	t.Logf("liblinear agrees on %d of %d rows; %d disagreements lie within 0.05 of the boundary", agree, len(rows), near)
}
