package features

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// thriftReader decodes Thrift's compact protocol, the encoding of a Parquet
// file's footer and page headers, from a byte slice. It trusts nothing it
// reads: every length is checked against the bytes left (a list of n
// elements needs at least n bytes), nesting is bounded, and the first
// problem is kept in err, after which every read returns zero values. A
// corrupt header is therefore an error, never a panic or a huge
// allocation.
type thriftReader struct {
	b     []byte
	pos   int
	err   error
	depth int
}

// Compact protocol type codes.
const (
	tStop   = 0
	tTrue   = 1
	tFalse  = 2
	tByte   = 3
	tI16    = 4
	tI32    = 5
	tI64    = 6
	tDouble = 7
	tBinary = 8
	tList   = 9
	tSet    = 10
	tMap    = 11
	tStruct = 12
)

// thriftMaxDepth bounds struct nesting; Parquet's own structures nest less
// than ten deep.
const thriftMaxDepth = 32

var errThriftShort = errors.New("header ends early")

func (r *thriftReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *thriftReader) byte1() byte {
	if r.err != nil {
		return 0
	}
	if r.pos >= len(r.b) {
		r.fail(errThriftShort)
		return 0
	}
	c := r.b[r.pos]
	r.pos++
	return c
}

func (r *thriftReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.pos:])
	if n <= 0 {
		r.fail(errors.New("bad varint in header"))
		return 0
	}
	r.pos += n
	return v
}

func (r *thriftReader) varint() int64 {
	u := r.uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

// i32 reads an integer field that must fit in 32 bits.
func (r *thriftReader) i32() int32 {
	v := r.varint()
	if v < math.MinInt32 || v > math.MaxInt32 {
		r.fail(fmt.Errorf("header integer %d out of range", v))
		return 0
	}
	return int32(v)
}

func (r *thriftReader) i64() int64 { return r.varint() }

// size reads a length and checks that at least size×unit bytes are left.
func (r *thriftReader) size(unit int) int {
	n := r.uvarint()
	if r.err == nil && n > uint64(len(r.b)-r.pos)/uint64(unit) {
		r.fail(fmt.Errorf("header claims %d items with %d bytes left", n, len(r.b)-r.pos))
		return 0
	}
	return int(n)
}

// binary reads a byte string; the result aliases the input.
func (r *thriftReader) binary() []byte {
	n := r.size(1)
	if r.err != nil {
		return nil
	}
	v := r.b[r.pos : r.pos+n]
	r.pos += n
	return v
}

func (r *thriftReader) str() string { return string(r.binary()) }

// list reads a list header and calls elem for each element with the
// elements' type; elem reads the element or skips it.
func (r *thriftReader) list(elem func(t byte)) {
	h := r.byte1()
	n := int(h >> 4)
	if n == 15 {
		n = r.size(1)
	} else if r.err == nil && n > len(r.b)-r.pos {
		r.fail(errThriftShort)
	}
	t := h & 0x0f
	for i := 0; i < n && r.err == nil; i++ {
		elem(t)
	}
}

// structList reads a list whose struct elements elem reads; elements of
// another type are skipped.
func (r *thriftReader) structList(elem func()) {
	r.list(func(t byte) {
		if t != tStruct {
			r.skip(t)
			return
		}
		elem()
	})
}

// fields reads a struct, calling field with each field's id and type;
// field returns false for a field it does not read, which is skipped.
func (r *thriftReader) fields(field func(id int16, t byte) bool) {
	if r.depth++; r.depth > thriftMaxDepth {
		r.fail(errors.New("header nests too deep"))
	}
	defer func() { r.depth-- }()
	var id int16
	for r.err == nil {
		h := r.byte1()
		t := h & 0x0f
		if t == tStop {
			return
		}
		if d := h >> 4; d != 0 {
			id += int16(d)
		} else {
			v := r.varint()
			if v < math.MinInt16 || v > math.MaxInt16 {
				r.fail(errors.New("bad field id in header"))
				return
			}
			id = int16(v)
		}
		if !field(id, t) {
			r.skip(t)
		}
	}
}

// ints reads a struct whose integer fields go, by field id, to the
// pointers in i32 and i64; other reads any other field, returning false
// for one it does not read (nil: every other field is skipped).
func (r *thriftReader) ints(i32 map[int16]*int32, i64 map[int16]*int64, other func(id int16, t byte) bool) {
	r.fields(func(id int16, t byte) bool {
		if p, ok := i32[id]; ok && t == tI32 {
			*p = r.i32()
			return true
		}
		if p, ok := i64[id]; ok && t == tI64 {
			*p = r.i64()
			return true
		}
		return other != nil && other(id, t)
	})
}

// boolField reads a boolean field's value, held in its type code.
func boolField(t byte) bool { return t == tTrue }

// skip reads past a value of type t.
func (r *thriftReader) skip(t byte) {
	switch t {
	case tTrue, tFalse:
	case tByte:
		r.byte1()
	case tI16, tI32, tI64:
		r.uvarint()
	case tDouble:
		if r.err == nil && len(r.b)-r.pos < 8 {
			r.fail(errThriftShort)
		}
		r.pos += 8
	case tBinary:
		r.binary()
	case tList, tSet:
		r.list(r.skipElem)
	case tMap:
		n := r.size(1)
		if n == 0 {
			return
		}
		kv := r.byte1()
		for i := 0; i < n && r.err == nil; i++ {
			r.skip(kv >> 4)
			r.skip(kv & 0x0f)
		}
	case tStruct:
		r.fields(func(int16, byte) bool { return false })
	default:
		r.fail(fmt.Errorf("unknown type %d in header", t))
	}
}

// skipElem reads past a list element of type t; a boolean element is a byte.
func (r *thriftReader) skipElem(t byte) {
	if t == tTrue || t == tFalse {
		r.byte1()
		return
	}
	r.skip(t)
}
