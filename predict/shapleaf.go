package predict

import (
	"cmp"
	"slices"

	"gonum.org/v1/gonum/integrate/quad"
)

// leafShap holds a tree's SHAP values precomputed per pattern, the idea of
// Fast TreeSHAP v2 (Yang 2021, "Fast TreeSHAP: Accelerating SHAP value
// computation for trees"), taken from leaves to subtrees. In the integral
// form (see Shap), a leaf's share of a row's SHAP values depends on the row
// only through o: which of the distinct features on the leaf's path the
// row passes (every split on it along the path). With d distinct features
// there are 2^d patterns, and the d shares of each can be computed once.
//
// The tree is cut into clusters: subtrees whose root has a distinct path
// features above it and k splits inside, with a + k ≤ clusterBits. For every
// leaf below a cluster's root, the row's pattern is a function of the
// ancestors' pattern (a bits: which of those features the row has passed
// so far) and the k decisions inside, so one table of 2^(a+k) rows holds,
// per feature of the cluster, the sum of all its leaves' shares. A row then
// costs one pass over the tree's splits (masks of passed features above the
// clusters, one decision bit inside them), one table row per cluster and one
// read per feature of each cluster: on the 300-tree model of BENCHMARKS.md
// (31 leaves), 46 reads per tree where a table per leaf took 161 and one
// per pair of sibling leaves 111. Leaves with more
// distinct path features than a table allows (maxTableSlots) evaluate the
// integral for the row's pattern alone (O(d²) each).
type leafShap struct {
	// slot is, per split node, the position of its feature among the
	// distinct features of the path from the root to it (first seen first),
	// so that the features above any node hold its lowest slots.
	slot []uint8
	// top are the split nodes above the clusters in ascending order, with
	// their feature's slot bit: a row's pass masks come from them. inner
	// are the splits inside clusters, in the order of their decision bits;
	// wordEnd[w] ends the splits whose bits go to decision word w.
	top      []shapSplit
	inner    []innerSplit
	wordEnd  []int32
	clusters []shapCluster
	// alone are the leaves without a table: their path features
	// feats[featAt:featAt+d] and cover shares z[featAt:featAt+d].
	alone []shapLeaf
	feats []int32
	z     []float64
	tab   []float64

	// One entry per (cluster, table column), packed: the cluster (bits
	// 0–15), the column (16–23) and its feature (32–47), grouped by feature
	// (groups holds each group's feature and end), so that a feature's
	// shares are summed in a register and phi is written once per feature.
	ent    []uint64
	groups []entGroup
}

// shapSplit is a split node above the clusters: its children and its
// feature's slot bit.
type shapSplit struct {
	node, left, right int32
	bit               uint64
}

// innerSplit is a split node inside a cluster and the position of its
// decision bit (1: the row goes right) in its word.
type innerSplit struct {
	node  int32
	shift uint8
}

// shapCluster is a subtree with a table: its root, whose pass mask holds
// the ancestors' pattern in its a lowest bits; its k decision bits, at
// shift in decision word word; and its table of nf columns from tabAt,
// whose row (ancestors' pattern | decisions << a) holds each column
// feature's summed shares.
type shapCluster struct {
	root  int32
	a, k  uint8
	shift uint8
	word  int32
	nf    int32
	tabAt int32
}

type entGroup struct {
	feature int32
	end     int32
}

// shapLeaf is a leaf as the walk over the tree finds it: its node, value
// and distinct path features.
type shapLeaf struct {
	node   int32
	d      uint8
	featAt int32
	value  float64
}

// clusterBits bounds a cluster's index bits (a + k): its table has at most
// 2^11 rows of at most 11 columns. On that model, 10 bits made 17% more
// reads for 18% less table memory and explained 15% fewer rows per second;
// 12 bits, 13% fewer reads for 48% more memory, and 3% fewer rows per
// second. maxTableSlots is the most distinct path features a leaf gets a
// table for on its own: 2^12 × 12 values, 384 KiB. maxTreeCells bounds a
// tree's tables (1 MiB): past it, the largest clusters split into smaller
// ones and then the largest leaf tables give way to evaluating their
// patterns alone, so memory stays bounded whatever --leaves trained the
// model.
const (
	clusterBits   = 11
	maxTableSlots = 12
	maxTreeCells  = 1 << 17
)

// newLeafShap builds the tables of t, or returns nil for a lone leaf or a
// path with more than 64 distinct features.
func newLeafShap(t *Tree, nFeatures int) *leafShap {
	n := len(t.Left)
	ls := &leafShap{slot: make([]uint8, n)}
	slotOf := make([]int, nFeatures) // feature → slot on the current path, −1 when not on it
	for i := range slotOf {
		slotOf[i] = -1
	}
	above := make([]uint8, n)  // per node: distinct features on the path above it
	splits := make([]int32, n) // per node: split nodes in its subtree
	leafAt := make([]int32, n) // per leaf node: its index in leaves
	var leaves []shapLeaf
	var pathFeats []int32 // distinct features on the current path, slot order
	var pathZ []float64   // their cover shares so far
	var walk func(node int32) bool
	walk = func(node int32) bool {
		above[node] = uint8(len(pathFeats))
		if t.Left[node] < 0 {
			leafAt[node] = int32(len(leaves))
			leaves = append(leaves, shapLeaf{node: node, d: uint8(len(pathFeats)), featAt: int32(len(ls.feats)), value: t.Value[node]})
			ls.feats = append(ls.feats, pathFeats...)
			ls.z = append(ls.z, pathZ...)
			return true
		}
		f := t.Feature[node]
		s, fresh := slotOf[f], false
		if s < 0 {
			if len(pathFeats) == 64 {
				return false
			}
			s, fresh = len(pathFeats), true
			slotOf[f] = s
			pathFeats = append(pathFeats, f)
			pathZ = append(pathZ, 1)
		}
		ls.slot[node] = uint8(s)
		zOld := pathZ[s]
		for _, c := range [2]int32{t.Left[node], t.Right[node]} {
			pathZ[s] = zOld * t.Cover[c] / t.Cover[node]
			if !walk(c) {
				return false
			}
		}
		splits[node] = 1 + splits[t.Left[node]] + splits[t.Right[node]]
		pathZ[s] = zOld
		if fresh {
			slotOf[f] = -1
			pathFeats, pathZ = pathFeats[:s], pathZ[:s]
		}
		return true
	}
	if t.Left[0] < 0 || !walk(0) || len(leaves) > 1<<16 {
		return nil
	}
	b := clusterBuilder{t: t, ls: ls, leaves: leaves, leafAt: leafAt, above: above}
	// Clusters: the largest subtrees that fit clusterBits, and the leaves
	// outside them whose tables fit maxTableSlots.
	var roots []int32
	var cut func(c int32)
	cut = func(c int32) {
		if int(above[c])+int(splits[c]) <= clusterBits || (t.Left[c] < 0 && above[c] <= maxTableSlots) {
			roots = append(roots, c)
			return
		}
		if t.Left[c] < 0 {
			ls.alone = append(ls.alone, leaves[leafAt[c]])
			return
		}
		cut(t.Left[c])
		cut(t.Right[c])
	}
	cut(0)
	// Within the tree's bound: the largest table splits into its children's
	// (a leaf's gives way to evaluating it alone) until the tables fit.
	cells := 0
	for _, c := range roots {
		cells += b.cells(c)
	}
	for cells > maxTreeCells {
		i := 0
		for j, c := range roots {
			if b.cells(c) > b.cells(roots[i]) {
				i = j
			}
		}
		c := roots[i]
		cells -= b.cells(c)
		roots = slices.Delete(roots, i, i+1)
		if t.Left[c] < 0 {
			ls.alone = append(ls.alone, leaves[leafAt[c]])
			continue
		}
		roots = append(roots, t.Left[c], t.Right[c])
		cells += b.cells(t.Left[c]) + b.cells(t.Right[c])
	}
	slices.Sort(roots)
	slices.SortFunc(ls.alone, func(x, y shapLeaf) int { return cmp.Compare(x.node, y.node) })
	inCluster := make([]bool, n)
	for _, c := range roots {
		b.add(c, inCluster)
	}
	for n := range t.Left {
		if t.Left[n] >= 0 && !inCluster[n] {
			ls.top = append(ls.top, shapSplit{node: int32(n), left: t.Left[n], right: t.Right[n], bit: 1 << ls.slot[n]})
		}
	}
	slices.SortStableFunc(ls.ent, func(a, b uint64) int { return cmp.Compare(a>>32, b>>32) })
	for i, e := range ls.ent {
		if f := int32(e >> 32); i == 0 || f != ls.groups[len(ls.groups)-1].feature {
			ls.groups = append(ls.groups, entGroup{feature: f})
		}
		ls.groups[len(ls.groups)-1].end = int32(i + 1)
	}
	return ls
}

// clusterBuilder makes a tree's cluster tables from its leaves as
// newLeafShap's walk found them.
type clusterBuilder struct {
	t      *Tree
	ls     *leafShap
	leaves []shapLeaf
	leafAt []int32
	above  []uint8
	bits   int // decision bits used in the last word
}

// cells is the size of the table of the cluster rooted at c.
func (b *clusterBuilder) cells(c int32) int {
	feats, inner, _ := b.members(c)
	return len(feats) << (int(b.above[c]) + len(inner))
}

// members returns the cluster at c's columns (the features above c in slot
// order, then the others in the order the leaves meet them), its split
// nodes in ascending order and its leaves.
func (b *clusterBuilder) members(c int32) (feats []int32, inner []int32, leaves []int32) {
	t := b.t
	var walk func(n int32)
	walk = func(n int32) {
		if t.Left[n] < 0 {
			leaves = append(leaves, b.leafAt[n])
			return
		}
		inner = append(inner, n)
		walk(t.Left[n])
		walk(t.Right[n])
	}
	walk(c)
	slices.Sort(inner)
	for _, li := range leaves {
		l := b.leaves[li]
		for _, f := range b.ls.feats[l.featAt : int(l.featAt)+int(l.d)] {
			if !slices.Contains(feats, f) {
				feats = append(feats, f)
			}
		}
	}
	return feats, inner, leaves
}

// add builds the table of the cluster rooted at c, its decision bits and
// its entries, and marks its splits in inCluster.
func (b *clusterBuilder) add(c int32, inCluster []bool) {
	t, ls := b.t, b.ls
	feats, inner, members := b.members(c)
	a, k := int(b.above[c]), len(inner)
	if len(ls.wordEnd) == 0 || b.bits+k > 64 {
		ls.wordEnd = append(ls.wordEnd, int32(len(ls.inner)))
		b.bits = 0
	}
	bitOf := make(map[int32]int, k)
	for i, n := range inner {
		bitOf[n] = i
		inCluster[n] = true
		ls.inner = append(ls.inner, innerSplit{node: n, shift: uint8(b.bits + i)})
	}
	ls.wordEnd[len(ls.wordEnd)-1] = int32(len(ls.inner))
	ci := len(ls.clusters)
	ls.clusters = append(ls.clusters, shapCluster{root: c, a: uint8(a), k: uint8(k), shift: uint8(b.bits), word: int32(len(ls.wordEnd) - 1), nf: int32(len(feats)), tabAt: int32(len(ls.tab))})
	b.bits += k
	for j, f := range feats {
		ls.ent = append(ls.ent, uint64(ci)|uint64(j)<<16|uint64(f)<<32)
	}
	// Per leaf: its path below c as (decision bit, side, slot), and its
	// shares by pattern; a row of the table sums the leaves' shares for
	// the patterns that ancestors' pattern and decisions give them.
	type step struct {
		bit, side, slot int
	}
	paths := make([][]step, len(members))
	shares := make([][]float64, len(members))
	cols := make([][]int, len(members))
	parent := func(n int32) int32 {
		for _, m := range inner {
			if t.Left[m] == n || t.Right[m] == n {
				return m
			}
		}
		return -1
	}
	for i, li := range members {
		l := b.leaves[li]
		d := int(l.d)
		lf := ls.feats[l.featAt : int(l.featAt)+d]
		for n := l.node; n != c; {
			p := parent(n)
			side := 0
			if t.Right[p] == n {
				side = 1
			}
			paths[i] = append(paths[i], step{bit: bitOf[p], side: side, slot: slices.Index(lf, t.Feature[p])})
			n = p
		}
		shares[i] = leafShares(l.value, ls.z[l.featAt:int(l.featAt)+d])
		for _, f := range lf {
			cols[i] = append(cols[i], slices.Index(feats, f))
		}
	}
	nf := len(feats)
	tab := make([]float64, nf<<(a+k))
	for idx := range 1 << (a + k) {
		row := tab[idx*nf : (idx+1)*nf]
		anc, dec := idx&(1<<a-1), idx>>a
		for i, li := range members {
			d := int(b.leaves[li].d)
			S := anc | (1<<d-1)&^(1<<a-1) // features first met below c start passed
			for _, s := range paths[i] {
				if dec>>s.bit&1 != s.side {
					S &^= 1 << s.slot
				}
			}
			for j, col := range cols[i] {
				row[col] += shares[i][S*d+j]
			}
		}
	}
	ls.tab = append(ls.tab, tab...)
}

// leafShares returns, for a leaf of value v whose path has distinct
// features with cover shares z, the shares of every pattern S (row-major,
// 2^d rows of d).
func leafShares(v float64, z []float64) []float64 {
	d := len(z)
	out := make([]float64, d<<d)
	if d == 0 {
		return out
	}
	g := (d + 1) / 2
	pts, w := make([]float64, g), make([]float64, g)
	quad.Legendre{}.FixedLocations(pts, w, 0, 1)
	q := make([]float64, d)
	for S := range 1 << d {
		patternShares(v, z, uint64(S), pts, w, q, out[S*d:(S+1)*d])
	}
	return out
}

// patternShares writes into out (len(z)) what a leaf of value v, whose
// path has distinct features with cover shares z, gives each of them for a
// row with pattern S: feature i receives
//
//	v · (o_i − z_i) · ∫₀¹ Π_{j≠i} (z_j·(1−t) + o_j·t) dt,  o_j = bit j of S,
//
// by Gauss–Legendre quadrature (points pts, weights w; ⌈d/2⌉ points are
// exact for the degree d − 1 integrand). q is scratch (len(z)).
func patternShares(v float64, z []float64, S uint64, pts, w, q, out []float64) {
	d := len(z)
	clear(out)
	// Every feature the row fails (o_i = 0) has q_i = z_i·(1−t), so its
	// share is −v·∫ Π_j q_j / (1−t) dt: one value for all of them. Only
	// the features it passes need their own integral.
	failed := 0.0
	for k, t := range pts {
		all := 1.0
		for j := range d {
			q[j] = z[j] * (1 - t)
			if S>>j&1 == 1 {
				q[j] += t
			}
			all *= q[j]
		}
		failed += w[k] * all / (1 - t)
		for i := range d {
			if S>>i&1 == 1 {
				out[i] += w[k] * all / q[i]
			}
		}
	}
	for i := range d {
		if S>>i&1 == 1 {
			out[i] *= v * (1 - z[i])
		} else {
			out[i] = -v * failed
		}
	}
}

// explain adds row x's SHAP values from tree t to phi; pass (one mask per
// node) and sc are scratch space.
func (ls *leafShap) explain(t *Tree, x, phi []float64, pass []uint64, sc *leafScratch) {
	// pass[n]: bit j set while the row passes every split on slot j's
	// feature between the root and n. Children follow their parents in
	// the node arrays, so one ascending pass fills it, without branches on
	// the row's decisions.
	pass[0] = ^uint64(0)
	for _, sp := range ls.top {
		nd := &t.nodes[sp.node]
		var right uint64
		if !nd.goesLeft(x[nd.feature]) {
			right = 1
		}
		m := pass[sp.node]
		pass[sp.left], pass[sp.right] = m&^(sp.bit*right), m&^(sp.bit*(right^1))
	}
	dec := sc.dec[:len(ls.wordEnd)]
	i := 0
	for w, end := range ls.wordEnd {
		var word uint64
		for ; i < int(end); i++ {
			is := ls.inner[i]
			nd := &t.nodes[is.node]
			if !nd.goesLeft(x[nd.feature]) {
				word |= 1 << is.shift
			}
		}
		dec[w] = word
	}
	clear(sc.spare)
	ls.sum2(pass, dec, pass, dec, phi, sc.spare, sc)
}

// explainBinned2 is explain for two binned rows b1 and b2
// (binnedTrees.bin), whose decisions are bit lookups in the tree's nodes
// from bt.nodes[base:]. The rows share the loops over the tree's splits,
// clusters and entries, and their two chains of additions run side by side.
func (ls *leafShap) explainBinned2(bt *binnedTrees, base int32, b1, b2 []uint8, phi1, phi2 []float64, pass1, pass2 []uint64, sc *leafScratch) {
	pass1[0], pass2[0] = ^uint64(0), ^uint64(0)
	nodes := bt.nodes[base:]
	for _, sp := range ls.top {
		nd := &nodes[sp.node]
		v1, v2 := b1[nd.feature], b2[nd.feature]
		r1 := nd.right[v1>>6] >> (v1 & 63) & 1
		r2 := nd.right[v2>>6] >> (v2 & 63) & 1
		m1, m2 := pass1[sp.node], pass2[sp.node]
		pass1[sp.left], pass1[sp.right] = m1&^(sp.bit*r1), m1&^(sp.bit*(r1^1))
		pass2[sp.left], pass2[sp.right] = m2&^(sp.bit*r2), m2&^(sp.bit*(r2^1))
	}
	dec1, dec2 := sc.dec[:len(ls.wordEnd)], sc.dec2[:len(ls.wordEnd)]
	i := 0
	for w, end := range ls.wordEnd {
		var w1, w2 uint64
		for ; i < int(end); i++ {
			is := ls.inner[i]
			nd := &nodes[is.node]
			v1, v2 := b1[nd.feature], b2[nd.feature]
			w1 |= (nd.right[v1>>6] >> (v1 & 63) & 1) << is.shift
			w2 |= (nd.right[v2>>6] >> (v2 & 63) & 1) << is.shift
		}
		dec1[w], dec2[w] = w1, w2
	}
	ls.sum2(pass1, dec1, pass2, dec2, phi1, phi2, sc)
}

// sum2 adds to phi1 and phi2 the shares of two rows given their pass masks
// and decision words.
func (ls *leafShap) sum2(pass1, dec1, pass2, dec2 []uint64, phi1, phi2 []float64, sc *leafScratch) {
	rowAt1, rowAt2 := sc.rowAt[:len(ls.clusters)], sc.rowAt2[:len(ls.clusters)]
	for ci := range ls.clusters {
		c := &ls.clusters[ci]
		am, km := uint64(1)<<c.a-1, uint64(1)<<c.k-1
		S1 := pass1[c.root]&am | (dec1[c.word]>>c.shift&km)<<c.a
		S2 := pass2[c.root]&am | (dec2[c.word]>>c.shift&km)<<c.a
		rowAt1[ci], rowAt2[ci] = c.tabAt+int32(S1)*c.nf, c.tabAt+int32(S2)*c.nf
	}
	for li := range ls.alone {
		l := &ls.alone[li]
		ls.evalAlone(l, pass1, phi1, sc)
		ls.evalAlone(l, pass2, phi2, sc)
	}
	tab, ent := ls.tab, ls.ent
	i := 0
	for _, g := range ls.groups {
		acc1, acc2 := 0.0, 0.0
		for ; i < int(g.end); i++ {
			e := ent[i]
			u, j := uint16(e), int32(uint8(e>>16))
			acc1 += tab[rowAt1[u]+j]
			acc2 += tab[rowAt2[u]+j]
		}
		phi1[g.feature] += acc1
		phi2[g.feature] += acc2
	}
}

// evalAlone adds a leaf without a table's shares for the pattern in pass
// to phi.
func (ls *leafShap) evalAlone(l *shapLeaf, pass []uint64, phi []float64, sc *leafScratch) {
	d := int(l.d)
	pts, w := sc.points(d)
	row := sc.out[:d]
	patternShares(l.value, ls.z[l.featAt:int(l.featAt)+d], pass[l.node], pts, w, sc.q[:d], row)
	for j, f := range ls.feats[l.featAt : int(l.featAt)+d] {
		phi[f] += row[j]
	}
}

// leafScratch is leafShap's scratch space: the rows' decision words and
// table rows, the values of a row explained twice (as the second of two),
// and for leaves without tables, Gauss–Legendre rules by number of points.
type leafScratch struct {
	q, out    []float64
	pts, w    [][]float64
	rowAt     []int32  // per cluster
	rowAt2    []int32  // per cluster, for the second row of explainBinned2
	dec, dec2 []uint64 // per decision word
	spare     []float64
}

func newLeafScratch(maxNodes, nFeatures int) *leafScratch {
	return &leafScratch{q: make([]float64, 64), out: make([]float64, 64), pts: make([][]float64, 33), w: make([][]float64, 33),
		rowAt: make([]int32, maxNodes), rowAt2: make([]int32, maxNodes), dec: make([]uint64, maxNodes), dec2: make([]uint64, maxNodes),
		spare: make([]float64, nFeatures)}
}

// points returns the quadrature for a leaf with d distinct path features.
func (sc *leafScratch) points(d int) ([]float64, []float64) {
	g := (d + 1) / 2
	if sc.pts[g] == nil {
		sc.pts[g], sc.w[g] = make([]float64, g), make([]float64, g)
		quad.Legendre{}.FixedLocations(sc.pts[g], sc.w[g], 0, 1)
	}
	return sc.pts[g], sc.w[g]
}
