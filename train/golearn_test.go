package train

import (
	"context"
	"encoding/csv"
	"os"
	"os/exec"
	"strconv"
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
	f, err := os.Open("testdata/lr_fixture.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	p := len(recs[0]) - 1
	var flat []float64
	var rows [][]float64
	var y []bool
	var yf []float64
	for _, r := range recs[1:] {
		row := make([]float64, 0, p+1)
		for j := range p {
			v, _ := strconv.ParseFloat(r[j], 64)
			row = append(row, v+10)
		}
		flat = append(flat, row...)
		rows = append(rows, append(row, 100))
		y = append(y, r[p] == "1")
		if r[p] == "1" {
			yf = append(yf, 1)
		} else {
			yf = append(yf, 0)
		}
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
