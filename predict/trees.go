package predict

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"unsafe"

	"golang.org/x/sync/errgroup"

	"gonum.org/v1/gonum/integrate/quad"
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
	maxDepth int     // of the deepest tree
	maxNodes int     // of the largest tree
	// leafShaps builds the trees' SHAP tables once, for the first NewShap:
	// scoring alone does not need them.
	leafShaps *sync.Once
	fast      *binnedTrees // nil when a feature has too many thresholds
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

	nodes    []treeNode
	maxDepth int
	shap     *shapTables
	leafShap *leafShap // nil when its tables would be too large
}

// treeNode is a node packed for fast traversal: its children and, at an
// inner node, its decision.
type treeNode struct {
	left, right int32
	Split
}

// maxCodes is the number of categorical codes a tree can split on;
// training codes at most maxSetCode+1 of them (Levels and OtherLevel), so
// that the binned scorer keeps one bin for codes beyond.
const (
	maxCodes   = 256
	maxSetCode = 253
)

// Prepare checks the ensemble against the number of features and readies
// it for scoring; Read and Finish call it.
func (ts *Trees) Prepare(nFeatures int) error { return ts.validate(nFeatures) }

func (ts *Trees) validate(nFeatures int) error {
	if ts == nil {
		return errors.New("tree ensemble missing")
	}
	if !(math.Abs(ts.Base) <= maxLeafValue) {
		return fmt.Errorf("base score %g is not a number within ±%g", ts.Base, float64(maxLeafValue))
	}
	if len(ts.GainImportance) != nFeatures || (ts.ShapImportance != nil && len(ts.ShapImportance) != nFeatures) {
		return fmt.Errorf("importance for %d features, model has %d", len(ts.GainImportance), nFeatures)
	}
	for k := range ts.GainImportance {
		if !finite(ts.GainImportance[k]) || ts.ShapImportance != nil && !finite(ts.ShapImportance[k]) {
			return fmt.Errorf("importance of feature %d is not finite", k)
		}
	}
	ts.expected, ts.maxDepth = ts.Base, 0
	for k := range ts.Trees {
		t := &ts.Trees[k]
		if err := t.prepare(nFeatures); err != nil {
			return fmt.Errorf("tree %d: %w", k, err)
		}
		ts.expected += t.expectedValue()
		t.maxDepth = t.depth(0)
		ts.maxDepth = max(ts.maxDepth, t.maxDepth)
		t.shap = newShapTables(t, nFeatures)
		t.leafShap = nil
		ts.maxNodes = max(ts.maxNodes, len(t.Left))
	}
	ts.fast = newBinnedTrees(ts, nFeatures)
	ts.leafShaps = new(sync.Once)
	return nil
}

// buildLeafShaps builds every tree's SHAP tables, on as many goroutines as
// there are processors.
func (ts *Trees) buildLeafShaps() {
	nf := len(ts.GainImportance)
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for k := range ts.Trees {
		g.Go(func() error {
			t := &ts.Trees[k]
			t.leafShap = newLeafShap(t, nf)
			if t.leafShap != nil && ts.fast != nil {
				t.leafShap.setBins(ts.fast.nodes[ts.fast.roots[k]:])
			}
			return nil
		})
	}
	g.Wait()
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
		if !(math.Abs(t.Value[i]) <= maxLeafValue) || !(t.Cover[i] > 0 && t.Cover[i] <= maxCover) || !finite(t.Gain[i]) {
			return fmt.Errorf("node %d: value, cover or gain out of range (|value| ≤ %g, 0 < cover ≤ %g)", i, float64(maxLeafValue), float64(maxCover))
		}
		if l >= 0 && !finite(float64(t.Threshold[i])) {
			return fmt.Errorf("node %d: threshold not finite", i)
		}
		t.nodes[i] = treeNode{left: l, right: r, Split: Split{Feature: f, Threshold: t.Threshold[i], DefaultLeft: t.DefaultLeft[i]}}
	}
	if err := t.checkShape(); err != nil {
		return err
	}
	for k, node := range t.CatNodes {
		if node < 0 || int(node) >= n || t.Left[node] < 0 {
			return fmt.Errorf("categorical node %d is not a split", node)
		}
		if t.nodes[node].Right != nil {
			return fmt.Errorf("categorical node %d is listed twice", node)
		}
		var bits [4]uint64
		for _, c := range t.CatRight[k] {
			if c < 0 || c >= maxCodes {
				return fmt.Errorf("node %d: category code %d out of range", node, c)
			}
			bits[c/64] |= 1 << (c % 64)
		}
		t.nodes[node].Right = &bits
	}
	return nil
}

// Bounds that a model file must respect: a leaf's value is a log-odds step
// (XGBoost's are below 10), and trees are at most maxTreeDepth deep.
const (
	maxLeafValue = 1e3
	maxCover     = 1e15
	maxTreeDepth = 64
)

// checkShape checks that the nodes form one binary tree: walking from the
// root reaches every node exactly once (no node with two parents, no
// child that is its sibling, none left over) within maxTreeDepth levels.
// Children are known to be in range and after their parent.
func (t *Tree) checkShape() error {
	seen := make([]bool, len(t.Left))
	level := []int32{0}
	seen[0] = true
	reached := 1
	for depth := 0; len(level) > 0; depth++ {
		if depth > maxTreeDepth {
			return fmt.Errorf("deeper than %d levels", maxTreeDepth)
		}
		var next []int32
		for _, n := range level {
			if t.Left[n] < 0 {
				continue
			}
			for _, c := range [2]int32{t.Left[n], t.Right[n]} {
				if seen[c] {
					return fmt.Errorf("node %d is reached twice (node %d's child)", c, n)
				}
				seen[c] = true
				reached++
				next = append(next, c)
			}
		}
		level = next
	}
	if reached != len(t.Left) {
		return fmt.Errorf("%d of %d nodes are not reached from the root", len(t.Left)-reached, len(t.Left))
	}
	return nil
}

// uniqueDepth is the most distinct features on a path from node n down,
// not counting those in seen.
func (t *Tree) uniqueDepth(n int32, seen []int32) int {
	if t.Left[n] < 0 {
		return 0
	}
	f, add := t.Feature[n], 1
	if slices.Contains(seen, f) {
		add = 0
	} else {
		seen = append(seen, f)
	}
	d := add + max(t.uniqueDepth(t.Left[n], seen), t.uniqueDepth(t.Right[n], seen))
	return d
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

// GoesLeft reports whether value x takes the left branch of inner node n.
func (t *Tree) GoesLeft(n int32, x float64) bool { return t.nodes[n].GoesLeft(x) }

// Leaf returns the leaf node row x reaches.
func (t *Tree) Leaf(x []float64) int32 {
	nodes := t.nodes
	i := int32(0)
	for {
		n := &nodes[i]
		if n.left < 0 {
			return i
		}
		if n.GoesLeft(x[n.Feature]) {
			i = n.left
		} else {
			i = n.right
		}
	}
}

// treeScorer scores a tree ensemble: on binned rows in blocks (binnedTrees)
// when the ensemble allows, and explains rows with TreeSHAP; the SHAP
// tables are built only when a row is first explained.
type treeScorer struct {
	e    *Encoder
	ts   *Trees
	x    []float64 // one input row
	bins []uint8   // a block of binned rows
	rows []float64 // a block of input rows, for explaining
	shap *Shap
}

func newTreeScorer(e *Encoder) *treeScorer {
	return &treeScorer{e: e, ts: e.m.Trees, x: make([]float64, len(e.m.Features))}
}

func (s *treeScorer) clone(e *Encoder) scorer { return newTreeScorer(e) }

// logits scores the rows in blocks of 256, tree by tree.
func (s *treeScorer) logits(rows []int, out []float64) {
	if s.ts.fast == nil {
		for j, i := range rows {
			s.e.TreeRow(i, s.x)
			out[j] = s.ts.slowLogit(s.x)
		}
		return
	}
	const block = 256
	p := len(s.x)
	if len(s.bins) < block*p {
		s.bins = make([]uint8, block*p)
	}
	for lo := 0; lo < len(rows); lo += block {
		hi := min(len(rows), lo+block)
		for j := lo; j < hi; j++ {
			s.e.TreeRow(rows[j], s.x)
			s.ts.fast.bin(s.x, s.bins[(j-lo)*p:(j-lo+1)*p])
		}
		s.ts.fast.logitBlock(s.bins[:(hi-lo)*p], p, out[lo:hi])
	}
}

// explain explains the rows tree by tree over the block, which keeps each
// tree's tables in cache.
func (s *treeScorer) explain(rows []int, logits, contrib []float64) {
	if s.shap == nil {
		s.shap = s.ts.NewShap()
	}
	p := len(s.x)
	if len(s.rows) < len(rows)*p {
		s.rows = make([]float64, len(rows)*p)
	}
	for j, i := range rows {
		s.e.TreeRow(i, s.rows[j*p:(j+1)*p])
	}
	clear(contrib[:len(rows)*p])
	s.shap.ExplainBlock(s.rows, len(rows), contrib, logits)
}

// Logit returns the raw log-odds of row x.
func (ts *Trees) Logit(x []float64) float64 {
	if f := ts.fast; f != nil {
		var buf [128]uint8
		b := buf[:0]
		if len(x) > len(buf) {
			b = make([]uint8, 0, len(x))
		}
		var out [1]float64
		f.logitBlock(f.bin(x, b[:len(x)]), len(x), out[:])
		return out[0]
	}
	return ts.slowLogit(x)
}

// slowLogit walks the trees on the values themselves.
func (ts *Trees) slowLogit(x []float64) float64 {
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

// Shap computes exact path-dependent SHAP values (Lundberg, Erion & Lee
// 2018, "Consistent individualized feature attribution for tree
// ensembles") with the scratch space of one goroutine.
//
// It evaluates them in their integral form (as Linear TreeShap, Yu et al.
// 2022, does): for a leaf with value v whose path holds the features U, each
// with the share z of training cover its splits pass and o = 1 when the row
// passes them all (else 0), feature i receives
//
//	v · (o_i − z_i) · ∫₀¹ Π_{j∈U, j≠i} (z_j·(1−t) + o_j·t) dt.
//
// The integrand is a polynomial of degree < |U|, so Gauss–Legendre
// quadrature with ⌈depth/2⌉ points (gonum's quad.Legendre) is exact. One
// walk over the tree carries the product at those points down and the leaf
// sums up, and credits each feature at the deepest split on it: O(nodes ×
// points) per tree, where the original algorithm costs O(leaves × depth²).
// That walk is the reference and the fallback: trees are explained from
// tables of the same integral per subtree (leafShap), which cost
// O(nodes + Σ features per subtree) per row.
type Shap struct {
	ts  *Trees
	x   []float64
	phi []float64
	o   []float64 // per feature: 1 while the row passes every split on it so far
	acc []float64 // per feature × point: leaf sums below deeper splits on it
	lv  []shapLevel
	g   int // stride of acc: the most points of any tree
	// block and leaf are leafShap's scratch; walk forces the walk on every
	// tree (for tests that compare the two).
	block *shapBlock
	leaf  *leafScratch
	bins  []uint8   // ExplainBlock: the block's rows, binned, feature by feature
	phiT  []float64 // ExplainBlock: the block's values, feature by feature
	walk  bool
}

type shapLevel struct {
	p, r, saved []float64 // per point
}

// shapTables are a tree's row-independent TreeSHAP quantities, computed
// once: the quadrature, and per node c below a split on feature f the
// cover share z_c of f's splits on the path to c, the cover ratio r_c to
// its parent, and, at each point t, the factor ratios q_c/q_parent (for a
// row that passed f's splits above and fails (m10) or passes (m11) this
// one) and 1/q_c (inv0: fails, inv1: passes), where q = z·(1−t) + o·t. A
// row's walk then multiplies and adds only.
type shapTables struct {
	g    int
	w    []float64
	z, r []float64 // per node
	tab  []float64 // per node: m10, m11, inv0, inv1, g values each
}

func newShapTables(t *Tree, nFeatures int) *shapTables {
	// The integrand's degree is below the number of distinct features on a
	// path, which repeated splits on one feature keep under the depth.
	g := max(1, (t.uniqueDepth(0, nil)+1)/2)
	n := len(t.Left)
	tb := &shapTables{g: g, w: make([]float64, g), z: make([]float64, n), r: make([]float64, n), tab: make([]float64, 4*g*n)}
	pts := make([]float64, g)
	quad.Legendre{}.FixedLocations(pts, tb.w, 0, 1)
	z := make([]float64, nFeatures)
	for i := range z {
		z[i] = 1
	}
	var walk func(node int32)
	walk = func(node int32) {
		if t.Left[node] < 0 {
			return
		}
		f := t.Feature[node]
		zOld := z[f]
		for _, c := range [2]int32{t.Left[node], t.Right[node]} {
			tb.r[c] = t.Cover[c] / t.Cover[node]
			zc := zOld * tb.r[c]
			tb.z[c] = zc
			row := tb.tab[int(c)*4*g : (int(c)+1)*4*g]
			for i, ti := range pts {
				u := 1 - ti
				q1Old := zOld*u + ti
				row[i] = zc * u / q1Old        // m10
				row[g+i] = (zc*u + ti) / q1Old // m11
				row[2*g+i] = 1 / (zc * u)      // inv0
				row[3*g+i] = 1 / (zc*u + ti)   // inv1
			}
			z[f] = zc
			walk(c)
		}
		z[f] = zOld
	}
	walk(0)
	return tb
}

// NewShap returns TreeSHAP scratch space for the ensemble.
func (ts *Trees) NewShap() *Shap {
	ts.leafShaps.Do(ts.buildLeafShaps)
	nf := len(ts.GainImportance)
	g := max(1, (ts.maxDepth+1)/2)
	s := &Shap{ts: ts, g: g, o: make([]float64, nf), acc: make([]float64, nf*g), lv: make([]shapLevel, ts.maxDepth+2), block: newShapBlock(ts.maxNodes), leaf: newLeafScratch()}
	for i := range s.lv {
		s.lv[i] = shapLevel{p: make([]float64, g), r: make([]float64, g), saved: make([]float64, g)}
	}
	for i := range s.o {
		s.o[i] = 1
	}
	return s
}

// Explain adds row x's SHAP values to phi, one per feature, and returns
// the row's log-odds; the values and ExpectedLogit sum to the log-odds.
func (s *Shap) Explain(x []float64, phi []float64) float64 {
	logit := s.ts.Base
	for k := range s.ts.Trees {
		logit += s.tree(&s.ts.Trees[k], x, phi)
	}
	return logit
}

// ExplainBlock adds the SHAP values of n rows to phi and writes their
// log-odds to logits: row r's inputs are x[r·p:(r+1)·p], its values go to
// phi[r·p:(r+1)·p] (p the number of features) and its log-odds, the sum
// Logit makes, to logits[r]. It walks tree by tree over the block, so that
// each tree's tables stay in cache, and sums the tables' values feature by
// feature (phiT) before adding them to phi.
func (s *Shap) ExplainBlock(x []float64, n int, phi, logits []float64) {
	p := len(s.o)
	for r := range n {
		logits[r] = s.ts.Base
	}
	bt := s.ts.fast
	if bt == nil || s.walk {
		for k := range s.ts.Trees {
			t := &s.ts.Trees[k]
			for r := range n {
				logits[r] += s.tree(t, x[r*p:(r+1)*p], phi[r*p:(r+1)*p])
			}
		}
		return
	}
	// Binned once, the rows' decisions are bit lookups in every tree; the
	// bins go feature by feature, so that a split reads its feature's bins
	// in a row.
	if len(s.bins) < n*p {
		s.bins, s.phiT = make([]uint8, n*p), make([]float64, n*p)
	}
	phiT := s.phiT[:n*p]
	clear(phiT)
	for r := range n {
		bt.binT(x[r*p:(r+1)*p], s.bins[r:], n)
	}
	for k := range s.ts.Trees {
		t := &s.ts.Trees[k]
		ls := t.leafShap
		if ls == nil {
			for r := range n {
				logits[r] += s.tree(t, x[r*p:(r+1)*p], phi[r*p:(r+1)*p])
			}
			continue
		}
		for lo := 0; lo < n; lo += shapRows {
			m := min(shapRows, n-lo)
			ls.decideBinned(s.bins[lo:], n, m, s.block)
			ls.sum(m, s.block, phiT[lo:], n, s.leaf)
			for r, v := range s.block.val[:m] {
				logits[lo+r] += v
			}
		}
	}
	for f := range p {
		for r, v := range phiT[f*n : (f+1)*n] {
			phi[r*p+f] += v
		}
	}
}

// tree adds row x's SHAP values from tree t to phi and returns the value of
// the leaf it reaches.
func (s *Shap) tree(t *Tree, x, phi []float64) float64 {
	if t.Left[0] < 0 {
		return t.Value[0] // a single leaf explains nothing
	}
	if t.leafShap != nil && !s.walk {
		return t.leafShap.explain(t, x, phi, s.block, s.leaf)
	}
	s.x, s.phi = x, phi
	p := s.lv[0].p[:t.shap.g]
	for i := range p {
		p[i] = 1
	}
	s.walkNode(t, 0, 0)
	return t.Value[t.Leaf(x)]
}

// walkNode sets s.lv[level].r to the sums over the leaves below node n of
// value × path product, at each point, crediting the splits on the way.
func (s *Shap) walkNode(t *Tree, n int32, level int) {
	tb := t.shap
	g := tb.g
	lv := &s.lv[level]
	nd := &t.nodes[n]
	if nd.left < 0 {
		v := t.Value[n]
		for i, p := range lv.p[:g] {
			lv.r[i] = v * p
		}
		return
	}
	clear(lv.r[:g])
	f := nd.Feature
	hot := nd.left
	if !nd.GoesLeft(s.x[f]) {
		hot = nd.right
	}
	oOld := s.o[f]
	acc := s.acc[int(f)*s.g : int(f)*s.g+g]
	next := &s.lv[level+1]
	for _, c := range [2]int32{nd.left, nd.right} {
		row := tb.tab[int(c)*4*g : (int(c)+1)*4*g]
		o := 0.0
		if c == hot {
			o = oOld
		}
		var inv []float64
		switch {
		case oOld == 0: // failed f above: fails here too
			r := tb.r[c]
			for i, p := range lv.p[:g] {
				next.p[i] = p * r
			}
			inv = row[2*g : 3*g]
		case o == 0:
			for i, m := range row[:g] {
				next.p[i] = lv.p[i] * m
			}
			inv = row[2*g : 3*g]
		default:
			for i, m := range row[g : 2*g] {
				next.p[i] = lv.p[i] * m
			}
			inv = row[3*g:]
		}
		s.o[f] = o
		copy(lv.saved[:g], acc)
		clear(acc)
		s.walkNode(t, c, level+1)
		// The leaves below c without a deeper split on f take f's share
		// from this split.
		sum := 0.0
		for i := range g {
			sum += tb.w[i] * (next.r[i] - acc[i]) * inv[i]
			acc[i] = lv.saved[i] + next.r[i]
			lv.r[i] += next.r[i]
		}
		s.phi[f] += (o - tb.z[c]) * sum
	}
	s.o[f] = oOld
}

// binnedTrees is the ensemble recoded for fast scoring: each input value is
// first replaced by its bin among the thresholds the trees use on its
// feature (0 for missing, as in training); then each node holds the set of
// bins that go right as 256 bits, so a step down a tree is a lookup without
// branches, numeric and categorical nodes alike. A leaf points to itself,
// and a node marks which of its children are leaves, so that rows walked
// together stop once all of them stand on leaves: leaf-wise trees are much
// deeper on their thin branches than where most rows go. The decisions are
// exactly those of Tree.Leaf.
type binnedTrees struct {
	base  float64
	cuts  [][]float32 // per numeric feature, the thresholds in use, sorted
	cat   []bool
	bins  []*Binner // per numeric feature, its cuts' Binner
	nodes []binnedNode
	roots []int32
	depth []int32
	value []float64 // per node: the leaf's value (0 at inner nodes)
}

type binnedNode struct {
	right   [4]uint64 // bins that go right
	child   [2]int32  // left, right; a leaf's are itself
	feature int32
	leaves  uint8 // bit 0: the left child is a leaf, bit 1: the right one
}

func newBinnedTrees(ts *Trees, nFeatures int) *binnedTrees {
	bt := &binnedTrees{base: ts.Base, cuts: make([][]float32, nFeatures), cat: make([]bool, nFeatures)}
	for k := range ts.Trees {
		t := &ts.Trees[k]
		for i, n := range t.nodes {
			if n.left < 0 {
				continue
			}
			if n.Right != nil {
				bt.cat[n.Feature] = true
			} else {
				bt.cuts[n.Feature] = append(bt.cuts[n.Feature], t.Threshold[i])
			}
		}
		for _, set := range t.CatRight {
			if len(set) > 0 && set[len(set)-1] > maxSetCode {
				return nil
			}
		}
	}
	for f, c := range bt.cuts {
		if bt.cat[f] && len(c) > 0 {
			return nil // a feature split both ways: not from this trainer
		}
		slices.Sort(c)
		c = slices.Compact(c)
		if len(c) > 254 {
			return nil
		}
		bt.cuts[f] = c
	}
	bt.bins = make([]*Binner, nFeatures)
	for f, c := range bt.cuts {
		if !bt.cat[f] {
			bt.bins[f] = NewBinner(c)
		}
	}
	for k := range ts.Trees {
		t := &ts.Trees[k]
		base := int32(len(bt.nodes)) // node i of tree k is bt.nodes[base+i]
		bt.roots = append(bt.roots, base)
		bt.depth = append(bt.depth, int32(t.maxDepth))
		for i, n := range t.nodes {
			self := base + int32(i)
			if n.left < 0 {
				bt.nodes = append(bt.nodes, binnedNode{child: [2]int32{self, self}, leaves: 3})
				bt.value = append(bt.value, t.Value[i])
				continue
			}
			bn := binnedNode{feature: n.Feature, child: [2]int32{base + n.left, base + n.right}, right: n.RightBins(bt.cuts[n.Feature])}
			if t.nodes[n.left].left < 0 {
				bn.leaves |= 1
			}
			if t.nodes[n.right].left < 0 {
				bn.leaves |= 2
			}
			bt.nodes = append(bt.nodes, bn)
			bt.value = append(bt.value, 0)
		}
	}
	return bt
}

// bin writes the bins of row x into b (len(x)).
func (bt *binnedTrees) bin(x []float64, b []uint8) []uint8 {
	for f, v := range x {
		b[f] = bt.binOf(f, v)
	}
	return b
}

// binT writes the bins of row x into b[0], b[stride], b[2·stride], ….
func (bt *binnedTrees) binT(x []float64, b []uint8, stride int) {
	for f, v := range x {
		b[f*stride] = bt.binOf(f, v)
	}
}

// binOf returns the bin of value v of feature f.
func (bt *binnedTrees) binOf(f int, v float64) uint8 {
	if bt.cat[f] {
		return BinOf(v, nil, true)
	}
	return bt.bins[f].Bin(v)
}

// logitBlock adds to out[r] the leaf values that binned rows b[r·p:(r+1)·p]
// reach, tree by tree over the block (the tree's nodes stay in the
// first-level cache), eight rows at a time, which step together until all
// eight reach leaves. Every row's values are added in tree order.
func (bt *binnedTrees) logitBlock(b []uint8, p int, out []float64) {
	n := len(out)
	if p < len(bt.cuts) || len(b) < n*p {
		panic("predict: binned rows without every feature of the trees")
	}
	for r := range out {
		out[r] = bt.base
	}
	// The nodes' children and features were written by newBinnedTrees and
	// each row holds every feature's bin: the walk reads them without
	// bounds checks (step).
	nodes := unsafe.Pointer(unsafe.SliceData(bt.nodes))
	first := unsafe.Pointer(unsafe.SliceData(b))
	for k, root := range bt.roots {
		d := bt.depth[k]
		r := 0
		for ; r+8 <= n; r += 8 {
			b0 := unsafe.Add(first, r*p)
			b1, b2, b3, b4 := unsafe.Add(b0, p), unsafe.Add(b0, 2*p), unsafe.Add(b0, 3*p), unsafe.Add(b0, 4*p)
			b5, b6, b7 := unsafe.Add(b0, 5*p), unsafe.Add(b0, 6*p), unsafe.Add(b0, 7*p)
			n0, n1, n2, n3, n4, n5, n6, n7 := root, root, root, root, root, root, root, root
			for range d {
				var l0, l1, l2, l3, l4, l5, l6, l7 uint8
				n0, l0 = step(nodes, n0, b0)
				n1, l1 = step(nodes, n1, b1)
				n2, l2 = step(nodes, n2, b2)
				n3, l3 = step(nodes, n3, b3)
				n4, l4 = step(nodes, n4, b4)
				n5, l5 = step(nodes, n5, b5)
				n6, l6 = step(nodes, n6, b6)
				n7, l7 = step(nodes, n7, b7)
				if l0&l1&l2&l3&l4&l5&l6&l7 != 0 {
					break
				}
			}
			out[r] += bt.value[n0]
			out[r+1] += bt.value[n1]
			out[r+2] += bt.value[n2]
			out[r+3] += bt.value[n3]
			out[r+4] += bt.value[n4]
			out[r+5] += bt.value[n5]
			out[r+6] += bt.value[n6]
			out[r+7] += bt.value[n7]
		}
		for ; r < n; r++ {
			m := root
			for range d {
				var leaf uint8
				if m, leaf = step(nodes, m, unsafe.Add(first, r*p)); leaf != 0 {
					break
				}
			}
			out[r] += bt.value[m]
		}
	}
}

// step returns the child of node n of nodes that the binned row at b
// takes, and 1 when that child is a leaf (else 0). It reads without
// bounds checks: n is a child newBinnedTrees wrote, inside its tree, and
// the node's feature is below len(bt.cuts), which logitBlock checked its
// rows hold.
func step(nodes unsafe.Pointer, n int32, b unsafe.Pointer) (int32, uint8) {
	nd := (*binnedNode)(unsafe.Add(nodes, uintptr(n)*unsafe.Sizeof(binnedNode{})))
	v := *(*uint8)(unsafe.Add(b, nd.feature))
	c := nd.right[v>>6] >> (v & 63) & 1
	return nd.child[c], nd.leaves >> c & 1
}
