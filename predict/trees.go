package predict

import (
	"errors"
	"fmt"
	"math"
)

// Trees is a boosted ensemble of binary decision trees (model type "gbdt"):
// the raw log-odds of a row are Base plus, over the trees, the value of the
// leaf each tree sends the row to.
//
// A tree's inputs are the model's Features: a numeric feature's value, or a
// categorical feature's level code (its index in Feature.Levels, with
// len(Levels) for OtherLevel), and NaN when missing.
type Trees struct {
	Base  float64 `json:"base_score"` // log-odds before the first tree
	Trees []Tree  `json:"trees"`
	// Params are the training parameters, for the record.
	Params GBDTParams `json:"params"`
	// GainImportance is the total split gain per feature (Features order).
	GainImportance []float64 `json:"gain_importance"`
	// ShapImportance is the mean |SHAP value| per feature over the
	// validation rows.
	ShapImportance []float64 `json:"shap_importance,omitempty"`

	expected float64 // Base + each tree's cover-weighted mean leaf value
	maxDepth int
}

// GBDTParams are the boosting parameters a model was trained with.
type GBDTParams struct {
	Rounds              int     `json:"rounds"`
	BestIteration       int     `json:"best_iteration"` // trees kept
	Leaves              int     `json:"leaves"`
	MaxDepth            int     `json:"max_depth"`
	LearningRate        float64 `json:"learning_rate"`
	MinDataInLeaf       int     `json:"min_data_in_leaf"`
	MinSumHessian       float64 `json:"min_sum_hessian"`
	Lambda              float64 `json:"lambda"`
	Subsample           float64 `json:"subsample"`
	Colsample           float64 `json:"colsample"`
	EarlyStoppingRounds int     `json:"early_stopping_rounds"`
	MaxBins             int     `json:"max_bins"`
}

// Tree is one binary tree in parallel arrays indexed by node; node 0 is the
// root. A row goes left at a numeric node when float32(x) < Threshold, at a
// categorical node when its code is not in the node's set, and to the
// default side when x is missing. These are XGBoost's rules, so the tree
// exports to its JSON format unchanged.
type Tree struct {
	Left        []int32   `json:"left"` // −1 at a leaf
	Right       []int32   `json:"right"`
	Feature     []int32   `json:"feature"` // −1 at a leaf
	Threshold   []float32 `json:"threshold"`
	DefaultLeft []bool    `json:"default_left"`
	// Value is a leaf's output (learning rate applied); at an inner node,
	// the output the node would have as a leaf.
	Value []float64 `json:"value"`
	// Cover is the sum of the training rows' hessians reaching the node
	// (an inner node's is the sum of its children's).
	Cover []float64 `json:"cover"`
	Gain  []float64 `json:"gain"` // loss reduction of the split; 0 at a leaf
	// CatNodes are the categorical split nodes; CatRight[k] the sorted
	// level codes that go right at CatNodes[k].
	CatNodes []int32   `json:"cat_nodes,omitempty"`
	CatRight [][]int32 `json:"cat_right,omitempty"`

	nodes []treeNode
}

// treeNode is a node packed for fast traversal.
type treeNode struct {
	left, right int32
	feature     int32
	threshold   float32
	defaultLeft bool
	cat         *[4]uint64 // codes going right; nil at a numeric node
}

// maxCodes is the number of categorical codes a tree can split on.
const maxCodes = 256

// Prepare checks the ensemble against the number of features and readies
// it for scoring; Read and Finish call it.
func (ts *Trees) Prepare(nFeatures int) error { return ts.validate(nFeatures) }

func (ts *Trees) validate(nFeatures int) error {
	if ts == nil {
		return errors.New("tree ensemble missing")
	}
	if !finite(ts.Base) {
		return errors.New("base score is not finite")
	}
	if len(ts.GainImportance) != nFeatures || (ts.ShapImportance != nil && len(ts.ShapImportance) != nFeatures) {
		return fmt.Errorf("importance for %d features, model has %d", len(ts.GainImportance), nFeatures)
	}
	ts.expected, ts.maxDepth = ts.Base, 0
	for k := range ts.Trees {
		t := &ts.Trees[k]
		if err := t.prepare(nFeatures); err != nil {
			return fmt.Errorf("tree %d: %w", k, err)
		}
		ts.expected += t.expectedValue()
		ts.maxDepth = max(ts.maxDepth, t.depth(0))
	}
	return nil
}

// prepare checks the arrays and packs the nodes.
func (t *Tree) prepare(nFeatures int) error {
	n := len(t.Left)
	if n == 0 {
		return errors.New("no nodes")
	}
	if len(t.Right) != n || len(t.Feature) != n || len(t.Threshold) != n || len(t.DefaultLeft) != n ||
		len(t.Value) != n || len(t.Cover) != n || len(t.Gain) != n || len(t.CatNodes) != len(t.CatRight) {
		return errors.New("node arrays of different lengths")
	}
	t.nodes = make([]treeNode, n)
	for i := range n {
		l, r, f := t.Left[i], t.Right[i], t.Feature[i]
		if (l < 0) != (r < 0) || (l < 0) != (f < 0) {
			return fmt.Errorf("node %d: half a split", i)
		}
		if l >= 0 && (int(l) <= i || int(r) <= i || int(l) >= n || int(r) >= n || int(f) >= nFeatures) {
			return fmt.Errorf("node %d: child or feature out of range", i)
		}
		if !finite(t.Value[i]) || !(t.Cover[i] > 0) || math.IsInf(t.Cover[i], 0) {
			return fmt.Errorf("node %d: value or cover not finite and positive", i)
		}
		t.nodes[i] = treeNode{left: l, right: r, feature: f, threshold: t.Threshold[i], defaultLeft: t.DefaultLeft[i]}
	}
	for k, node := range t.CatNodes {
		if node < 0 || int(node) >= n || t.Left[node] < 0 {
			return fmt.Errorf("categorical node %d is not a split", node)
		}
		var bits [4]uint64
		for _, c := range t.CatRight[k] {
			if c < 0 || c >= maxCodes {
				return fmt.Errorf("node %d: category code %d out of range", node, c)
			}
			bits[c/64] |= 1 << (c % 64)
		}
		t.nodes[node].cat = &bits
	}
	return nil
}

func (t *Tree) depth(n int32) int {
	if t.Left[n] < 0 {
		return 0
	}
	return 1 + max(t.depth(t.Left[n]), t.depth(t.Right[n]))
}

// expectedValue is the cover-weighted mean of the leaf values: the tree's
// output when nothing is known about the row.
func (t *Tree) expectedValue() float64 {
	s := 0.0
	for i, l := range t.Left {
		if l < 0 {
			s += t.Value[i] * t.Cover[i]
		}
	}
	return s / t.Cover[0]
}

// goesLeft reports whether value x takes the left branch of node n.
func (n *treeNode) goesLeft(x float64) bool {
	switch {
	case math.IsNaN(x):
		return n.defaultLeft
	case n.cat != nil:
		c := int(x)
		return c < 0 || c >= maxCodes || n.cat[c/64]&(1<<(c%64)) == 0
	default:
		return float32(x) < n.threshold
	}
}

// GoesLeft reports whether value x takes the left branch of inner node n.
func (t *Tree) GoesLeft(n int32, x float64) bool { return t.nodes[n].goesLeft(x) }

// Leaf returns the leaf node row x reaches.
func (t *Tree) Leaf(x []float64) int32 {
	nodes := t.nodes
	i := int32(0)
	for {
		n := &nodes[i]
		if n.left < 0 {
			return i
		}
		if n.goesLeft(x[n.feature]) {
			i = n.left
		} else {
			i = n.right
		}
	}
}

// Logit returns the raw log-odds of row x.
func (ts *Trees) Logit(x []float64) float64 {
	s := ts.Base
	for k := range ts.Trees {
		t := &ts.Trees[k]
		s += t.Value[t.Leaf(x)]
	}
	return s
}

// ExpectedLogit is the SHAP base value: the log-odds expected when no
// feature is known.
func (ts *Trees) ExpectedLogit() float64 { return ts.expected }

// pathElem is an element of TreeSHAP's unique path: a feature, the share of
// training cover that flows along the path through its splits (zero) and
// whether the row itself does (one), and the weight of the permutations.
type pathElem struct {
	feature   int32
	zero, one float64
	weight    float64
}

// Shap holds the scratch space of TreeSHAP for one goroutine.
type Shap struct {
	ts     *Trees
	levels [][]pathElem
	phi    []float64
	x      []float64
}

// NewShap returns TreeSHAP scratch space for the ensemble.
func (ts *Trees) NewShap() *Shap {
	d := ts.maxDepth + 2
	s := &Shap{ts: ts, levels: make([][]pathElem, d+1)}
	for i := range s.levels {
		s.levels[i] = make([]pathElem, d+1)
	}
	return s
}

// Explain adds row x's exact SHAP values (Lundberg, Erion & Lee 2018,
// "Consistent individualized feature attribution for tree ensembles",
// algorithm 2, path-dependent) to phi, one per feature, and returns the
// row's log-odds. The values and ExpectedLogit sum to the log-odds.
func (s *Shap) Explain(x []float64, phi []float64) float64 {
	s.phi, s.x = phi, x
	for k := range s.ts.Trees {
		s.recurse(&s.ts.Trees[k], 0, 0, nil, 1, 1, -1)
	}
	return s.ts.Logit(x)
}

func (s *Shap) recurse(t *Tree, node int32, level int, parent []pathElem, pz, po float64, pf int32) {
	path := s.levels[level][:len(parent)]
	copy(path, parent)
	path = extendPath(path, pz, po, pf)
	n := &t.nodes[node]
	if n.left < 0 {
		v := t.Value[node]
		for i := 1; i < len(path); i++ {
			e := &path[i]
			s.phi[e.feature] += unwoundSum(path, i) * (e.one - e.zero) * v
		}
		return
	}
	hot, cold := n.right, n.left
	if n.goesLeft(s.x[n.feature]) {
		hot, cold = n.left, n.right
	}
	iz, io := 1.0, 1.0
	for k := 1; k < len(path); k++ {
		if path[k].feature == n.feature {
			iz, io = path[k].zero, path[k].one
			path = unwindPath(path, k)
			break
		}
	}
	c := t.Cover[node]
	s.recurse(t, hot, level+1, path, iz*t.Cover[hot]/c, io, n.feature)
	s.recurse(t, cold, level+1, path, iz*t.Cover[cold]/c, 0, n.feature)
}

// extendPath appends a feature with its zero and one fractions to the
// path and updates the permutation weights.
func extendPath(path []pathElem, pz, po float64, pf int32) []pathElem {
	l := len(path)
	w := 0.0
	if l == 0 {
		w = 1
	}
	path = append(path, pathElem{feature: pf, zero: pz, one: po, weight: w})
	inv := 1 / float64(l+1)
	for i := l - 1; i >= 0; i-- {
		path[i+1].weight += po * path[i].weight * float64(i+1) * inv
		path[i].weight = pz * path[i].weight * float64(l-i) * inv
	}
	return path
}

// unwindPath removes element k, undoing its extension.
func unwindPath(path []pathElem, k int) []pathElem {
	d := len(path) - 1
	one, zero := path[k].one, path[k].zero
	next := path[d].weight
	for i := d - 1; i >= 0; i-- {
		if one != 0 {
			tmp := path[i].weight
			path[i].weight = next * float64(d+1) / (float64(i+1) * one)
			next = tmp - path[i].weight*zero*float64(d-i)/float64(d+1)
		} else {
			path[i].weight = path[i].weight * float64(d+1) / (zero * float64(d-i))
		}
	}
	for i := k; i < d; i++ {
		path[i].feature, path[i].zero, path[i].one = path[i+1].feature, path[i+1].zero, path[i+1].one
	}
	return path[:d]
}

// unwoundSum is the total permutation weight the path would have without
// element k.
func unwoundSum(path []pathElem, k int) float64 {
	d := len(path) - 1
	one, zero := path[k].one, path[k].zero
	next := path[d].weight
	total := 0.0
	for i := d - 1; i >= 0; i-- {
		if one != 0 {
			tmp := next * float64(d+1) / (float64(i+1) * one)
			total += tmp
			next = path[i].weight - tmp*zero*float64(d-i)/float64(d+1)
		} else {
			total += path[i].weight / zero * float64(d+1) / float64(d-i)
		}
	}
	return total
}
