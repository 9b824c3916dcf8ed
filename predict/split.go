package predict

import "math"

// Split is a tree node's decision, XGBoost's rule: a row goes to the
// default side when its value is missing; at a numeric split it goes left
// when float32(x) < Threshold; at a categorical split (Right set) it goes
// right when its level code is in Right, left otherwise (codes the
// Encoder never gives, outside 0 to maxCodes−1, go left). Training grows
// trees on binned values and scoring reads binned rows too; both derive
// their bin decisions from this rule (RightBins), so they cannot disagree.
type Split struct {
	Feature     int32
	Threshold   float32
	Right       *[4]uint64 // level codes going right; nil at a numeric split
	DefaultLeft bool
}

// GoesLeft reports whether value x takes the left branch.
func (s *Split) GoesLeft(x float64) bool {
	switch {
	case math.IsNaN(x):
		return s.DefaultLeft
	case s.Right != nil:
		c := int(x)
		return c < 0 || c >= maxCodes || s.Right[c/64]&(1<<(c%64)) == 0
	default:
		return float32(x) < s.Threshold
	}
}

// RightBins returns the bins of the split's feature that go right: bins as
// BinOf makes them from the feature's sorted cuts (a numeric feature) or
// codes (a categorical one). Each bin is decided by GoesLeft on a value of
// it: missing (bin 0), below the first cut (1), the cut that opens bin b,
// or the code b−1.
func (s *Split) RightBins(cuts []float32) [4]uint64 {
	var right [4]uint64
	for b := range 256 {
		var x float64
		switch {
		case b == 0:
			x = math.NaN()
		case s.Right != nil:
			x = float64(b - 1)
		case b == 1:
			x = math.Inf(-1)
		case b-2 < len(cuts):
			x = float64(cuts[b-2])
		default:
			x = math.Inf(1) // no such bin
		}
		if !s.GoesLeft(x) {
			right[b/64] |= 1 << (b % 64)
		}
	}
	return right
}

// BinOf returns the bin of value x of a feature: 0 when missing; for a
// categorical feature its code plus one (a code outside 0 to maxSetCode,
// which the Encoder never gives, takes bin maxSetCode+2, in no right set);
// for a numeric one 1 + the number of cuts at most float32(x).
func BinOf(x float64, cuts []float32, categorical bool) uint8 {
	switch {
	case math.IsNaN(x):
		return 0
	case categorical:
		c := int(x)
		if c < 0 || c > maxSetCode {
			c = maxSetCode + 1
		}
		return uint8(c + 1)
	default:
		return uint8(1 + CutsBelow(cuts, float32(x)))
	}
}

// CutsBelow returns how many of the sorted cuts are at most x.
func CutsBelow(cuts []float32, x float32) int {
	lo, hi := 0, len(cuts)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if cuts[m] <= x {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// InRight reports whether bin b is in a set of right bins.
func InRight(right *[4]uint64, b uint8) bool { return right[b>>6]>>(b&63)&1 != 0 }

// Binner gives a numeric feature's values their bins, as BinOf does,
// without a binary search over all the cuts: the span from the first cut to
// the last is divided into equal buckets, each knowing how many cuts lie in
// the buckets before it, so a value needs only the cuts in its own bucket,
// usually none or one. Its bucket is a monotone function of float32(x), so
// every cut in an earlier bucket is at most the value and every cut in a
// later one above it: the count is exact, not an approximation.
type Binner struct {
	cuts   []float32
	first  float64
	scale  float64  // buckets per unit of value
	before []uint16 // before[k]: cuts in the buckets below k; len buckets+1
}

// NewBinner makes the Binner of a feature's sorted, distinct cuts.
func NewBinner(cuts []float32) *Binner {
	b := &Binner{cuts: cuts}
	if len(cuts) < 2 {
		return b
	}
	buckets := 4 * len(cuts)
	b.first = float64(cuts[0])
	b.scale = float64(buckets) / (float64(cuts[len(cuts)-1]) - b.first)
	if !(b.scale > 0) || math.IsInf(b.scale, 0) {
		// An infinite cut (a threshold of a model from elsewhere): no span
		// to divide, so Bin searches all the cuts.
		b.scale = 0
		return b
	}
	b.before = make([]uint16, buckets+1)
	for _, c := range cuts {
		b.before[b.bucket(c)+1]++
	}
	for k := 1; k < len(b.before); k++ {
		b.before[k] += b.before[k-1]
	}
	return b
}

// bucket returns the bucket of v, from 0 to len(before)−2.
func (b *Binner) bucket(v float32) int {
	f := (float64(v) - b.first) * b.scale
	last := len(b.before) - 2
	switch {
	case f < 0:
		return 0
	case f >= float64(last):
		return last // also +Inf
	}
	return int(f)
}

// Bin returns BinOf(x, cuts, false).
func (b *Binner) Bin(x float64) uint8 {
	if math.IsNaN(x) {
		return 0
	}
	v := float32(x)
	if b.before == nil {
		return uint8(1 + CutsBelow(b.cuts, v))
	}
	k := b.bucket(v)
	lo, hi := int(b.before[k]), int(b.before[k+1])
	return uint8(1 + lo + CutsBelow(b.cuts[lo:hi], v))
}
