package predict

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
)

// stump is a tree of one split and two leaves.
func stump() Tree {
	return Tree{Left: []int32{1, -1, -1}, Right: []int32{2, -1, -1}, Feature: []int32{0, -1, -1}, Threshold: []float32{0.5, 0, 0},
		DefaultLeft: []bool{true, false, false}, Value: []float64{0, -0.2, 0.3}, Cover: []float64{10, 4, 6}, Gain: []float64{1, 0, 0}}
}

// TestTreeShape: trees whose nodes do not form one binary tree are refused
// at load, before they can loop or panic in scoring.
func TestTreeShape(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Tree)
	}{
		{"children are the same node", func(t *Tree) { t.Right[0] = 1 }},
		{"two parents share a child", func(t *Tree) {
			// 0 → (1, 2), 1 → (3, 4), 2 → (4, 5): node 4 has two parents, 3 none twice.
			*t = Tree{Left: []int32{1, 3, 4, -1, -1, -1}, Right: []int32{2, 4, 5, -1, -1, -1}, Feature: []int32{0, 0, 0, -1, -1, -1},
				Threshold: make([]float32, 6), DefaultLeft: make([]bool, 6), Value: make([]float64, 6),
				Cover: []float64{4, 2, 2, 1, 1, 1}, Gain: make([]float64, 6)}
		}},
		{"a node no one reaches", func(t *Tree) {
			t.Left, t.Right, t.Feature = append(t.Left, -1), append(t.Right, -1), append(t.Feature, -1)
			t.Threshold, t.DefaultLeft = append(t.Threshold, 0), append(t.DefaultLeft, false)
			t.Value, t.Cover, t.Gain = append(t.Value, 1), append(t.Cover, 1), append(t.Gain, 0)
		}},
		{"child out of range", func(t *Tree) { t.Right[0] = 7 }},
		{"leaf value 1e308", func(t *Tree) { t.Value[1] = 1e308 }},
		{"leaf value NaN", func(t *Tree) { t.Value[1] = math.NaN() }},
		{"threshold infinite", func(t *Tree) { t.Threshold[0] = float32(math.Inf(1)) }},
		{"category code out of range", func(t *Tree) { t.CatNodes, t.CatRight = []int32{0}, [][]int32{{300}} }},
		{"categorical node listed twice", func(t *Tree) { t.CatNodes, t.CatRight = []int32{0, 0}, [][]int32{{1}, {2}} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := stump()
			tt.edit(&tr)
			ts := &Trees{Trees: []Tree{tr}, GainImportance: []float64{1}}
			err := ts.Prepare(1)
			if err == nil {
				t.Fatal("Prepare accepted the tree")
			}
			t.Log(err)
		})
	}
	ts := &Trees{Trees: []Tree{stump()}, GainImportance: []float64{1}}
	if err := ts.Prepare(1); err != nil {
		t.Errorf("a stump: %v", err)
	}
	// A chain one level deeper than maxTreeDepth: inner node 2d has the
	// leaf 2d+1 on its left and node 2d+2 on its right.
	n := maxTreeDepth + 1
	var chain Tree
	for i := range 2*n + 1 {
		l, r, f := int32(-1), int32(-1), int32(-1)
		if i%2 == 0 && i < 2*n {
			l, r, f = int32(i+1), int32(i+2), 0
		}
		chain.Left, chain.Right, chain.Feature = append(chain.Left, l), append(chain.Right, r), append(chain.Feature, f)
		chain.Threshold, chain.DefaultLeft = append(chain.Threshold, float32(i)), append(chain.DefaultLeft, true)
		chain.Value, chain.Cover, chain.Gain = append(chain.Value, 0.1), append(chain.Cover, float64(2*n+1-i)), append(chain.Gain, 0)
	}
	if err := (&Trees{Trees: []Tree{chain}, GainImportance: []float64{1}}).Prepare(1); err == nil || !strings.Contains(err.Error(), "deeper") {
		t.Errorf("a chain of %d levels: %v, want too deep", n, err)
	}
}

// TestModelNumbers: coefficients, scales and calibrations out of range
// are refused with a *ModelError.
func TestModelNumbers(t *testing.T) {
	m := tinyModel(t)
	var buf bytes.Buffer
	if err := m.Write(&buf); err != nil {
		t.Fatal(err)
	}
	edits := []struct{ name, from, to string }{
		{"coefficient 1e308", `"coef": [
      2
    ]`, `"coef": [1e308]`},
		{"scale 1e-320", `"scale": 2`, `"scale": 1e-320`},
		{"intercept 1e300", `"intercept": 0.5`, `"intercept": 1e300`},
	}
	for _, tt := range edits {
		s := strings.Replace(buf.String(), tt.from, tt.to, 1)
		if s == buf.String() {
			t.Fatalf("%s: edit did not apply", tt.name)
		}
		var me *ModelError
		if _, err := Read(strings.NewReader(s), "model.json"); !errors.As(err, &me) {
			t.Errorf("%s: error = %v, want a *ModelError", tt.name, err)
		}
	}
}

// TestModelIDMatchesContent: a model.json edited by hand (a coefficient
// changed, the features emptied) no longer loads under its old id.
func TestModelIDMatchesContent(t *testing.T) {
	m := tinyModel(t)
	var buf bytes.Buffer
	if err := m.Write(&buf); err != nil {
		t.Fatal(err)
	}
	for _, e := range []struct{ from, to string }{
		{`"coef": [
      2
    ]`, `"coef": [2.5]`},
		{`"label": "won"`, `"label": "converted"`},
		{`"impute": 1`, `"impute": 3`},
	} {
		s := strings.Replace(buf.String(), e.from, e.to, 1)
		if s == buf.String() {
			t.Fatalf("edit %q did not apply", e.from)
		}
		_, err := Read(strings.NewReader(s), "model.json")
		var me *ModelError
		if !errors.As(err, &me) || !strings.Contains(err.Error(), "does not match its content") {
			t.Errorf("edit %q: error = %v, want an id mismatch", e.from, err)
		}
	}
}
