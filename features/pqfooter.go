package features

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// This file reads and checks a Parquet file's footer: the schema, the row
// groups and where each column chunk lies. Every count and offset is
// checked against the file before a page is read, so a corrupt footer is a
// *SchemaError naming the file.

// Parquet physical types.
const (
	ptBoolean = 0
	ptInt32   = 1
	ptInt64   = 2
	ptInt96   = 3
	ptFloat   = 4
	ptDouble  = 5
	ptBytes   = 6
	ptFixed   = 7
)

// Parquet converted types (the annotations older writers use).
const (
	ctUTF8            = 0
	ctEnum            = 4
	ctDecimal         = 5
	ctDate            = 6
	ctTimestampMillis = 9
	ctTimestampMicros = 10
	ctUint8           = 11
	ctUint64          = 14
	ctInt8            = 15
	ctInt64           = 18
	ctJSON            = 19
)

// Parquet logical types (the members of the LogicalType union).
const (
	ltString    = 1
	ltEnum      = 4
	ltDecimal   = 5
	ltDate      = 6
	ltTimestamp = 8
	ltInteger   = 10
	ltUnknown   = 11
	ltJSON      = 12
)

// pqSchemaElem is one node of a file's schema.
type pqSchemaElem struct {
	typ, typeLen int32 // physical type (-1 for a group) and FIXED_LEN_BYTE_ARRAY width
	rep          int32 // 0 required, 1 optional, 2 repeated
	name         string
	children     int32
	converted    int32 // -1 when absent
	scale        int32
	logical      int16 // ltString…, 0 when absent
	unit         int16 // timestamp unit: 1 ms, 2 µs, 3 ns
	bitWidth     int8
	signed       bool
}

// pqChunkMeta is where a column chunk lies and how it is stored.
type pqChunkMeta struct {
	typ             int32
	codec           int32
	numValues       int64
	compressed      int64
	dataOff         int64
	dictOff         int64 // 0 when absent
	path            []string
	externalFile    bool
	hasMeta         bool
	uncompressedAll int64
}

type pqRowGroup struct {
	numRows int64
	chunks  []pqChunkMeta
}

// pqFile is a Parquet file's checked footer: its leaf columns and row
// groups.
type pqFile struct {
	r         io.ReaderAt
	cols      []pqColumn
	rowGroups []pqRowGroup
	numRows   int64
	kv        [][2]string
	createdBy string
}

// pqColumn is a flat file's column and how its values are read.
type pqColumn struct {
	name     string
	typ      int32 // physical type
	typeLen  int   // FIXED_LEN_BYTE_ARRAY width
	optional bool
	kind     pageKind
	unit     int64 // pkTime: nanoseconds per stored unit, 0 for a date
	scale    int   // pkDecimal
}

// errUnsupported wraps the reasons a file's columns cannot be read.
var errUnsupported = errors.New("not read by leadscore")

// openPQ reads and checks the footer of a Parquet file of size bytes.
func openPQ(r io.ReaderAt, size int64) (*pqFile, error) {
	b, err := readFooter(r, size)
	if err != nil {
		return nil, err
	}
	n := int64(len(b))
	f := &pqFile{r: r}
	schema, err := f.decodeFooter(b)
	if err != nil {
		return nil, fmt.Errorf("not a readable Parquet file: corrupt footer: %w", err)
	}
	if err := f.flatten(schema); err != nil {
		return nil, err
	}
	if err := f.checkChunks(size - 8 - n); err != nil {
		return nil, fmt.Errorf("not a readable Parquet file: %w", err)
	}
	return f, nil
}

// readFooter checks a Parquet file's frame (the magic at both ends, a
// footer length that fits in the file) and returns its footer. A corrupt
// length would otherwise make the reader allocate and read gigabytes for
// a file of a few bytes.
func readFooter(r io.ReaderAt, size int64) ([]byte, error) {
	const frame = 12 // "PAR1" + footer length + "PAR1"
	if size < frame {
		return nil, fmt.Errorf("not a readable Parquet file: %d bytes, fewer than the 12 of an empty one", size)
	}
	var head [4]byte
	var foot [8]byte
	if _, err := r.ReadAt(head[:], 0); err != nil {
		return nil, err
	}
	if _, err := r.ReadAt(foot[:], size-8); err != nil {
		return nil, err
	}
	if string(head[:]) != "PAR1" || string(foot[4:]) != "PAR1" {
		return nil, errors.New("not a readable Parquet file: no PAR1 magic at its start and end")
	}
	n := int64(binary.LittleEndian.Uint32(foot[:4]))
	if n == 0 || n > size-frame {
		return nil, fmt.Errorf("not a readable Parquet file: its footer claims %d bytes of a %d-byte file", n, size)
	}
	b := make([]byte, n)
	if _, err := r.ReadAt(b, size-8-n); err != nil {
		return nil, err
	}
	return b, nil
}

// WrittenByLeadscore reports whether r (size bytes) is a Parquet file
// leadscore wrote: its footer names leadscore as the writer, or holds
// leadscore's metadata keys. Anything else (another tool's Parquet, a
// file that is no Parquet) is not.
func WrittenByLeadscore(r io.ReaderAt, size int64) bool {
	b, err := readFooter(r, size)
	if err != nil {
		return false
	}
	var f pqFile
	if _, err := f.decodeFooter(b); err != nil {
		return false
	}
	if strings.HasPrefix(f.createdBy, "leadscore") {
		return true
	}
	return slices.ContainsFunc(f.kv, func(kv [2]string) bool { return strings.HasPrefix(kv[0], "leadscore.") })
}

// decodeFooter decodes the FileMetaData structure.
func (f *pqFile) decodeFooter(b []byte) ([]pqSchemaElem, error) {
	t := &thriftReader{b: b}
	var schema []pqSchemaElem
	t.ints(nil, map[int16]*int64{3: &f.numRows}, func(id int16, typ byte) bool {
		switch {
		case id == 2 && typ == tList:
			t.structList(func() {
				schema = append(schema, decodeSchemaElem(t))
			})
		case id == 4 && typ == tList:
			t.structList(func() {
				f.rowGroups = append(f.rowGroups, decodeRowGroup(t))
			})
		case id == 5 && typ == tList:
			t.structList(func() {
				var kv [2]string
				t.fields(func(id int16, typ byte) bool {
					if (id == 1 || id == 2) && typ == tBinary {
						kv[id-1] = t.str()
						return true
					}
					return false
				})
				f.kv = append(f.kv, kv)
			})
		case id == 6 && typ == tBinary:
			f.createdBy = t.str()
		default:
			return false
		}
		return true
	})
	if t.err == nil && t.pos != len(b) {
		t.err = fmt.Errorf("%d bytes after its end", len(b)-t.pos)
	}
	return schema, t.err
}

func decodeSchemaElem(t *thriftReader) pqSchemaElem {
	e := pqSchemaElem{typ: -1, converted: -1}
	t.ints(map[int16]*int32{1: &e.typ, 2: &e.typeLen, 3: &e.rep, 5: &e.children, 6: &e.converted, 7: &e.scale},
		nil, func(id int16, typ byte) bool {
			switch {
			case id == 4 && typ == tBinary:
				e.name = t.str()
			case id == 10 && typ == tStruct:
				decodeLogical(t, &e)
			default:
				return false
			}
			return true
		})
	return e
}

// decodeLogical reads the LogicalType union into e.
func decodeLogical(t *thriftReader, e *pqSchemaElem) {
	t.fields(func(id int16, typ byte) bool {
		if typ != tStruct {
			return false
		}
		e.logical = id
		switch id {
		case ltDecimal:
			t.ints(map[int16]*int32{1: &e.scale}, nil, nil)
		case ltTimestamp:
			t.fields(func(id int16, typ byte) bool {
				if id == 2 && typ == tStruct {
					t.fields(func(id int16, typ byte) bool {
						if typ == tStruct {
							e.unit = id
						}
						return false
					})
					return true
				}
				return false
			})
		case ltInteger:
			t.fields(func(id int16, typ byte) bool {
				switch {
				case id == 1 && typ == tByte:
					e.bitWidth = int8(t.byte1())
				case id == 2 && (typ == tTrue || typ == tFalse):
					e.signed = boolField(typ)
				default:
					return false
				}
				return true
			})
		default:
			return false
		}
		return true
	})
}

func decodeRowGroup(t *thriftReader) pqRowGroup {
	var g pqRowGroup
	t.ints(nil, map[int16]*int64{3: &g.numRows}, func(id int16, typ byte) bool {
		if id == 1 && typ == tList {
			t.structList(func() { g.chunks = append(g.chunks, decodeChunk(t)) })
			return true
		}
		return false
	})
	return g
}

func decodeChunk(t *thriftReader) pqChunkMeta {
	var c pqChunkMeta
	t.fields(func(id int16, typ byte) bool {
		switch {
		case id == 1 && typ == tBinary:
			c.externalFile = len(t.binary()) > 0
		case id == 3 && typ == tStruct:
			c.hasMeta = true
			t.ints(map[int16]*int32{1: &c.typ, 4: &c.codec},
				map[int16]*int64{5: &c.numValues, 6: &c.uncompressedAll, 7: &c.compressed, 9: &c.dataOff, 11: &c.dictOff},
				func(id int16, typ byte) bool {
					if id != 3 || typ != tList {
						return false
					}
					t.list(func(et byte) {
						if et == tBinary {
							c.path = append(c.path, t.str())
						} else {
							t.skip(et)
						}
					})
					return true
				})
		default:
			return false
		}
		return true
	})
	return c
}

// flatten turns the schema into columns: a root group whose children are
// all leaves, none repeated. Nested or repeated columns are errUnsupported.
func (f *pqFile) flatten(schema []pqSchemaElem) error {
	if len(schema) == 0 {
		return errors.New("not a readable Parquet file: no schema")
	}
	root := schema[0]
	if int(root.children) != len(schema)-1 {
		return fmt.Errorf("%w: nested columns (the schema's root has %d children among %d nodes)", errUnsupported, root.children, len(schema)-1)
	}
	for _, e := range schema[1:] {
		if e.typ < 0 || e.children > 0 {
			return fmt.Errorf("%w: column %q is a group (nested data)", errUnsupported, e.name)
		}
		if e.rep == 2 {
			return fmt.Errorf("%w: column %q is repeated", errUnsupported, e.name)
		}
		c, err := columnOf(e)
		if err != nil {
			return err
		}
		f.cols = append(f.cols, c)
	}
	if len(f.cols) == 0 {
		return errors.New("not a readable Parquet file: no columns")
	}
	return nil
}

// columnOf says how a leaf's values are read: text for strings (and
// unannotated byte arrays), integers (signed or not), floats, decimals and
// booleans as numbers, timestamps (INT64 or INT96) and dates as times.
func columnOf(e pqSchemaElem) (pqColumn, error) {
	c := pqColumn{name: e.name, typ: e.typ, typeLen: int(e.typeLen), optional: e.rep == 1}
	unsupported := func() (pqColumn, error) {
		return c, fmt.Errorf("%w: column %q has a Parquet type leadscore does not read (physical %d, converted %d, logical %d)",
			errUnsupported, e.name, e.typ, e.converted, e.logical)
	}
	lt, ct := e.logical, e.converted
	if lt == ltDecimal || lt == 0 && ct == ctDecimal {
		if e.scale < 0 || e.scale > 38 {
			return unsupported()
		}
		switch e.typ {
		case ptInt32, ptInt64, ptBytes:
		case ptFixed:
			if e.typeLen < 1 || e.typeLen > 32 {
				return unsupported()
			}
		default:
			return unsupported()
		}
		c.kind, c.scale = pkDecimal, int(e.scale)
		return c, nil
	}
	switch e.typ {
	case ptBoolean:
		if lt != 0 || ct >= 0 {
			return unsupported()
		}
		c.kind = pkBool
	case ptBytes:
		switch {
		case lt == 0 && (ct < 0 || ct == ctUTF8 || ct == ctEnum || ct == ctJSON):
		case lt == ltString || lt == ltEnum || lt == ltJSON:
		default:
			return unsupported()
		}
		c.kind = pkText
	case ptDouble, ptFloat:
		if lt != 0 || ct >= 0 {
			return unsupported()
		}
		c.kind = pkFloat
		if e.typ == ptFloat {
			c.kind = pkFloat32
		}
	case ptInt96:
		if lt != 0 || ct >= 0 {
			return unsupported()
		}
		c.kind, c.unit = pkTime, 1
	case ptInt32, ptInt64:
		return intColumn(c, e, unsupported)
	default:
		return unsupported()
	}
	return c, nil
}

// intColumn reads an INT32 or INT64 leaf: an integer, a date or a
// timestamp.
func intColumn(c pqColumn, e pqSchemaElem, unsupported func() (pqColumn, error)) (pqColumn, error) {
	lt, ct := e.logical, e.converted
	is64 := e.typ == ptInt64
	switch {
	case lt == ltInteger:
		if e.bitWidth != 8 && e.bitWidth != 16 && e.bitWidth != 32 && e.bitWidth != 64 || (e.bitWidth == 64) != is64 {
			return unsupported()
		}
		c.kind = pkInt
		if !e.signed {
			c.kind = pkUint
		}
	case lt == ltDate || lt == 0 && ct == ctDate:
		if is64 {
			return unsupported()
		}
		c.kind = pkTime
	case lt == ltTimestamp:
		units := map[int16]int64{1: 1e6, 2: 1e3, 3: 1}
		if !is64 || units[e.unit] == 0 {
			return unsupported()
		}
		c.kind, c.unit = pkTime, units[e.unit]
	case lt == 0 && (ct == ctTimestampMillis || ct == ctTimestampMicros):
		if !is64 {
			return unsupported()
		}
		c.kind, c.unit = pkTime, 1e6
		if ct == ctTimestampMicros {
			c.unit = 1e3
		}
	case lt == 0 && ct >= ctUint8 && ct <= ctUint64:
		c.kind = pkUint
	case lt == 0 && ct >= ctInt8 && ct <= ctInt64, lt == 0 && ct < 0, lt == ltUnknown:
		c.kind = pkInt
	default:
		return unsupported()
	}
	return c, nil
}

// checkChunks checks the row groups against the schema and the file: one
// chunk per column, of the column's type, in this file, within its data
// part (end is where the footer starts), with as many values as rows.
func (f *pqFile) checkChunks(end int64) error {
	var total int64
	for g, rg := range f.rowGroups {
		if rg.numRows < 0 {
			return fmt.Errorf("row group %d claims %d rows", g, rg.numRows)
		}
		total += rg.numRows
		if len(rg.chunks) != len(f.cols) {
			return fmt.Errorf("row group %d has %d column chunks for %d columns", g, len(rg.chunks), len(f.cols))
		}
		for k, c := range rg.chunks {
			col := f.cols[k]
			switch {
			case c.externalFile:
				return fmt.Errorf("%w: column %q is stored in another file", errUnsupported, col.name)
			case !c.hasMeta:
				return fmt.Errorf("row group %d: column %q has no metadata (an encrypted file?)", g, col.name)
			case c.typ != col.typ:
				return fmt.Errorf("row group %d: column %q is of type %d, its schema says %d", g, col.name, c.typ, col.typ)
			case len(c.path) != 1 || c.path[0] != col.name:
				return fmt.Errorf("row group %d: chunk %d is for %q, not column %q", g, k, c.path, col.name)
			case c.numValues != rg.numRows:
				return fmt.Errorf("row group %d: column %q holds %d values for %d rows", g, col.name, c.numValues, rg.numRows)
			}
			if rg.numRows == 0 {
				continue // never read; some writers leave its offsets 0
			}
			start := c.start()
			if start < 4 || c.compressed <= 0 || c.compressed > end || start > end-c.compressed {
				return fmt.Errorf("row group %d: column %q's %d bytes at offset %d lie outside the file's data", g, col.name, c.compressed, start)
			}
			if c.uncompressedAll < 0 {
				return fmt.Errorf("row group %d: column %q claims %d bytes", g, col.name, c.uncompressedAll)
			}
		}
	}
	if total != f.numRows {
		return fmt.Errorf("the row groups hold %d rows, the footer says %d", total, f.numRows)
	}
	return nil
}

// start is where a chunk's first page lies: its dictionary page if any.
func (c pqChunkMeta) start() int64 {
	if c.dictOff > 0 && c.dictOff < c.dataOff {
		return c.dictOff
	}
	return c.dataOff
}

// meta returns the file's key-value metadata whose keys start with prefix.
func (f *pqFile) meta(prefix string) map[string]string {
	out := map[string]string{}
	for _, kv := range f.kv {
		if strings.HasPrefix(kv[0], prefix) {
			out[kv[0]] = kv[1]
		}
	}
	return out
}
