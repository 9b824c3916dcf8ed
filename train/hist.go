package train

// maxPass is the most features one pass over every row sums (sumAll);
// a pass over a node's rows (sumRows) sums at most four.
const maxPass = 5

// histPass is the state of one pass that sums row gradients into the
// histograms of k features, one to maxPass: their histograms and binned
// columns (entries k and on unused).
//
// A pass over many rows is split (two): the rows at even places in the
// pass go to h, those at odd places to hb, and hb is then added to h. A
// column of mostly one value sends most rows to one bin, and each add to
// it waits for the one before (a load of the bin just stored); two bins
// in turn halve that wait. hb[f] lies histB bins past h[f], in the
// booster's histograms, which the amd64 kernels rely on.
type histPass struct {
	k   int
	two bool
	h   [maxPass]*[256]hbin
	hb  [maxPass]*[256]hbin // with two; zero before the pass
	c   [maxPass][]uint8
}

// minTwoWay is the fewest rows a pass splits between two histograms per
// feature (histPass.two): below, clearing and adding the second costs
// more than it saves.
const minTwoWay = 1024

// sumRowsGo adds ogh[i] to bin c[f][rows[i]] of histogram f, for each
// feature f, rows in order (with two, rows at odd i into hb[f], then hb[f]
// added to h[f]). It is the portable form of the kernels the amd64 build
// runs; both add the same float64 values in the same order, so their
// histograms are bit-identical. The first four features share one pass
// over the rows; the others, or fewer than four, are summed one pass
// each.
func (q *histPass) sumRowsGo(rows []int32, ogh []gh) {
	ogh = ogh[:len(rows)]
	single := 0
	if q.k >= 4 {
		h0, h1, h2, h3 := q.h[0], q.h[1], q.h[2], q.h[3]
		c0, c1, c2, c3 := q.c[0], q.c[1], q.c[2], q.c[3]
		if q.two {
			b0, b1, b2, b3 := q.hb[0], q.hb[1], q.hb[2], q.hb[3]
			i := 0
			for ; i+1 < len(rows); i += 2 {
				r, s := rows[i], rows[i+1]
				add4(&h0[c0[r]], &h1[c1[r]], &h2[c2[r]], &h3[c3[r]], ogh[i])
				add4(&b0[c0[s]], &b1[c1[s]], &b2[c2[s]], &b3[c3[s]], ogh[i+1])
			}
			if i < len(rows) {
				r := rows[i]
				add4(&h0[c0[r]], &h1[c1[r]], &h2[c2[r]], &h3[c3[r]], ogh[i])
			}
		} else {
			for i, r := range rows {
				add4(&h0[c0[r]], &h1[c1[r]], &h2[c2[r]], &h3[c3[r]], ogh[i])
			}
		}
		single = 4
	}
	for f := single; f < q.k; f++ {
		h, hb, c := q.h[f], q.hb[f], q.c[f]
		for i, r := range rows {
			if q.two && i%2 == 1 {
				add1(&hb[c[r]], ogh[i])
			} else {
				add1(&h[c[r]], ogh[i])
			}
		}
	}
	q.fold()
}

// sumAllGo is sumRowsGo over the rows 0…len(ogh)-1.
func (q *histPass) sumAllGo(ogh []gh) {
	n := len(ogh)
	single := 0
	if q.k >= 4 {
		h0, h1, h2, h3 := q.h[0], q.h[1], q.h[2], q.h[3]
		c0, c1, c2, c3 := q.c[0][:n], q.c[1][:n], q.c[2][:n], q.c[3][:n]
		if q.two {
			b0, b1, b2, b3 := q.hb[0], q.hb[1], q.hb[2], q.hb[3]
			i := 0
			for ; i+1 < n; i += 2 {
				add4(&h0[c0[i]], &h1[c1[i]], &h2[c2[i]], &h3[c3[i]], ogh[i])
				add4(&b0[c0[i+1]], &b1[c1[i+1]], &b2[c2[i+1]], &b3[c3[i+1]], ogh[i+1])
			}
			if i < n {
				add4(&h0[c0[i]], &h1[c1[i]], &h2[c2[i]], &h3[c3[i]], ogh[i])
			}
		} else {
			for i, v := range ogh {
				add4(&h0[c0[i]], &h1[c1[i]], &h2[c2[i]], &h3[c3[i]], v)
			}
		}
		single = 4
	}
	for f := single; f < q.k; f++ {
		h, hb, c := q.h[f], q.hb[f], q.c[f][:n]
		for i, b := range c {
			if q.two && i%2 == 1 {
				add1(&hb[b], ogh[i])
			} else {
				add1(&h[b], ogh[i])
			}
		}
	}
	q.fold()
}

// fold adds a split pass's second histograms to its first.
func (q *histPass) fold() {
	if !q.two {
		return
	}
	for f := range q.k {
		h, hb := q.h[f], q.hb[f]
		for b := range h {
			h[b].g += hb[b].g
			h[b].h += hb[b].h
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
