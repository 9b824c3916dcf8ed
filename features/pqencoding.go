package features

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"unsafe"
)

// This file decodes the value encodings of Parquet pages. Each decoder is
// told how many values to produce and fails, rather than reading past its
// input or allocating beyond that count, when the bytes disagree.

var errPageShort = errors.New("page data ends early")

// rleHybrid decodes n values of bit width w (0–32) in the RLE/bit-packed
// hybrid encoding into dst.
func rleHybrid(dst []int32, src []byte, w int) error {
	if w < 0 || w > 32 {
		return fmt.Errorf("bit width %d out of range", w)
	}
	width := (w + 7) / 8
	for i := 0; i < len(dst); {
		h, k := binary.Uvarint(src)
		if k <= 0 {
			return errPageShort
		}
		src = src[k:]
		if h&1 == 0 { // a run of one value
			run := h >> 1
			if len(src) < width {
				return errPageShort
			}
			var v uint32
			for j := range width {
				v |= uint32(src[j]) << (8 * j)
			}
			src = src[width:]
			if w < 32 && v>>w != 0 {
				return fmt.Errorf("run value %d wider than %d bits", v, w)
			}
			end := len(dst)
			if run < uint64(end-i) {
				end = i + int(run)
			}
			for ; i < end; i++ {
				dst[i] = int32(v)
			}
			continue
		}
		// A run of groups of eight values, w bits each (none at all for a
		// width of 0, as a dictionary of one value has).
		groups := h >> 1
		if w > 0 && (groups > uint64(len(src)) || groups*uint64(w) > uint64(len(src))) {
			return errPageShort
		}
		size := int(groups) * w
		packed := src[:size]
		src = src[size:]
		i += unpackBits(dst[i:], packed, w, int(min(groups, uint64(len(dst))))*8)
	}
	return nil
}

// allDefined reports whether the definition levels src (RLE/bit-packed
// hybrid, width 1) of a page of n values begin with runs of 1 that cover
// all n: a page without nulls, as writers store one, needing no decoding.
func allDefined(src []byte, n int) bool {
	for left := uint64(n); left > 0; {
		h, k := binary.Uvarint(src)
		if k <= 0 || h&1 != 0 || len(src) < k+1 || src[k] != 1 {
			return false
		}
		src = src[k+1:]
		left -= min(left, h>>1)
	}
	return true
}

// unpackBits reads up to count values of w bits, least significant bit
// first, from src into dst; it returns how many it wrote. Each value is
// shifted out of the eight bytes at its first one (fewer at src's end).
func unpackBits(dst []int32, src []byte, w, count int) int {
	n := min(count, len(dst))
	if w == 0 {
		clear(dst[:n])
		return n
	}
	mask := uint64(1)<<w - 1
	for i := range n {
		b := i * w
		var v uint64
		if at := src[b>>3:]; len(at) >= 8 {
			v = binary.LittleEndian.Uint64(at)
		} else {
			for j, c := range at {
				v |= uint64(c) << (8 * j)
			}
		}
		dst[i] = int32(v >> (b & 7) & mask)
	}
	return n
}

// plainInts decodes n PLAIN INT32 (size 4) or INT64 (size 8) values.
func plainInts(dst []int64, src []byte, size int) error {
	if len(src) < len(dst)*size {
		return errPageShort
	}
	if size == 8 {
		for i := range dst {
			dst[i] = int64(binary.LittleEndian.Uint64(src[8*i:]))
		}
		return nil
	}
	for i := range dst {
		dst[i] = int64(int32(binary.LittleEndian.Uint32(src[4*i:])))
	}
	return nil
}

// plainFloats decodes n PLAIN FLOAT (size 4) or DOUBLE (size 8) values.
func plainFloats(dst []float64, src []byte, size int) error {
	if len(src) < len(dst)*size {
		return errPageShort
	}
	if size == 8 {
		for i := range dst {
			dst[i] = math.Float64frombits(binary.LittleEndian.Uint64(src[8*i:]))
		}
		return nil
	}
	for i := range dst {
		dst[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:])))
	}
	return nil
}

// plainBools decodes n PLAIN booleans (one bit each) as 0 or 1.
func plainBools(dst []int64, src []byte) error {
	if len(src) < (len(dst)+7)/8 {
		return errPageShort
	}
	for i := range dst {
		dst[i] = int64(src[i/8] >> (i % 8) & 1)
	}
	return nil
}

// int96Nanos converts INT96 timestamps (nanoseconds of the day, then the
// Julian day) to nanoseconds since 1970. The nanoseconds may be negative:
// Arrow writes a time before 1970 as the day truncated towards it and a
// negative remainder. A time that nanoseconds since 1970 cannot hold
// (before 1677 or after 2262, such as Spark's 9999-12-31 for "never")
// becomes outOfRangeNanos, a bad cell for the rows that hold it.
func int96Nanos(dst []int64, src []byte) error {
	if len(src) < len(dst)*12 {
		return errPageShort
	}
	const unixJulianDay = 2440588
	for i := range dst {
		b := src[12*i:]
		nanos := int64(binary.LittleEndian.Uint64(b))
		day := int64(binary.LittleEndian.Uint32(b[8:])) - unixJulianDay
		if nanos <= -86400e9 || nanos >= 86400e9 || day < -106750 || day > 106750 {
			dst[i] = outOfRangeNanos
			continue
		}
		dst[i] = day*86400e9 + nanos
	}
	return nil
}

// outOfRangeNanos stands for an INT96 time that int64 nanoseconds cannot
// hold; read as a time it is 1677-09-21, outside every supported range.
const outOfRangeNanos = math.MinInt64

// plainBytes decodes n PLAIN BYTE_ARRAY values (a 4-byte length, then the
// bytes) into strings that alias src.
func plainBytes(dst []string, src []byte) error {
	spans := make([]uint64, len(dst))
	if err := plainSpans(spans, src); err != nil {
		return err
	}
	for i, s := range spans {
		dst[i] = spanString(src, s)
	}
	return nil
}

// spanString returns the span s of b (plainSpans) as a string aliasing b.
func spanString(b []byte, s uint64) string {
	return aliasString(b[s>>32 : s>>32+s&(1<<32-1)])
}

// plainSpans decodes len(dst) PLAIN BYTE_ARRAY values as spans of src:
// each value's offset in the high 32 bits, its length in the low ones.
func plainSpans(dst []uint64, src []byte) error {
	pos := 0
	for i := range dst {
		if len(src)-pos < 4 {
			return errPageShort
		}
		l := int(binary.LittleEndian.Uint32(src[pos:]))
		pos += 4
		if l > len(src)-pos {
			return errPageShort
		}
		dst[i] = uint64(pos)<<32 | uint64(l)
		pos += l
	}
	return nil
}

// fixedBytes decodes n FIXED_LEN_BYTE_ARRAY values of size bytes.
func fixedBytes(dst []string, src []byte, size int) error {
	if size <= 0 || len(src)/size < len(dst) {
		return errPageShort
	}
	for i := range dst {
		dst[i] = aliasString(src[i*size : (i+1)*size])
	}
	return nil
}

// aliasString returns b as a string without copying; b must never change.
func aliasString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// deltaInts decodes n DELTA_BINARY_PACKED values and returns the bytes
// after them. bits is 32 or 64: INT32 values wrap at 32 bits.
func deltaInts(dst []int64, src []byte, bits int) ([]byte, error) {
	var hdr [3]uint64
	for i := range hdr {
		v, k := binary.Uvarint(src)
		if k <= 0 {
			return nil, errPageShort
		}
		hdr[i], src = v, src[k:]
	}
	block, minis, total := hdr[0], hdr[1], hdr[2]
	if block == 0 || block%128 != 0 || block > 1<<16 || minis == 0 || block%minis != 0 || (block/minis)%32 != 0 {
		return nil, fmt.Errorf("delta encoding: blocks of %d values in %d miniblocks", block, minis)
	}
	if total != uint64(len(dst)) {
		return nil, fmt.Errorf("delta encoding holds %d values, the page %d", total, len(dst))
	}
	first, k := binary.Varint(src)
	if k <= 0 {
		return nil, errPageShort
	}
	src = src[k:]
	if len(dst) == 0 {
		return src, nil
	}
	per := int(block / minis)
	vals := make([]int32, per)
	wide := make([]uint64, per)
	dst[0] = first
	prev, i := first, 1
	for i < len(dst) {
		minDelta, k := binary.Varint(src)
		if k <= 0 || len(src)-k < int(minis) {
			return nil, errPageShort
		}
		widths := src[k : k+int(minis)]
		src = src[k+int(minis):]
		for _, w := range widths {
			if i >= len(dst) {
				break
			}
			if int(w) > bits {
				return nil, fmt.Errorf("delta encoding: miniblock of %d-bit values", w)
			}
			size := per * int(w) / 8
			if len(src) < size {
				return nil, errPageShort
			}
			n := min(per, len(dst)-i)
			if w <= 32 {
				unpackBits(vals, src[:size], int(w), per)
				for j := range n {
					wide[j] = uint64(uint32(vals[j]))
				}
			} else {
				unpackWide(wide, src[:size], int(w))
			}
			src = src[size:]
			for j := range n {
				prev += minDelta + int64(wide[j])
				if bits == 32 {
					prev = int64(int32(prev))
				}
				dst[i] = prev
				i++
			}
		}
	}
	return src, nil
}

// unpackWide reads len(dst) values of w (33–64) bits, least significant bit
// first.
func unpackWide(dst []uint64, src []byte, w int) {
	bit := 0
	for i := range dst {
		var v uint64
		for j := 0; j < w; j++ {
			b := bit + j
			v |= uint64(src[b/8]>>(b%8)&1) << j
		}
		dst[i] = v
		bit += w
	}
}

// deltaLengths decodes n DELTA_LENGTH_BYTE_ARRAY values into strings that
// alias src, and returns the bytes after them.
func deltaLengths(dst []string, src []byte) ([]byte, error) {
	lens := make([]int64, len(dst))
	rest, err := deltaInts(lens, src, 32)
	if err != nil {
		return nil, err
	}
	for i, l := range lens {
		if l < 0 || l > int64(len(rest)) {
			return nil, errPageShort
		}
		dst[i] = aliasString(rest[:l])
		rest = rest[l:]
	}
	return rest, nil
}

// deltaStrings decodes n DELTA_BYTE_ARRAY values (each a prefix of the
// previous one and a suffix) into new strings.
func deltaStrings(dst []string, src []byte) error {
	prefixes := make([]int64, len(dst))
	rest, err := deltaInts(prefixes, src, 32)
	if err != nil {
		return err
	}
	if _, err := deltaLengths(dst, rest); err != nil {
		return err
	}
	prev := ""
	for i, suffix := range dst {
		p := prefixes[i]
		if p < 0 || p > int64(len(prev)) {
			return fmt.Errorf("delta encoding: prefix of %d bytes after a value of %d", p, len(prev))
		}
		prev = prev[:p] + suffix
		dst[i] = prev
	}
	return nil
}

// streamSplit decodes n BYTE_STREAM_SPLIT values of size bytes: byte j of
// every value is stored together, stream after stream. It returns the
// values reassembled, size bytes each.
func streamSplit(n int, src []byte, size int) ([]byte, error) {
	if size <= 0 || len(src) < n*size {
		return nil, errPageShort
	}
	out := make([]byte, n*size)
	for j := range size {
		stream := src[j*n : (j+1)*n]
		for i, b := range stream {
			out[i*size+j] = b
		}
	}
	return out, nil
}

// decimalFloat returns the decimal whose unscaled value is the big-endian
// two's-complement integer b, divided by 10^scale, as the nearest float64.
func decimalFloat(b []byte, scale int) (float64, error) {
	if len(b) == 0 {
		return 0, errors.New("empty decimal")
	}
	v := new(big.Int).SetBytes(b)
	if b[0]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return scaledFloat(v.String(), scale)
}

// scaledFloat reads the integer text digits divided by 10^scale.
func scaledFloat(digits string, scale int) (float64, error) {
	f, err := strconv.ParseFloat(digits+"e-"+strconv.Itoa(scale), 64)
	if err != nil {
		return 0, fmt.Errorf("decimal %se-%d: %w", digits, scale, err)
	}
	return f, nil
}
