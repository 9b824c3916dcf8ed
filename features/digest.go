package features

import (
	"crypto/sha256"
	"hash"
	"io"
)

// A Digest takes the SHA-256 of a CSV input file while the file is read
// for its rows, so that a caller who records the input's hash (a run's
// manifest, a table's metadata) need not read a large file a second time.
// Source.DigestWhileReading sets one where the reader can take it (the
// hash is of the bytes on disk). Each read of the file from its start
// hashes anew, and readers begun before it no longer hash (the block
// reader starts after the header's reader, which a fallback may read
// on); Sum reports whether the last one reached the end.
type Digest struct {
	h     hash.Hash
	n     int64
	whole bool
	reads int // reads begun; only the last one hashes
}

// DigestWhileReading gives src a Digest and returns it when src's reader
// hashes the file as it reads it: one CSV file, plain or gzipped. For
// Parquet, read by column chunks, and for a pattern of files it returns
// nil, and the caller hashes the files itself.
func (src *Source) DigestWhileReading() *Digest {
	if src.format() != FormatCSV {
		return nil
	}
	if paths, err := ShardFiles(src.Path); err != nil || len(paths) != 1 || paths[0] != src.Path {
		return nil
	}
	src.Digest = &Digest{}
	return src.Digest
}

// Sum returns the size and SHA-256 of the file, and false when no read
// went from its first byte to its last (the reader stopped at an error,
// or fell back to reading from the middle): then the caller hashes the
// file itself.
func (d *Digest) Sum() (size int64, sum []byte, ok bool) {
	if d == nil || d.h == nil || !d.whole {
		return 0, nil, false
	}
	return d.n, d.h.Sum(nil), true
}

// hashing returns r, a reader of src's file from its first byte, hashing
// what it reads into src's digest when it has one.
func (src Source) hashing(r io.Reader) io.Reader {
	d := src.Digest
	if d == nil {
		return r
	}
	d.reads++
	d.h, d.n, d.whole = sha256.New(), 0, false
	return digestReader{r, d, d.reads}
}

type digestReader struct {
	r    io.Reader
	d    *Digest
	read int // which of d's reads this is
}

func (r digestReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if r.read != r.d.reads {
		return n, err
	}
	r.d.h.Write(p[:n])
	r.d.n += int64(n)
	if err == io.EOF {
		r.d.whole = true
	}
	return n, err
}
