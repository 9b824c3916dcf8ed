package train

// maxPass is the most features one pass over every row sums (sumAll);
// a pass over a node's rows (sumRows) sums at most four.
const maxPass = 5

// histPass is the state of one pass that sums row gradients into the
// histograms of k features, one to maxPass: their histograms and binned
// columns (entries k and on unused).
type histPass struct {
	k int
	h [maxPass]*[256]hbin
	c [maxPass][]uint8
}

// sumRowsGo adds ogh[i] to bin c[f][rows[i]] of histogram f, for each
// feature f, rows in order. It is the portable form of the kernels the
// amd64 build runs; both add the same float64 values in the same order, so
// their histograms are bit-identical. The first four features share one
// pass over the rows; the others, or fewer than four, are summed one pass
// each.
func (q *histPass) sumRowsGo(rows []int32, ogh []gh) {
	ogh = ogh[:len(rows)]
	single := 0
	if q.k >= 4 {
		h0, h1, h2, h3 := q.h[0], q.h[1], q.h[2], q.h[3]
		c0, c1, c2, c3 := q.c[0], q.c[1], q.c[2], q.c[3]
		for i, r := range rows {
			add4(&h0[c0[r]], &h1[c1[r]], &h2[c2[r]], &h3[c3[r]], ogh[i])
		}
		single = 4
	}
	for f := single; f < q.k; f++ {
		h, c := q.h[f], q.c[f]
		for i, r := range rows {
			add1(&h[c[r]], ogh[i])
		}
	}
}

// sumAllGo is sumRowsGo over the rows 0…len(ogh)-1.
func (q *histPass) sumAllGo(ogh []gh) {
	n := len(ogh)
	single := 0
	if q.k >= 4 {
		h0, h1, h2, h3 := q.h[0], q.h[1], q.h[2], q.h[3]
		c0, c1, c2, c3 := q.c[0][:n], q.c[1][:n], q.c[2][:n], q.c[3][:n]
		for i, v := range ogh {
			add4(&h0[c0[i]], &h1[c1[i]], &h2[c2[i]], &h3[c3[i]], v)
		}
		single = 4
	}
	for f := single; f < q.k; f++ {
		h, c := q.h[f], q.c[f][:n]
		for i, b := range c {
			add1(&h[b], ogh[i])
		}
	}
}

// add1 adds one row's gradient pair to a histogram bin (inlined).
func add1(e *hbin, v gh) {
	e.g += float64(v.g)
	e.h += float64(v.h)
}

// add4 adds one row's gradient pair to four histogram bins (inlined).
func add4(e0, e1, e2, e3 *hbin, v gh) {
	g, hh := float64(v.g), float64(v.h)
	e0.g += g
	e0.h += hh
	e1.g += g
	e1.h += hh
	e2.g += g
	e2.h += hh
	e3.g += g
	e3.h += hh
}
