//go:build amd64 && !purego

package train

import (
	"fmt"
	"unsafe"
)

// On amd64 a bin's gradient and hessian are added by one two-lane SSE2
// instruction, one load and one store per bin instead of two of each: the
// pass is bound by stores, and takes about half the time of the Go loop.
// One pass sums k features, one kernel for each k; over every row (the
// root) up to five, which takes the last two free registers. SSE2 is part
// of the amd64 baseline, so no CPU check is needed.

// sumkRows stops at the first row outside [0, n) and returns how many rows
// it summed. Only the first k histograms and columns are read. The
// kernels named ...2 split the pass (histPass.two): their second
// histograms lie histBBytes past the first.
//
//go:noescape
func sum1Rows(h *[maxPass]*[256]hbin, c *[maxPass]*uint8, n int, rows []int32, ogh []gh) int

//go:noescape
func sum2Rows(h *[maxPass]*[256]hbin, c *[maxPass]*uint8, n int, rows []int32, ogh []gh) int

//go:noescape
func sum3Rows(h *[maxPass]*[256]hbin, c *[maxPass]*uint8, n int, rows []int32, ogh []gh) int

//go:noescape
func sum4Rows(h *[maxPass]*[256]hbin, c *[maxPass]*uint8, n int, rows []int32, ogh []gh) int

//go:noescape
func sum1Rows2(h *[maxPass]*[256]hbin, c *[maxPass]*uint8, n int, rows []int32, ogh []gh) int

//go:noescape
func sum2Rows2(h *[maxPass]*[256]hbin, c *[maxPass]*uint8, n int, rows []int32, ogh []gh) int

//go:noescape
func sum3Rows2(h *[maxPass]*[256]hbin, c *[maxPass]*uint8, n int, rows []int32, ogh []gh) int

//go:noescape
func sum4Rows2(h *[maxPass]*[256]hbin, c *[maxPass]*uint8, n int, rows []int32, ogh []gh) int

//go:noescape
func sum1All(h *[maxPass]*[256]hbin, c *[maxPass]*uint8, ogh []gh)

//go:noescape
func sum2All(h *[maxPass]*[256]hbin, c *[maxPass]*uint8, ogh []gh)

//go:noescape
func sum3All(h *[maxPass]*[256]hbin, c *[maxPass]*uint8, ogh []gh)

//go:noescape
func sum4All(h *[maxPass]*[256]hbin, c *[maxPass]*uint8, ogh []gh)

//go:noescape
func sum5All(h *[maxPass]*[256]hbin, c *[maxPass]*uint8, ogh []gh)

//go:noescape
func sum1All2(h *[maxPass]*[256]hbin, c *[maxPass]*uint8, ogh []gh)

//go:noescape
func sum2All2(h *[maxPass]*[256]hbin, c *[maxPass]*uint8, ogh []gh)

//go:noescape
func sum3All2(h *[maxPass]*[256]hbin, c *[maxPass]*uint8, ogh []gh)

//go:noescape
func sum4All2(h *[maxPass]*[256]hbin, c *[maxPass]*uint8, ogh []gh)

//go:noescape
func sum5All2(h *[maxPass]*[256]hbin, c *[maxPass]*uint8, ogh []gh)

type (
	rowsKernel func(h *[maxPass]*[256]hbin, c *[maxPass]*uint8, n int, rows []int32, ogh []gh) int
	allKernel  func(h *[maxPass]*[256]hbin, c *[maxPass]*uint8, ogh []gh)
)

// The kernels by features and split: [two][k-1].
var (
	sumRowsKernels = [2][4]rowsKernel{{sum1Rows, sum2Rows, sum3Rows, sum4Rows}, {sum1Rows2, sum2Rows2, sum3Rows2, sum4Rows2}}
	sumAllKernels  = [2][5]allKernel{{sum1All, sum2All, sum3All, sum4All, sum5All}, {sum1All2, sum2All2, sum3All2, sum4All2, sum5All2}}
)

// sumRows adds ogh[i] to bin c[f][rows[i]] of histogram f, for each
// feature f (at most four), rows in order (see sumRowsGo).
func (q *histPass) sumRows(rows []int32, ogh []gh) {
	if len(ogh) < len(rows) {
		panic("train: fewer gradients than rows")
	}
	if q.k > len(sumRowsKernels[0]) {
		panic("train: a pass over a node's rows sums at most four features")
	}
	n := len(q.c[0])
	for _, c := range q.c[1:q.k] {
		n = min(n, len(c))
	}
	c := q.bases()
	if k := sumRowsKernels[q.split()][q.k-1](&q.h, &c, n, rows, ogh); k < len(rows) {
		panic(fmt.Sprintf("train: row %d beyond its column of %d", rows[k], n))
	}
	q.fold()
}

// sumAll is sumRows over the rows 0…len(ogh)-1.
func (q *histPass) sumAll(ogh []gh) {
	for _, c := range q.c[:q.k] {
		if len(c) < len(ogh) {
			panic("train: column shorter than its gradients")
		}
	}
	c := q.bases()
	sumAllKernels[q.split()][q.k-1](&q.h, &c, ogh)
	q.fold()
}

// split returns 1 for a split pass, after checking that each second
// histogram lies where the kernels write it; else 0.
func (q *histPass) split() int {
	if !q.two {
		return 0
	}
	for f := range q.k {
		if uintptr(unsafe.Pointer(q.hb[f])) != uintptr(unsafe.Pointer(q.h[f]))+uintptr(histBBytes) {
			panic("train: a second histogram not histBBytes past its first")
		}
	}
	return 1
}

func (q *histPass) bases() [maxPass]*uint8 {
	var b [maxPass]*uint8
	for f := range q.k {
		b[f] = unsafe.SliceData(q.c[f])
	}
	return b
}
