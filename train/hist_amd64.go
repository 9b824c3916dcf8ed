//go:build amd64 && !purego

package train

import (
	"fmt"
	"unsafe"
)

// On amd64 a bin's gradient and hessian are added by one two-lane SSE2
// instruction, one load and one store per bin instead of two of each: the
// pass is bound by stores, and takes about half the time of the Go loop.
// SSE2 is part of the amd64 baseline, so no CPU check is needed.

// sum4Rows stops at the first row outside [0, n) and returns how many rows
// it summed.
//
//go:noescape
func sum4Rows(h *[4]*[256]hbin, c *[4]*uint8, n int, rows []int32, ogh []gh) int

//go:noescape
func sum4All(h *[4]*[256]hbin, c *[4]*uint8, ogh []gh)

// sumRows adds ogh[i] to bin c[k][rows[i]] of histogram k, for each
// feature k, rows in order.
func (q *histQuad) sumRows(rows []int32, ogh []gh) {
	if len(ogh) < len(rows) {
		panic("train: fewer gradients than rows")
	}
	n := min(len(q.c[0]), len(q.c[1]), len(q.c[2]), len(q.c[3]))
	c := q.bases()
	if k := sum4Rows(&q.h, &c, n, rows, ogh); k < len(rows) {
		panic(fmt.Sprintf("train: row %d beyond its column of %d", rows[k], n))
	}
}

// sumAll is sumRows over the rows 0…len(ogh)-1.
func (q *histQuad) sumAll(ogh []gh) {
	for _, c := range q.c {
		if len(c) < len(ogh) {
			panic("train: column shorter than its gradients")
		}
	}
	c := q.bases()
	sum4All(&q.h, &c, ogh)
}

func (q *histQuad) bases() [4]*uint8 {
	return [4]*uint8{unsafe.SliceData(q.c[0]), unsafe.SliceData(q.c[1]), unsafe.SliceData(q.c[2]), unsafe.SliceData(q.c[3])}
}
