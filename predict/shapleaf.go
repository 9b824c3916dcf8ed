package predict

import (
	"cmp"
	"slices"

	"gonum.org/v1/gonum/integrate/quad"
)

// leafShap holds a tree's SHAP values precomputed per leaf and per pattern,
// the idea of Fast TreeSHAP v2 (Yang 2021, "Fast TreeSHAP: Accelerating
// SHAP value computation for trees"). In the integral form (see Shap), a
// leaf's share of a row's SHAP values depends on the row only through o:
// which of the distinct features on the leaf's path the row passes (every
// split on it along the path). With d distinct features there are 2^d
// patterns; for d ≤ maxTableSlots the d shares of each are computed once,
// here. A row then costs one pass over the tree's splits to find every
// leaf's pattern and one table row per leaf (per pair, for sibling leaves
// whose tables are merged: see shapLeaf): O(nodes + Σ d) per tree instead
// of O(nodes × quadrature points). Tables go to the leaves with the fewest
// path features first; the few left without one evaluate the integral for
// the row's pattern alone (O(d²) each).
type leafShap struct {
	// slot is, per split node, the position of its feature among the
	// distinct features of the path from the root to it (first seen first).
	slot []uint8
	// Per leaf (or pair of sibling leaves): its node, number of distinct
	// path features d, the features in slot order (feats[featAt:featAt+d]),
	// the cover shares z[featAt:featAt+d], and its table when it has one,
	// 2^d rows of d shares (tab[tabAt:tabAt+d<<d]; row S holds the shares
	// for the pattern whose bit j is set when the row passes slot j's
	// feature), 2^(d+1) rows for a pair.
	leaves []shapLeaf
	feats  []int32
	z      []float64
	tab    []float64

	// For the evaluation: the split nodes in ascending order, and one
	// entry per (table leaf, slot), packed: the leaf (bits 0–15), the slot
	// (16–23) and the slot's feature (32–47), grouped by feature (groups
	// holds each group's feature and end), so that a feature's shares are
	// summed in a register and phi is written once per feature.
	splits []shapSplit
	ent    []uint64
	groups []entGroup
}

// shapSplit is a split node for the pass computation: its children and its
// feature's slot bit.
type shapSplit struct {
	node, left, right int32
	bit               uint64
}

type entGroup struct {
	feature int32
	end     int32
}

type shapLeaf struct {
	node          int32
	d             uint8
	table         bool
	featAt, tabAt int32
	value         float64
	// pair: this entry is two sibling leaves, node (left) and node2
	// (right), both with tables, merged into one table of 2^(d+1) rows:
	// row (S | b<<d) holds the left leaf's shares for pattern S plus the
	// right leaf's for S with bit split set to b, where S is the left
	// leaf's pattern and b the right leaf's bit for their parent's slot
	// split. One row per row of data instead of two.
	pair  bool
	split uint8
	node2 int32
}

// maxTableSlots is the most distinct path features a leaf gets a table for:
// 2^12 × 12 values, 384 KiB. maxTreeCells bounds a tree's tables (1 MiB):
// leaves past it, in a tree of many deep leaves, evaluate their pattern
// alone, so memory stays bounded whatever --leaves trained the model.
const (
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
	var pathFeats []int32 // distinct features on the current path, slot order
	var pathZ []float64   // their cover shares so far
	var walk func(node int32) bool
	walk = func(node int32) bool {
		if t.Left[node] < 0 {
			ls.leaves = append(ls.leaves, shapLeaf{node: node, d: uint8(len(pathFeats)), featAt: int32(len(ls.feats)), value: t.Value[node]})
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
		pathZ[s] = zOld
		if fresh {
			slotOf[f] = -1
			pathFeats, pathZ = pathFeats[:s], pathZ[:s]
		}
		return true
	}
	if t.Left[0] < 0 || !walk(0) || len(ls.leaves) > 1<<16 {
		return nil
	}
	// Tables go to the leaves with the fewest path features first: they
	// cost the least (2^d × d cells) for the same work saved per row.
	order := make([]int, len(ls.leaves))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(ls.leaves[a].d, ls.leaves[b].d) })
	cells := 0
	for _, li := range order {
		l := &ls.leaves[li]
		d := int(l.d)
		if d > maxTableSlots || cells+d<<d > maxTreeCells {
			break
		}
		cells += d << d
		l.table, l.tabAt = true, int32(len(ls.tab))
		ls.tab = append(ls.tab, leafShares(l.value, ls.z[l.featAt:int(l.featAt)+d])...)
	}
	ls.pairSiblings(t)
	for li, l := range ls.leaves {
		if !l.table {
			continue
		}
		for j, f := range ls.feats[l.featAt : int(l.featAt)+int(l.d)] {
			ls.ent = append(ls.ent, uint64(li)|uint64(j)<<16|uint64(f)<<32)
		}
	}
	slices.SortStableFunc(ls.ent, func(a, b uint64) int { return cmp.Compare(a>>32, b>>32) })
	for i, e := range ls.ent {
		if f := int32(e >> 32); i == 0 || f != ls.groups[len(ls.groups)-1].feature {
			ls.groups = append(ls.groups, entGroup{feature: f})
		}
		ls.groups[len(ls.groups)-1].end = int32(i + 1)
	}
	for n := range t.Left {
		if t.Left[n] >= 0 {
			ls.splits = append(ls.splits, shapSplit{node: int32(n), left: t.Left[n], right: t.Right[n], bit: 1 << ls.slot[n]})
		}
	}
	return ls
}

// pairSiblings merges the tables of sibling leaves (consecutive in
// ls.leaves, as the walk appends them) into pair tables of the same size.
func (ls *leafShap) pairSiblings(t *Tree) {
	parent := make([]int32, len(t.Left))
	for n := range t.Left {
		if t.Left[n] >= 0 {
			parent[t.Left[n]], parent[t.Right[n]] = int32(n), int32(n)
		}
	}
	var leaves []shapLeaf
	var tab []float64
	for i := 0; i < len(ls.leaves); i++ {
		l := ls.leaves[i]
		if l.table && i+1 < len(ls.leaves) {
			r := ls.leaves[i+1]
			p := parent[l.node]
			if r.table && l.node != 0 && p == parent[r.node] && t.Left[p] == l.node && r.d == l.d {
				d := int(l.d)
				s := ls.slot[p]
				tl, tr := ls.tab[l.tabAt:int(l.tabAt)+d<<d], ls.tab[r.tabAt:int(r.tabAt)+d<<d]
				at := len(tab)
				tab = append(tab, make([]float64, d<<(d+1))...)
				for S := range 1 << d {
					for b := range 2 {
						row := tab[at+(S|b<<d)*d:][:d]
						R := S&^(1<<s) | b<<s
						for j := range d {
							row[j] = tl[S*d+j] + tr[R*d+j]
						}
					}
				}
				l.tabAt, l.pair, l.split, l.node2 = int32(at), true, s, r.node
				leaves = append(leaves, l)
				i++
				continue
			}
		}
		if l.table {
			d := int(l.d)
			at := len(tab)
			tab = append(tab, ls.tab[l.tabAt:int(l.tabAt)+d<<d]...)
			l.tabAt = int32(at)
		}
		leaves = append(leaves, l)
	}
	ls.leaves, ls.tab = leaves, tab
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

// explain adds row x's SHAP values from tree t to phi; pass (one bit set
// per node) and sc are scratch space.
func (ls *leafShap) explain(t *Tree, x, phi []float64, pass []uint64, sc *leafScratch) {
	// pass[n]: bit j set while the row passes every split on slot j's
	// feature between the root and n. Children follow their parents in
	// the node arrays, so one ascending pass fills it, without branches on
	// the row's decisions.
	pass[0] = ^uint64(0)
	for _, sp := range ls.splits {
		nd := &t.nodes[sp.node]
		var right uint64
		if !nd.goesLeft(x[nd.feature]) {
			right = 1
		}
		m := pass[sp.node]
		pass[sp.left], pass[sp.right] = m&^(sp.bit*right), m&^(sp.bit*(right^1))
	}
	ls.accumulate(phi, pass, sc)
}

// explainBinned2 is explain for two binned rows b1 and b2
// (binnedTrees.bin), whose decisions are bit lookups in the tree's nodes
// from bt.nodes[base:]. The rows share the loops over the tree's splits,
// leaves and entries, and their two chains of additions run side by side.
func (ls *leafShap) explainBinned2(bt *binnedTrees, base int32, b1, b2 []uint8, phi1, phi2 []float64, pass1, pass2 []uint64, sc *leafScratch) {
	pass1[0], pass2[0] = ^uint64(0), ^uint64(0)
	nodes := bt.nodes[base:]
	for _, sp := range ls.splits {
		nd := &nodes[sp.node]
		v1, v2 := b1[nd.feature], b2[nd.feature]
		r1 := nd.right[v1>>6] >> (v1 & 63) & 1
		r2 := nd.right[v2>>6] >> (v2 & 63) & 1
		m1, m2 := pass1[sp.node], pass2[sp.node]
		pass1[sp.left], pass1[sp.right] = m1&^(sp.bit*r1), m1&^(sp.bit*(r1^1))
		pass2[sp.left], pass2[sp.right] = m2&^(sp.bit*r2), m2&^(sp.bit*(r2^1))
	}
	rowAt1, rowAt2 := sc.rowAt[:len(ls.leaves)], sc.rowAt2[:len(ls.leaves)]
	for li := range ls.leaves {
		l := &ls.leaves[li]
		if !l.table {
			ls.alone(l, pass1, phi1, sc)
			ls.alone(l, pass2, phi2, sc)
			continue
		}
		d := int(l.d)
		mask := uint64(1)<<d - 1
		S1, S2 := pass1[l.node]&mask, pass2[l.node]&mask
		if l.pair {
			S1 |= (pass1[l.node2] >> l.split & 1) << d
			S2 |= (pass2[l.node2] >> l.split & 1) << d
		}
		rowAt1[li], rowAt2[li] = l.tabAt+int32(S1)*int32(d), l.tabAt+int32(S2)*int32(d)
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

// alone adds a leaf without a table's shares for the pattern in pass to
// phi.
func (ls *leafShap) alone(l *shapLeaf, pass []uint64, phi []float64, sc *leafScratch) {
	d := int(l.d)
	pts, w := sc.points(d)
	row := sc.out[:d]
	patternShares(l.value, ls.z[l.featAt:int(l.featAt)+d], pass[l.node], pts, w, sc.q[:d], row)
	for j, f := range ls.feats[l.featAt : int(l.featAt)+d] {
		phi[f] += row[j]
	}
}

// accumulate adds the leaves' shares for the patterns in pass to phi.
func (ls *leafShap) accumulate(phi []float64, pass []uint64, sc *leafScratch) {
	rowAt := sc.rowAt[:len(ls.leaves)]
	for li := range ls.leaves {
		l := &ls.leaves[li]
		if !l.table {
			ls.alone(l, pass, phi, sc)
			continue
		}
		d := int(l.d)
		S := pass[l.node] & (1<<d - 1)
		if l.pair {
			S |= (pass[l.node2] >> l.split & 1) << d
		}
		rowAt[li] = l.tabAt + int32(S)*int32(d)
	}
	tab, ent := ls.tab, ls.ent
	i := 0
	for _, g := range ls.groups {
		acc := 0.0
		for ; i < int(g.end); i++ {
			e := ent[i]
			acc += tab[rowAt[uint16(e)]+int32(uint8(e>>16))]
		}
		phi[g.feature] += acc
	}
}

// leafScratch is the scratch space of leafShap.explain for leaves without
// tables, with Gauss–Legendre rules by number of points.
type leafScratch struct {
	q, out []float64
	pts, w [][]float64
	rowAt  []int32 // per leaf
	rowAt2 []int32 // per leaf, for the second row of explainBinned2
}

func newLeafScratch(maxNodes int) *leafScratch {
	return &leafScratch{q: make([]float64, 64), out: make([]float64, 64), pts: make([][]float64, 33), w: make([][]float64, 33),
		rowAt: make([]int32, maxNodes), rowAt2: make([]int32, maxNodes)}
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
