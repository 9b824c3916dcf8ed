package train

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"

	"leadscore/predict"
)

// TestHistKernels checks that the histogram kernels the build runs sum
// exactly what the portable loops sum, bit for bit, on rows of every
// length and bins of few and many levels, for passes of one to five
// features (four over a node's rows), whole and split (histPass.two): a
// feature's histogram is the same whatever pass sums it. Split or whole,
// a histogram's bins add up to the rows' gradients, to rounding.
func TestHistKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 7, 1000, 70000} {
		for _, levels := range []int{1, 3, 256} {
			cols := binnedCols(r, n, levels)
			var rows []int32
			for i := range n {
				if r.IntN(3) > 0 {
					rows = append(rows, int32(i))
				}
			}
			ogh := make([]gh, n)
			for i := range ogh {
				ogh[i] = gh{float32(r.NormFloat64()), float32(r.Float64() / 4)}
			}
			for _, two := range []bool{false, true} {
				// run sums a pass into histograms laid out as the
				// booster's and returns the first 256 bins of each.
				run := func(k int, sum func(q *histPass)) [maxPass][256]hbin {
					h := make([]hbin, maxPass*histStride)
					for i := range h {
						h[i] = hbin{math.NaN(), math.NaN()} // the pass must clear what it reads
					}
					q := histPass{k: k, c: cols, two: two}
					for f := range k {
						q.h[f] = (*[256]hbin)(h[f*histStride:])
						clear(q.h[f][:])
						if two {
							q.hb[f] = (*[256]hbin)(h[f*histStride+histB:])
							clear(q.hb[f][:])
						}
					}
					sum(&q)
					var out [maxPass][256]hbin
					for f := range k {
						out[f] = *q.h[f]
					}
					return out
				}
				rowsWant := run(maxPass, func(q *histPass) { q.sumRowsGo(rows, ogh) })
				all := run(maxPass, func(q *histPass) { q.sumAllGo(ogh) })
				for k := 1; k <= maxPass; k++ {
					var rowsK, allK [maxPass][256]hbin
					copy(rowsK[:k], rowsWant[:k])
					copy(allK[:k], all[:k])
					if k <= 4 {
						if got := run(k, func(q *histPass) { q.sumRows(rows, ogh) }); got != rowsK {
							t.Errorf("rows, split %v: %d features, %d rows, %d levels: kernel and loop differ", two, k, n, levels)
						}
					}
					if got := run(k, func(q *histPass) { q.sumRowsGo(rows, ogh) }); got != rowsK {
						t.Errorf("rows, split %v: %d features, %d rows, %d levels: loops differ", two, k, n, levels)
					}
					if got := run(k, func(q *histPass) { q.sumAll(ogh) }); got != allK {
						t.Errorf("all, split %v: %d features, %d rows, %d levels: kernel and loop differ", two, k, n, levels)
					}
					if got := run(k, func(q *histPass) { q.sumAllGo(ogh) }); got != allK {
						t.Errorf("all, split %v: %d features, %d rows, %d levels: loops differ", two, k, n, levels)
					}
				}
				if n > 0 && levels == 3 {
					var g, h float64
					for i := range ogh {
						g += float64(ogh[i].g)
						h += float64(ogh[i].h)
					}
					var sg, sh float64
					for _, b := range all[2] {
						sg += b.g
						sh += b.h
					}
					if d := sg - g; d*d > 1e-12*g*g+1e-18 || sh-h > 1e-9*h+1e-12 || h-sh > 1e-9*h+1e-12 {
						t.Errorf("split %v, %d rows: histogram sums %g, %g, rows %g, %g", two, n, sg, sh, g, h)
					}
				}
			}
		}
	}
}

// binnedCols returns maxPass columns of n bins drawn from 0…levels-1.
func binnedCols(r *rand.Rand, n, levels int) [maxPass][]uint8 {
	var cols [maxPass][]uint8
	for f := range cols {
		cols[f] = make([]uint8, n)
		for i := range cols[f] {
			cols[f][i] = uint8(r.IntN(levels))
		}
	}
	return cols
}

// TestHistLayout checks the layout of a node's histogram (histStride):
// each feature's 256 bins and, histB past them, the 256 of a split pass
// end before the next feature's; and the same bin of any of these, for
// features less than 32 apart, lies on another 64-byte line of the 4 KiB
// window.
func TestHistLayout(t *testing.T) {
	const p = 64
	cols := make([]GBColumn, p)
	for f := range cols {
		cols[f] = GBColumn{Values: []float64{1, 2, 3}}
	}
	b := newBinning(cols, []int{0, 1, 2}, 255, 1, 2)
	size := int(unsafe.Sizeof(hbin{}))
	if histBBytes != histB*size || histB < 256 {
		t.Fatalf("histB %d (%d bytes)", histB, histBBytes)
	}
	for f := range p - 1 {
		if gap := b.off[f+1] - b.off[f]; gap < histB+256 {
			t.Errorf("feature %d: %d bins before the next", f, gap)
		}
	}
	if last := b.off[p-1] + histB + 256; b.total < last {
		t.Errorf("histogram of %d bins, the last feature's ends at %d", b.total, last)
	}
	apart := func(x, y int) bool {
		d := ((x-y)%4096 + 4096) % 4096
		return d >= 64 && d <= 4096-64
	}
	for f := range p {
		a := b.off[f] * size
		if !apart(a, a+histBBytes) {
			t.Errorf("feature %d: its two histograms share a line of the window", f)
		}
		for g := f + 1; g < min(p, f+32); g++ {
			c := b.off[g] * size
			if !apart(a, c) || !apart(a, c+histBBytes) || !apart(a+histBBytes, c) || !apart(a+histBBytes, c+histBBytes) {
				t.Errorf("features %d and %d: histograms share a line of the window", f, g)
			}
		}
	}
}

// TestHistKernelRowOutside checks that a row beyond its column stops the
// kernel with a panic instead of reading past the column.
func TestHistKernelRowOutside(t *testing.T) {
	cols := [maxPass][]uint8{make([]uint8, 10), make([]uint8, 10), make([]uint8, 9), make([]uint8, 10)}
	var h [4][256]hbin
	for k := 3; k <= 4; k++ {
		q := histPass{k: k, h: [maxPass]*[256]hbin{&h[0], &h[1], &h[2], &h[3]}, c: cols}
		for _, rows := range [][]int32{{0, 9}, {-1}} {
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("%d features, rows %v: no panic", k, rows)
					}
				}()
				q.sumRows(rows, make([]gh, len(rows)))
			}()
		}
	}
}

// TestPartitionPieces checks that a leaf partitioned in pieces on 1, 2, 3
// and 8 goroutines comes out as the stable partition: a leaf at the start
// of idx, one further in, and the root over every row, whose rows
// partition reads as 0…n-1 whatever idx holds.
func TestPartitionPieces(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	n := 3*minParallelPartition + 17
	v := make([]float64, n)
	for i := range v {
		v[i] = float64(r.IntN(40))
	}
	cols := []GBColumn{{Values: v}}
	var right [4]uint64
	for b := 1; b < 256; b += 3 {
		right[b/64] |= 1 << (b % 64)
	}
	// The middle rows, every other one; every row.
	var middle []int32
	for i := 5; i < n-5; i += 2 {
		middle = append(middle, int32(i))
	}
	every := make([]int32, n)
	for i := range every {
		every[i] = int32(i)
	}
	for _, c := range []struct {
		name  string
		begin int
		rows  []int32
	}{{"leaf at 0", 0, middle}, {"leaf at 3", 3, middle}, {"root", 0, every}} {
		for _, workers := range []int{1, 2, 3, 8} {
			bo := newBooster(cols, seq(n), GBDTConfig{Workers: workers}.withDefaults())
			for i := range bo.idx {
				bo.idx[i] = int32(n - 1 - i) // for the root, rows it must not read
			}
			if c.name != "root" {
				copy(bo.idx[c.begin:], c.rows)
			}
			bn := bo.x[:n]
			var want []int32
			for _, side := range []bool{false, true} {
				for _, i := range c.rows {
					if predict.InRight(&right, bn[i]) == side {
						want = append(want, i)
					}
				}
			}
			wantMid := c.begin + len(c.rows) - countRight(c.rows, bn, &right)
			if wantMid == c.begin || wantMid == c.begin+len(c.rows) {
				t.Fatalf("%s: degenerate split at %d", c.name, wantMid)
			}
			before, after := slices.Clone(bo.idx[:c.begin]), slices.Clone(bo.idx[c.begin+len(c.rows):])
			mid := bo.partition(&leaf{begin: c.begin, end: c.begin + len(c.rows)}, 0, &right)
			if got := bo.idx[c.begin : c.begin+len(c.rows)]; mid != wantMid || !slices.Equal(got, want) {
				t.Errorf("%s, %d workers: not the stable partition (split at %d, want %d)", c.name, workers, mid, wantMid)
			}
			if !slices.Equal(bo.idx[:c.begin], before) || !slices.Equal(bo.idx[c.begin+len(c.rows):], after) {
				t.Errorf("%s, %d workers: rows outside the leaf moved", c.name, workers)
			}
		}
	}
}

// countRight counts the rows whose bin is in right.
func countRight(rows []int32, bins []uint8, right *[4]uint64) int {
	k := 0
	for _, i := range rows {
		if predict.InRight(right, bins[i]) {
			k++
		}
	}
	return k
}

// TestGradientKernel checks that gradientsAfter, which the build runs
// (SSE2 on amd64), sets exactly what gradientsGo sets, bit for bit, both
// the gradients and the updated e^−score, on rows of odd and even counts
// with scores from −800 to 800 (e^−s overflowing, hessians under their
// floor), factors of 0 and +Inf among them, and labels of both kinds. A
// leaf outside the factors panics and leaves the rows after it alone.
func TestGradientKernel(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	factor := []float64{0, 1, math.Inf(1), 0.5, 2, math.Exp(-0.3), math.Exp(0.7), 1e-300}
	for _, n := range []int{0, 1, 2, 3, 1001} {
		against, y, leaf := make([]float64, n), make([]float32, n), make([]int32, n)
		for i := range against {
			against[i] = math.Exp(-(r.Float64()*1600 - 800))
			if r.IntN(10) == 0 {
				against[i] = math.Exp(-r.NormFloat64())
			}
			y[i] = float32(r.IntN(2))
			leaf[i] = int32(r.IntN(len(factor)))
		}
		a1, a2 := slices.Clone(against), slices.Clone(against)
		g1, g2 := make([]gh, n), make([]gh, n)
		gradientsGo(a1, y, leaf, factor, g1)
		gradientsAfter(a2, y, leaf, factor, g2)
		for i := range n {
			if math.Float64bits(a1[i]) != math.Float64bits(a2[i]) ||
				math.Float32bits(g1[i].g) != math.Float32bits(g2[i].g) || math.Float32bits(g1[i].h) != math.Float32bits(g2[i].h) {
				t.Fatalf("n=%d row %d: against %v, %v; gh %v, %v", n, i, a1[i], a2[i], g1[i], g2[i])
			}
		}
	}
	against, out := []float64{1, 1, 1, 1}, make([]gh, 4)
	func() {
		defer func() {
			if recover() == nil {
				t.Error("a leaf outside the factors did not panic")
			}
		}()
		gradientsAfter(against, make([]float32, 4), []int32{0, 1, 9, 0}, []float64{2, 3}, out)
	}()
	if against[3] != 1 {
		t.Errorf("the row after a bad leaf was changed: %v", against)
	}
}
