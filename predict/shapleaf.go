package predict

import (
	"cmp"
	"math/bits"
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
// read per feature of each cluster, where a table per leaf needs one read
// per path feature of each leaf (the ancestors' features once per leaf
// instead of once per cluster). The same decisions give the leaf the row
// reaches, so explaining yields the log-odds without a second walk. Leaves
// with more distinct path features than a table allows (maxTableSlots), or
// past the tree's bound on table memory, evaluate the integral for the
// row's pattern alone (O(d²) each).
//
// Rows go through a tree shapRows at a time, one split, cluster or table
// column after another, each a loop over the rows (shapBlock).
type leafShap struct {
	// top are the split nodes above the clusters in ascending order, with
	// their feature's slot bit: a row's pass masks come from them, one per
	// pass position (the root's, then two per top split). inner are the
	// splits inside clusters, each giving one bit of one of the words
	// decision words.
	top      []shapSplit
	inner    []innerSplit
	words    int
	clusters []shapCluster
	// goesRight holds, for the binned form of the tree (setBins), 256
	// bytes per split, top then inner: 1 for the bins that go right.
	goesRight []uint8
	// alone are the leaves without a table: their path features
	// feats[featAt:featAt+d] and cover shares z[featAt:featAt+d].
	alone []shapLeaf
	feats []int32
	z     []float64
	tab   []float64
	// vals holds, per cluster from valAt, the value of the leaf that each
	// of its 2^k decision vectors reaches; vals[0] is 0, for a row that
	// reaches a leaf without a table (which adds its own value).
	vals []float64
	// colFeat holds each cluster's column features (shapCluster.colAt).
	colFeat []int32
}

// shapSplit is a split node above the clusters: the pass positions of
// its own mask and its children's, and its feature's slot bit.
type shapSplit struct {
	node, in, left, right int32
	feature               int32 // (setBins)
	bit                   uint64
}

// innerSplit is a split node inside a cluster and the place of its
// decision bit (1: the row goes right): decision word word, bit shift.
type innerSplit struct {
	node, feature int32 // feature: (setBins)
	word          int32
	shift         uint8
}

// shapCluster is a subtree with a table: its root, whose pass mask holds
// the ancestors' pattern in its a lowest bits; its k decision bits, at
// shift in decision word word; its table of nf columns from tabAt, whose
// row (ancestors' pattern | decisions << a) holds each column feature's
// summed shares; and its leaves' values by decisions, from valAt in vals.
// A row reaches the cluster when it passes every split above it, which
// is when its ancestors' pattern has all a bits set.
type shapCluster struct {
	root, passAt int32
	a, k         uint8
	shift        uint8
	word         int32
	nf           int32
	tabAt, valAt int32
	colAt        int32 // its columns' features: colFeat[colAt:colAt+nf]
}

// shapLeaf is a leaf as the walk over the tree finds it: its node, value
// and distinct path features; passAt is its pass position when it has no
// table.
type shapLeaf struct {
	node, passAt int32
	d            uint8
	featAt       int32
	value        float64
}

// clusterBits bounds a cluster's index bits (a + k): its table has at most
// 2^11 rows of at most 11 columns. Fewer bits mean more reads per row and
// less table memory, more bits the reverse; 11 was the fastest of 10, 11
// and 12 on the 800k model of BENCHMARKS.md (the numbers are in the commit
// that introduced clusters). maxTableSlots is the most distinct path features a leaf gets a
// table for on its own: 2^12 × 12 values, 384 KiB. maxTreeCells bounds a
// tree's tables (2 MiB): past it, the largest clusters split into smaller
// ones and then the largest leaf tables give way to evaluating their
// patterns alone, so memory stays bounded whatever --leaves trained the
// model. A leaf evaluated alone costs a row several trees' worth of table
// reads (O(d²) with divisions), so the bound is generous: on that model
// 1 MiB left nine leaves without tables and 2 MiB none (see the commit
// that raised it).
const (
	clusterBits   = 11
	maxTableSlots = 12
	maxTreeCells  = 1 << 18
)

// newLeafShap builds the tables of t, or returns nil for a lone leaf or a
// path with more than 64 distinct features.
func newLeafShap(t *Tree, nFeatures int) *leafShap {
	n := len(t.Left)
	ls := &leafShap{}
	// slot: per split node, the position of its feature among the distinct
	// features of the path from the root to it (first seen first), so that
	// the features above any node hold its lowest slots.
	slot := make([]uint8, n)
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
		slot[node] = uint8(s)
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
	if t.Left[0] < 0 || !walk(0) {
		return nil
	}
	b := clusterBuilder{t: t, ls: ls, leaves: leaves, leafAt: leafAt, above: above, cellsAt: map[int32]int{}}
	ls.vals = []float64{0}
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
	ls.tab = make([]float64, 0, cells)
	inCluster := make([]bool, n)
	for _, c := range roots {
		b.add(c, inCluster)
	}
	// Pass positions: the root's, then both children's of each top split
	// (a parent comes before its children in the node arrays).
	passAt := make([]int32, n)
	nPass := int32(1)
	for n := range t.Left {
		if t.Left[n] >= 0 && !inCluster[n] {
			l, r := t.Left[n], t.Right[n]
			passAt[l], passAt[r] = nPass, nPass+1
			nPass += 2
			ls.top = append(ls.top, shapSplit{node: int32(n), in: passAt[n], left: passAt[l], right: passAt[r], bit: 1 << slot[n]})
		}
	}
	for i := range ls.clusters {
		ls.clusters[i].passAt = passAt[ls.clusters[i].root]
	}
	for i := range ls.alone {
		ls.alone[i].passAt = passAt[ls.alone[i].node]
	}
	return ls
}

// clusterBuilder makes a tree's cluster tables from its leaves as
// newLeafShap's walk found them.
type clusterBuilder struct {
	t       *Tree
	ls      *leafShap
	leaves  []shapLeaf
	leafAt  []int32
	above   []uint8
	bits    int // decision bits used in the last word
	cellsAt map[int32]int
}

// cells is the size of the table of the cluster rooted at c (computed
// once per node: the loop that keeps a tree within its bound asks again).
func (b *clusterBuilder) cells(c int32) int {
	if n, ok := b.cellsAt[c]; ok {
		return n
	}
	feats, inner, _ := b.members(c)
	n := len(feats) << (int(b.above[c]) + len(inner))
	b.cellsAt[c] = n
	return n
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
	if ls.words == 0 || b.bits+k > 64 {
		ls.words++
		b.bits = 0
	}
	word := int32(ls.words - 1)
	bitOf := make(map[int32]int, k)
	for i, n := range inner {
		bitOf[n] = i
		inCluster[n] = true
		ls.inner = append(ls.inner, innerSplit{node: n, word: word, shift: uint8(b.bits + i)})
	}
	ci := len(ls.clusters)
	ls.clusters = append(ls.clusters, shapCluster{root: c, a: uint8(a), k: uint8(k), shift: uint8(b.bits), word: word,
		nf: int32(len(feats)), tabAt: int32(len(ls.tab)), valAt: int32(len(ls.vals))})
	b.bits += k
	for dec := range 1 << k {
		n := c
		for t.Left[n] >= 0 {
			if dec>>bitOf[n]&1 == 1 {
				n = t.Right[n]
			} else {
				n = t.Left[n]
			}
		}
		ls.vals = append(ls.vals, t.Value[n])
	}
	ls.clusters[ci].colAt = int32(len(ls.colFeat))
	ls.colFeat = append(ls.colFeat, feats...)
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
	// The table's rows are idx = dec·2^a + anc. Leaf by leaf, the
	// decisions settle which features the row fails on the leaf's path
	// below c (some may be features above c met again) and the ancestors'
	// pattern anc gives the rest of S.
	nf := len(feats)
	at := len(ls.tab)
	ls.tab = ls.tab[:at+nf<<(a+k)] // newLeafShap made room for every table
	tab := ls.tab[at:]
	for i, li := range members {
		d := int(b.leaves[li].d)
		below := (1<<d - 1) &^ (1<<a - 1) // features first met below c start passed
		for dec := range 1 << k {
			failed := 0
			for _, s := range paths[i] {
				if dec>>s.bit&1 != s.side {
					failed |= 1 << s.slot
				}
			}
			for anc := range 1 << a {
				row := tab[(dec<<a|anc)*nf:][:nf]
				S := (anc | below) &^ failed
				sh := shares[i][S*d:][:d]
				for j, col := range cols[i] {
					row[col] += sh[j]
				}
			}
		}
	}
}

// leafShares returns, for a leaf of value v whose path has distinct
// features with cover shares z, the shares of every pattern S (row-major,
// 2^d rows of d): what patternShares gives each S, computed for all of them
// at once. At each quadrature point the products Π_j q_j of every pattern
// are built one feature at a time (2^d multiplications, not d·2^d), and the
// divisions by q_i become multiplications by the reciprocals of its two
// values.
func leafShares(v float64, z []float64) []float64 {
	d := len(z)
	out := make([]float64, d<<d)
	if d == 0 {
		return out
	}
	g := (d + 1) / 2
	pts, w := make([]float64, g), make([]float64, g)
	quad.Legendre{}.FixedLocations(pts, w, 0, 1)
	all, failed := make([]float64, 1<<d), make([]float64, 1<<d)
	inv := make([]float64, d) // w_k / q_i for a passed feature i
	for k, t := range pts {
		all[0] = 1
		for j := range d {
			fail := z[j] * (1 - t)
			pass := fail + t
			half := 1 << j
			for S, a := range all[:half] {
				all[S], all[S|half] = a*fail, a*pass
			}
			inv[j] = w[k] / pass
		}
		wf := w[k] / (1 - t)
		for S, a := range all {
			failed[S] += wf * a
			row := out[S*d : (S+1)*d]
			for m := uint(S); m != 0; m &= m - 1 {
				i := bits.TrailingZeros(m)
				row[i] += a * inv[i]
			}
		}
	}
	for S := range 1 << d {
		row := out[S*d : (S+1)*d]
		for i := range d {
			if S>>i&1 == 1 {
				row[i] *= v * (1 - z[i])
			} else {
				row[i] = -v * failed[S]
			}
		}
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

// shapRows is how many rows go through a tree's loops together: each loop
// runs over the rows for one split, cluster or table column at a time, so
// the tree's layout is read once per shapRows rows and the rows'
// iterations do not wait on each other.
const shapRows = 256

// shapBlock is the per-row state of up to shapRows rows in one tree:
// pass[i·shapRows+r] is row r's mask at pass position i (bit j set while it
// passes every split on slot j's feature so far), dec its decision words,
// rowAt its table row offset per cluster, at the place of its leaf's value
// in vals, and val that value.
type shapBlock struct {
	pass  []uint64
	dec   []uint64
	rowAt []int32
	at    []int32
	val   []float64
}

func newShapBlock(maxNodes int) *shapBlock {
	return &shapBlock{pass: make([]uint64, maxNodes*shapRows), dec: make([]uint64, maxNodes*shapRows),
		rowAt: make([]int32, maxNodes*shapRows), at: make([]int32, shapRows), val: make([]float64, shapRows)}
}

// setBins copies the binned form of the tree's splits (nodes, from
// binnedTrees.nodes at the tree's root) into goesRight and their features
// into the splits.
func (ls *leafShap) setBins(nodes []binnedNode) {
	ls.goesRight = make([]uint8, 0, 256*(len(ls.top)+len(ls.inner)))
	add := func(node int32) int32 {
		nd := &nodes[node]
		for b := range 256 {
			ls.goesRight = append(ls.goesRight, uint8(nd.right[b>>6]>>(b&63)&1))
		}
		return nd.feature
	}
	for i := range ls.top {
		ls.top[i].feature = add(ls.top[i].node)
	}
	for i := range ls.inner {
		ls.inner[i].feature = add(ls.inner[i].node)
	}
}

// decideBinned fills sb's pass masks and decision words for n binned rows:
// row r's bin of feature f is binsT[f·stride+r] (setBins must have run).
func (ls *leafShap) decideBinned(binsT []uint8, stride, n int, sb *shapBlock) {
	root := sb.pass[:n]
	for r := range root {
		root[r] = ^uint64(0)
	}
	lut := ls.goesRight
	for i := range ls.top {
		sp := &ls.top[i]
		right := (*[256]uint8)(lut[i*256:])
		col := binsT[int(sp.feature)*stride:][:n]
		in, l, rt := sb.pass[int(sp.in)*shapRows:][:len(col)], sb.pass[int(sp.left)*shapRows:][:len(col)], sb.pass[int(sp.right)*shapRows:][:len(col)]
		bit := sp.bit
		for r, v := range col {
			goes := uint64(right[v])
			m := in[r]
			l[r], rt[r] = m&^(bit*goes), m&^(bit*(goes^1))
		}
	}
	clear(sb.dec[:ls.words*shapRows])
	lut = lut[len(ls.top)*256:]
	for i := range ls.inner {
		is := &ls.inner[i]
		right := (*[256]uint8)(lut[i*256:])
		col := binsT[int(is.feature)*stride:][:n]
		dec := sb.dec[int(is.word)*shapRows:][:len(col)]
		shift := is.shift
		for r, v := range col {
			dec[r] |= uint64(right[v]) << shift
		}
	}
}

// decideRow fills sb's pass masks and decision words for one row of
// values, x (the first of the block).
func (ls *leafShap) decideRow(t *Tree, x []float64, sb *shapBlock) {
	sb.pass[0] = ^uint64(0)
	for _, sp := range ls.top {
		nd := &t.nodes[sp.node]
		var goes uint64
		if !nd.GoesLeft(x[nd.Feature]) {
			goes = 1
		}
		m := sb.pass[int(sp.in)*shapRows]
		sb.pass[int(sp.left)*shapRows], sb.pass[int(sp.right)*shapRows] = m&^(sp.bit*goes), m&^(sp.bit*(goes^1))
	}
	for w := range ls.words {
		sb.dec[w*shapRows] = 0
	}
	for _, is := range ls.inner {
		if nd := &t.nodes[is.node]; !nd.GoesLeft(x[nd.Feature]) {
			sb.dec[int(is.word)*shapRows] |= 1 << is.shift
		}
	}
}

// explain adds row x's SHAP values from tree t to phi and returns the
// value of the leaf it reaches.
func (ls *leafShap) explain(t *Tree, x, phi []float64, sb *shapBlock, sc *leafScratch) float64 {
	ls.decideRow(t, x, sb)
	ls.sum(1, sb, phi, 1, sc)
	return sb.val[0]
}

// sum adds to the SHAP values of n rows their shares given the pass masks
// and decisions in sb, and leaves in sb.val the value of the leaf each
// reaches. Row r's value of feature f is phi[r+f·stride] (or, for one row,
// phi[f] with stride 1). The leaves without tables add theirs first, then
// the clusters theirs, cluster by cluster and column by column: the loops
// over the rows for a cluster's columns read the same table rows, which
// stay in the first-level cache.
func (ls *leafShap) sum(n int, sb *shapBlock, phi []float64, stride int, sc *leafScratch) {
	val, at := sb.val[:n], sb.at[:n]
	clear(at)
	for ci := range ls.clusters {
		c := &ls.clusters[ci]
		am, km := uint64(1)<<c.a-1, uint64(1)<<c.k-1
		pass, dec := sb.pass[int(c.passAt)*shapRows:][:n], sb.dec[int(c.word)*shapRows:][:n]
		rowAt := sb.rowAt[ci*shapRows:][:n]
		a, shift, tabAt, nf, valAt := c.a, c.shift, c.tabAt, c.nf, c.valAt
		for r := range n {
			anc, d := pass[r]&am, dec[r]>>shift&km
			rowAt[r] = tabAt + int32(anc|d<<a)*nf
			// Where the reached leaf's value is when the row reaches the
			// cluster, else 0: the one cluster a row reaches, if any,
			// sets at[r].
			at[r] |= reachedAt(anc^am, valAt+int32(d))
		}
	}
	for r, i := range at {
		val[r] = ls.vals[i] // vals[0] is 0, for a row that reaches a lone leaf
	}
	for li := range ls.alone {
		l := &ls.alone[li]
		dm := uint64(1)<<l.d - 1
		for r, m := range sb.pass[int(l.passAt)*shapRows:][:n] {
			ls.evalAlone(l, m, phi[r:], stride, sc)
			if m&dm == dm {
				val[r] += l.value
			}
		}
	}
	tab := ls.tab
	for ci := range ls.clusters {
		c := &ls.clusters[ci]
		rowAt := sb.rowAt[ci*shapRows:][:n]
		for j, f := range ls.colFeat[c.colAt : c.colAt+c.nf] {
			out := phi[int(f)*stride:][:n]
			for r, at := range rowAt {
				out[r] += tab[at+int32(j)]
			}
		}
	}
}

// reachedAt returns at when missed is 0 (every split above the cluster
// passed), else 0, without a branch.
func reachedAt(missed uint64, at int32) int32 {
	nz := (missed | -missed) >> 63 // 1 when missed is not 0
	return at & int32(nz-1)
}

// evalAlone adds a leaf without a table's shares for the pattern in the
// pass mask m to phi (feature f's value at phi[f·stride]).
func (ls *leafShap) evalAlone(l *shapLeaf, m uint64, phi []float64, stride int, sc *leafScratch) {
	d := int(l.d)
	pts, w := sc.points(d)
	row := sc.out[:d]
	patternShares(l.value, ls.z[l.featAt:int(l.featAt)+d], m, pts, w, sc.q[:d], row)
	for j, f := range ls.feats[l.featAt : int(l.featAt)+d] {
		phi[int(f)*stride] += row[j]
	}
}

// leafScratch is the scratch space of leaves without tables: Gauss–Legendre
// rules by number of points, and the integrand's factors and the shares.
type leafScratch struct {
	q, out []float64
	pts, w [][]float64
}

func newLeafScratch() *leafScratch {
	return &leafScratch{q: make([]float64, 64), out: make([]float64, 64), pts: make([][]float64, 33), w: make([][]float64, 33)}
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
