package features

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// This file reads a column chunk's pages into row-aligned cells. Every
// header field is checked before it is used (sizes within the chunk, value
// counts within the row group, level lengths within the page), and every
// decoder is bounded by the count the header gives, so a corrupt page is an
// error, never a panic.

// Page types, encodings and codecs of the Parquet format.
const (
	pageData   = 0
	pageIndex  = 1
	pageDict   = 2
	pageDataV2 = 3

	encPlain       = 0
	encPlainDict   = 2
	encRLE         = 3
	encDeltaBinary = 5
	encDeltaLength = 6
	encDeltaBytes  = 7
	encRLEDict     = 8
	encStreamSplit = 9

	codecNone   = 0
	codecSnappy = 1
	codecGzip   = 2
	codecBrotli = 4
	codecLZ4    = 5 // deprecated: LZ4 blocks in Hadoop's framing, or one bare block
	codecZstd   = 6
	codecLZ4Raw = 7
)

// maxPageRows bounds the rows of one page, far above what writers produce,
// so a corrupt count cannot make the reader allocate without bound.
const maxPageRows = 1 << 27

type pqPageHeader struct {
	typ                      int32
	uncompressed, compressed int32
	numValues, numNulls      int32
	numRows                  int32
	encoding, defEncoding    int32
	defLen, repLen           int32
	v2Compressed             bool
}

func decodePageHeader(t *thriftReader) pqPageHeader {
	h := pqPageHeader{typ: -1, v2Compressed: true, defEncoding: encRLE}
	t.ints(map[int16]*int32{1: &h.typ, 2: &h.uncompressed, 3: &h.compressed}, nil, func(id int16, typ byte) bool {
		switch {
		case (id == 5 || id == 7) && typ == tStruct: // data page v1, dictionary page
			t.ints(map[int16]*int32{1: &h.numValues, 2: &h.encoding, 3: &h.defEncoding}, nil, nil)
		case id == 8 && typ == tStruct:
			t.ints(map[int16]*int32{1: &h.numValues, 2: &h.numNulls, 3: &h.numRows, 4: &h.encoding, 5: &h.defLen, 6: &h.repLen},
				nil, func(id int16, typ byte) bool {
					if id == 7 && (typ == tTrue || typ == tFalse) {
						h.v2Compressed = boolField(typ)
						return true
					}
					return false
				})
		default:
			return false
		}
		return true
	})
	return h
}

// pqChunk reads one column chunk's pages in order.
type pqChunk struct {
	col   *pqColumn
	codec int32
	buf   []byte // the chunk's bytes
	pos   int
	left  int64 // values not yet read
	// most is the chunk's uncompressed size from the footer, which no page
	// exceeds (0 when the writer left it out).
	most    int64
	pages   int
	dict    pqValues
	dictBad []uint8 // why each text of the dictionary is bad; nil when none is
	hasDic  bool
	// fromDict is set when the current page's values came from the
	// dictionary (idx holds their indexes).
	fromDict bool
	// textPage is the current page's PLAIN text values when they are held
	// as spans of it (the scratch's span), else nil.
	textPage []byte
	// scratch holds the reading goroutine's reusable buffers, its levels,
	// dictionary indexes and values among them.
	scratch *pqScratch
	// keep is set when text cells point into the pages: their memory is
	// never reused. The chunk's own buffer is kept only when its pages are
	// not compressed; values of a compressed chunk's pages are copied out
	// of it (decompress, or readData for a v2 page stored uncompressed).
	keep bool
}

// pqValues holds decoded values of one of three shapes: text (strings),
// integers (also booleans, dates, timestamps, unscaled decimals) or floats.
type pqValues struct {
	str []string
	i64 []int64
	num []float64
}

// chunk reads column k of row group g.
func (f *pqFile) chunk(g, k int, s *pqScratch) (*pqChunk, error) {
	m := f.rowGroups[g].chunks[k]
	if m.numValues == 0 { // an empty row group's chunk, not checked or read (checkChunks)
		return &pqChunk{col: &f.cols[k], codec: m.codec, scratch: s}, nil
	}
	keep := f.cols[k].kind == pkText
	var buf []byte
	if keep && m.codec == codecNone { // text cells point into the chunk itself
		buf = make([]byte, m.compressed)
	} else {
		s.chunk = reuse(s.chunk, int(m.compressed))
		buf = s.chunk
	}
	if _, err := f.r.ReadAt(buf, m.start()); err != nil {
		return nil, err
	}
	return &pqChunk{col: &f.cols[k], codec: m.codec, buf: buf, left: m.numValues, most: m.uncompressedAll,
		scratch: s, keep: keep}, nil
}

// eachCell decodes column k of every row group in order and calls fn with
// each cell (pc.i) and its 0-based row. A corrupt page is a *RowError
// naming the file (name), the row and the column.
func (f *pqFile) eachCell(k int, name string, fn func(pc *pageCol, row int) error) error {
	var scratch pqScratch
	defer scratch.close()
	pc := pageCol{pqColumn: &f.cols[k]}
	row := 0
	for g := range f.rowGroups {
		ch, err := f.chunk(g, k, &scratch)
		for err == nil {
			if err = ch.next(&pc.cells); err != nil {
				break
			}
			for pc.i = 0; pc.i < pc.n; pc.i++ {
				if err := fn(&pc, row); err != nil {
					return err
				}
				row++
			}
		}
		if err != io.EOF {
			return &RowError{Path: name, Line: row + 1, Field: pc.name, Err: fmt.Errorf("corrupt Parquet data: %w", err)}
		}
	}
	return nil
}

// valueSize is the size in bytes of a PLAIN value of physical type typ
// (typeLen for FIXED_LEN_BYTE_ARRAY); 0 for the variable-length and bit
// types.
func valueSize(typ int32, typeLen int) int {
	switch typ {
	case ptInt32, ptFloat:
		return 4
	case ptInt64, ptDouble:
		return 8
	case ptInt96:
		return 12
	case ptFixed:
		return typeLen
	}
	return 0
}

// next decodes the chunk's next data page into p; io.EOF after the last.
func (c *pqChunk) next(p *cells) error {
	for {
		if c.left == 0 {
			return io.EOF
		}
		if c.pos >= len(c.buf) {
			return fmt.Errorf("the column chunk ends with %d values unread", c.left)
		}
		t := &thriftReader{b: c.buf[c.pos:]}
		h := decodePageHeader(t)
		if t.err != nil {
			return fmt.Errorf("page header: %w", t.err)
		}
		if h.compressed < 0 || h.uncompressed < 0 || int(h.compressed) > len(c.buf)-c.pos-t.pos ||
			c.most > 0 && int64(h.uncompressed) > c.most {
			return fmt.Errorf("a page of %d bytes (%d uncompressed) in %d bytes left of its chunk",
				h.compressed, h.uncompressed, len(c.buf)-c.pos-t.pos)
		}
		body := c.buf[c.pos+t.pos : c.pos+t.pos+int(h.compressed)]
		c.pos += t.pos + int(h.compressed)
		c.pages++
		switch h.typ {
		case pageDict:
			if c.hasDic || c.pages > 1 {
				return errors.New("a dictionary page after the chunk's first page")
			}
			if err := c.readDict(h, body); err != nil {
				return fmt.Errorf("dictionary page: %w", err)
			}
		case pageData, pageDataV2:
			return c.readData(h, body, p)
		case pageIndex:
		default:
			return fmt.Errorf("page of unknown type %d", h.typ)
		}
	}
}

func (c *pqChunk) readDict(h pqPageHeader, body []byte) error {
	if h.encoding != encPlain && h.encoding != encPlainDict {
		return fmt.Errorf("dictionary in encoding %d", h.encoding)
	}
	if h.numValues < 0 || h.numValues > maxPageRows {
		return fmt.Errorf("%d values", h.numValues)
	}
	data, err := c.decompress(body, int(h.uncompressed))
	if err != nil {
		return err
	}
	n := int(h.numValues)
	c.dict = pqValues{}
	if err := c.plain(&c.dict, n, data); err != nil {
		return err
	}
	c.dictBad = nil
	if c.col.kind == pkText {
		for j, s := range c.dict.str {
			if why := textBadString(s); why != 0 {
				if c.dictBad == nil {
					c.dictBad = make([]uint8, n)
				}
				c.dictBad[j] = why
			}
		}
	}
	c.hasDic = true
	return nil
}

// readData decodes a data page (v1 or v2) into p.
func (c *pqChunk) readData(h pqPageHeader, body []byte, p *cells) error {
	rows := h.numValues
	if h.typ == pageDataV2 {
		if h.numRows != h.numValues {
			return fmt.Errorf("a flat column's page has %d rows for %d values", h.numRows, h.numValues)
		}
		// A flat column's repetition levels are all 0; some writers store
		// them anyway, and they are skipped.
		if levels := int64(h.repLen) + int64(h.defLen); h.repLen < 0 || h.defLen < 0 ||
			levels > int64(h.compressed) || levels > int64(h.uncompressed) {
			return fmt.Errorf("level lengths %d and %d in a page of %d bytes", h.repLen, h.defLen, h.compressed)
		}
	}
	if rows < 0 || int64(rows) > c.left || rows > maxPageRows {
		return fmt.Errorf("a page of %d values with %d left in its chunk", rows, c.left)
	}
	c.left -= int64(rows)
	n := int(rows)
	var levels, values []byte
	var err error
	if h.typ == pageDataV2 {
		levels = body[h.repLen : h.repLen+h.defLen]
		values = body[h.repLen+h.defLen:]
		size := int(h.uncompressed - h.repLen - h.defLen)
		// A page of nulls alone may have no values, compressed or not.
		if h.v2Compressed && c.codec != codecNone && (size > 0 || len(values) > 0) {
			values, err = c.decompress(values, size)
		} else if len(values) != size {
			err = fmt.Errorf("%d bytes of values, the header says %d", len(values), size)
		} else if c.keep && c.codec != codecNone {
			values = append([]byte(nil), values...) // the chunk's buffer is reused
		}
		if err != nil {
			return err
		}
	} else {
		data, err := c.decompress(body, int(h.uncompressed))
		if err != nil {
			return err
		}
		values = data
		if c.col.optional {
			if h.defEncoding != encRLE {
				return fmt.Errorf("definition levels in encoding %d", h.defEncoding)
			}
			if len(data) < 4 {
				return errPageShort
			}
			l := int(binary.LittleEndian.Uint32(data))
			if l > len(data)-4 {
				return fmt.Errorf("definition levels of %d bytes in a page of %d", l, len(data))
			}
			levels, values = data[4:4+l], data[4+l:]
		}
	}
	p.n, p.err = n, nil
	nonNull := n
	p.null = nil
	if c.col.optional && !allDefined(levels, n) {
		c.scratch.levels = reuse(c.scratch.levels, n)
		if err := rleHybrid(c.scratch.levels, levels, 1); err != nil {
			return fmt.Errorf("definition levels: %w", err)
		}
		p.nulls = reuse(p.nulls, n)
		for i, l := range c.scratch.levels {
			p.nulls[i] = l == 0
			nonNull -= int(1 - l)
		}
		if nonNull < n {
			p.null = p.nulls
		}
	}
	if h.typ == pageDataV2 && int(h.numNulls) != n-nonNull {
		return fmt.Errorf("page claims %d nulls and holds %d", h.numNulls, n-nonNull)
	}
	if err := c.values(h.encoding, nonNull, values); err != nil {
		return err
	}
	return c.fillCells(p, nonNull)
}

// values decodes nonNull values in encoding enc into c.scratch.vals.
func (c *pqChunk) values(enc int32, n int, data []byte) error {
	v := &c.scratch.vals
	c.fromDict = enc == encPlainDict || enc == encRLEDict
	c.textPage = nil
	switch enc {
	case encPlain:
		if c.col.kind == pkText && c.col.typ == ptBytes {
			// Text cells read the page through spans (fillCells).
			c.scratch.span = reuse(c.scratch.span, n)
			c.textPage = data
			return plainSpans(c.scratch.span, data)
		}
		return c.plain(v, n, data)
	case encPlainDict, encRLEDict:
		if !c.hasDic {
			return errors.New("dictionary indexes without a dictionary page")
		}
		if len(data) < 1 && n > 0 {
			return errPageShort
		}
		c.scratch.idx = reuse(c.scratch.idx, n)
		if n > 0 {
			if err := rleHybrid(c.scratch.idx, data[1:], int(data[0])); err != nil {
				return fmt.Errorf("dictionary indexes: %w", err)
			}
		}
		if c.col.kind == pkText && c.dict.str != nil {
			// Text cells read the dictionary through the indexes
			// (fillCells); only their range is checked here.
			return checkIndexes(c.scratch.idx, len(c.dict.str))
		}
		return c.lookup(v, c.scratch.idx)
	case encRLE:
		if c.col.typ != ptBoolean {
			break
		}
		if len(data) < 4 || int(binary.LittleEndian.Uint32(data)) > len(data)-4 {
			return errPageShort
		}
		c.scratch.idx = reuse(c.scratch.idx, n)
		if err := rleHybrid(c.scratch.idx, data[4:], 1); err != nil {
			return err
		}
		v.i64 = reuse(v.i64, n)
		for i, b := range c.scratch.idx {
			v.i64[i] = int64(b)
		}
		return nil
	case encDeltaBinary:
		if c.col.typ != ptInt32 && c.col.typ != ptInt64 {
			break
		}
		v.i64 = reuse(v.i64, n)
		_, err := deltaInts(v.i64, data, 8*valueSize(c.col.typ, 0))
		return err
	case encDeltaLength, encDeltaBytes:
		if c.col.typ != ptBytes && c.col.typ != ptFixed {
			break
		}
		v.str = reuse(v.str, n)
		if enc == encDeltaLength {
			_, err := deltaLengths(v.str, data)
			return err
		}
		return deltaStrings(v.str, data)
	case encStreamSplit:
		size := valueSize(c.col.typ, c.col.typeLen)
		if size == 0 || c.col.typ == ptInt96 {
			break
		}
		b, err := streamSplit(n, data, size)
		if err != nil {
			return err
		}
		return c.plain(v, n, b)
	}
	return fmt.Errorf("values of type %d in encoding %d", c.col.typ, enc)
}

// lz4Hadoop decompresses LZ4 blocks in Hadoop's framing, as parquet-mr
// wrote the LZ4 codec: each block preceded by its decompressed and its
// compressed size, 32-bit big-endian, filling dst exactly.
func lz4Hadoop(src, dst []byte) (int, error) {
	n := 0
	for len(src) > 0 {
		if len(src) < 8 {
			return 0, errPageShort
		}
		want, size := binary.BigEndian.Uint32(src), binary.BigEndian.Uint32(src[4:])
		src = src[8:]
		if uint64(size) > uint64(len(src)) || uint64(want) > uint64(len(dst)-n) {
			return 0, errors.New("an LZ4 frame larger than its page")
		}
		got, err := lz4.UncompressBlock(src[:size], dst[n:n+int(want)])
		if err != nil {
			return 0, err
		}
		if got != int(want) {
			return 0, fmt.Errorf("an LZ4 frame of %d bytes holds %d", want, got)
		}
		n += got
		src = src[size:]
	}
	if n != len(dst) {
		return 0, fmt.Errorf("LZ4 frames of %d bytes for a page of %d", n, len(dst))
	}
	return n, nil
}

// plain decodes n PLAIN values of the column's physical type into v.
func (c *pqChunk) plain(v *pqValues, n int, data []byte) error {
	switch c.col.typ {
	case ptBoolean:
		v.i64 = reuse(v.i64, n)
		return plainBools(v.i64, data)
	case ptInt32, ptInt64:
		v.i64 = reuse(v.i64, n)
		return plainInts(v.i64, data, valueSize(c.col.typ, 0))
	case ptInt96:
		v.i64 = reuse(v.i64, n)
		return int96Nanos(v.i64, data)
	case ptFloat, ptDouble:
		v.num = reuse(v.num, n)
		return plainFloats(v.num, data, valueSize(c.col.typ, 0))
	case ptBytes:
		v.str = reuse(v.str, n)
		return plainBytes(v.str, data)
	case ptFixed:
		v.str = reuse(v.str, n)
		return fixedBytes(v.str, data, c.col.typeLen)
	}
	return fmt.Errorf("physical type %d", c.col.typ)
}

// checkIndexes returns an error for an index outside a dictionary of n
// values.
func checkIndexes(idx []int32, n int) error {
	for _, j := range idx {
		if j < 0 || int(j) >= n {
			return fmt.Errorf("dictionary index %d outside a dictionary of %d values", j, n)
		}
	}
	return nil
}

// lookup sets v to the dictionary's values at idx.
func (c *pqChunk) lookup(v *pqValues, idx []int32) error {
	d := &c.dict
	if err := checkIndexes(idx, max(len(d.str), len(d.i64), len(d.num))); err != nil {
		return err
	}
	switch {
	case d.str != nil:
		v.str = reuse(v.str, len(idx))
		for i, j := range idx {
			v.str[i] = d.str[j]
		}
	case d.i64 != nil:
		v.i64 = reuse(v.i64, len(idx))
		for i, j := range idx {
			v.i64[i] = d.i64[j]
		}
	default:
		v.num = reuse(v.num, len(idx))
		for i, j := range idx {
			v.num[i] = d.num[j]
		}
	}
	return nil
}

// fillCells spreads the page's nonNull values over its rows in p, in the
// shape the column's kind reads.
func (c *pqChunk) fillCells(p *cells, nonNull int) error {
	v := &c.scratch.vals
	p.bad = nil
	switch c.col.kind {
	case pkText:
		p.dict, p.page = nil, nil
		switch {
		case c.fromDict:
			idx := c.scratch.idx
			p.dict = c.dict.str
			if p.null == nil { // the indexes are the cells': swap buffers
				p.idx, c.scratch.idx = idx, p.idx
			} else {
				p.idx = reuse(p.idx, p.n)
				fillDense(p.idx, p.null, nonNull, func(j int) int32 { return idx[j] })
			}
		case c.textPage != nil:
			span := c.scratch.span
			p.page = c.textPage
			if p.null == nil {
				p.span, c.scratch.span = span, p.span
			} else {
				p.span = reuse(p.span, p.n)
				fillDense(p.span, p.null, nonNull, func(j int) uint64 { return span[j] })
			}
		case p.null == nil: // the values are the cells: swap buffers
			p.str, v.str = v.str, p.str
		default:
			p.str = reuse(p.str, p.n)
			fillDense(p.str, p.null, nonNull, func(j int) string { return v.str[j] })
		}
		c.markBad(p)
	case pkFloat, pkFloat32:
		if p.null == nil {
			p.num, v.num = v.num, p.num
			break
		}
		p.num = reuse(p.num, p.n)
		fillDense(p.num, p.null, nonNull, func(j int) float64 { return v.num[j] })
	case pkDecimal:
		p.num = reuse(p.num, p.n)
		if c.col.typ != ptInt32 && c.col.typ != ptInt64 {
			var err error
			fillDense(p.num, p.null, nonNull, func(j int) float64 {
				f, e := decimalFloat([]byte(v.str[j]), c.col.scale)
				if e != nil && err == nil {
					err = e
				}
				return f
			})
			return err
		}
		fillDense(p.num, p.null, nonNull, func(j int) float64 {
			f, _ := scaledFloat(strconv.FormatInt(v.i64[j], 10), c.col.scale)
			return f
		})
	case pkUint:
		p.i64 = reuse(p.i64, p.n)
		wrap := c.col.typ == ptInt32
		fillDense(p.i64, p.null, nonNull, func(j int) int64 {
			if wrap {
				return int64(uint32(v.i64[j]))
			}
			return v.i64[j]
		})
	default: // pkInt, pkTime, pkBool
		if p.null == nil {
			p.i64, v.i64 = v.i64, p.i64
			break
		}
		p.i64 = reuse(p.i64, p.n)
		fillDense(p.i64, p.null, nonNull, func(j int) int64 { return v.i64[j] })
	}
	return nil
}

// markBad sets p.bad for the text cells that are not valid text, leaving
// it nil when all are: from the dictionary's verdicts when the page's
// values came from it, value by value otherwise.
func (c *pqChunk) markBad(p *cells) {
	if c.fromDict && c.dictBad == nil {
		return
	}
	for i := range p.n {
		if p.null != nil && p.null[i] {
			continue
		}
		var why uint8
		if c.fromDict {
			why = c.dictBad[p.idx[i]]
		} else {
			why = textBadString(p.text(i))
		}
		if why != 0 {
			if p.bad == nil {
				p.bad = make([]uint8, p.n)
			}
			p.bad[i] = why
		}
	}
}

// decompress returns body decompressed to size bytes. Text is read from
// the result without copying, so for a text column it is always new memory
// (or body itself, which is then the chunk's own); other columns' values
// are copied out of it, and it is the goroutine's reused buffer.
func (c *pqChunk) decompress(body []byte, size int) ([]byte, error) {
	var out []byte
	var err error
	dst := func(n int) []byte {
		if c.keep {
			return make([]byte, n)
		}
		c.scratch.page = reuse(c.scratch.page, n)
		return c.scratch.page
	}
	switch c.codec {
	case codecNone:
		out = body
	case codecSnappy:
		if n, e := snappy.DecodedLen(body); e != nil || n != size {
			return nil, fmt.Errorf("snappy block of %d bytes for a page of %d (%v)", n, size, e)
		}
		out, err = snappy.Decode(dst(size), body)
	case codecZstd:
		// The stated size is only trusted as far as the data could
		// plausibly expand; beyond that the output grows as decoded.
		out, err = c.scratch.zstdDecoder().DecodeAll(body, dst(min(size, 64*len(body)+1024))[:0])
	case codecLZ4Raw, codecLZ4:
		if size > 255*len(body)+64 { // LZ4 expands a byte to 255 at most
			return nil, fmt.Errorf("an LZ4 block of %d bytes cannot hold a page of %d", len(body), size)
		}
		out = dst(size)
		var n int
		if c.codec == codecLZ4 {
			n, err = lz4Hadoop(body, out)
		}
		if c.codec == codecLZ4Raw || err != nil {
			n, err = lz4.UncompressBlock(body, out)
		}
		out = out[:n]
	case codecGzip:
		out, err = readLimited(func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }, body, size)
	case codecBrotli:
		out, err = readLimited(func(r io.Reader) (io.Reader, error) { return brotli.NewReader(r), nil }, body, size)
	default:
		return nil, fmt.Errorf("%w: compression codec %d", errUnsupported, c.codec)
	}
	if err != nil {
		return nil, fmt.Errorf("decompressing a page: %w", err)
	}
	if len(out) != size {
		return nil, fmt.Errorf("a page decompressed to %d bytes, its header says %d", len(out), size)
	}
	return out, nil
}

// readLimited decompresses body with a streaming decoder, reading at most
// one byte more than size; memory grows with what is decoded, not with
// what the header states.
func readLimited(open func(io.Reader) (io.Reader, error), body []byte, size int) ([]byte, error) {
	r, err := open(bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(io.LimitReader(r, int64(size)+1))
}

// pqScratch is what one reading goroutine reuses from chunk to chunk: its
// ZSTD decoder (made at the first ZSTD page), the buffers of compressed
// chunks and decompressed pages whose values are copied out, and a page's
// levels, dictionary indexes and decoded values (the cells a page hands
// out swap buffers with them).
type pqScratch struct {
	zstd        *zstd.Decoder
	chunk, page []byte
	levels      []int32
	idx         []int32
	span        []uint64
	vals        pqValues
}

func (s *pqScratch) zstdDecoder() *zstd.Decoder {
	if s.zstd == nil {
		var err error
		s.zstd, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<30))
		if err != nil {
			panic(err) // only for invalid options
		}
	}
	return s.zstd
}

func (s *pqScratch) close() {
	if s.zstd != nil {
		s.zstd.Close()
	}
}
