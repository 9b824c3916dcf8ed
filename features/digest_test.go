package features

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDigestWhileReading: a Digest on an events Source holds the SHA-256
// of the file's bytes once a stream has read it, whichever reader read it
// (blocks on every core, the sequential reader for lines ending in a bare
// CR, gzip), and says so when the stream stopped before the end.
func TestDigestWhileReading(t *testing.T) {
	defer func(n int) { csvBlockSize = n }(csvBlockSize)
	csvBlockSize = 1 << 12 // many blocks, few in flight
	var sb strings.Builder
	sb.WriteString("\xEF\xBB\xBFentity_id,ts,type,value\n")
	for i := range 100000 { // 4 MB: more than the readers read ahead
		fmt.Fprintf(&sb, "E%03d,2024-01-%02d 10:00:00,page_view,%d\n", i%300, 1+i%28, i)
	}
	text := sb.String()
	dir := t.TempDir()
	files := map[string][]byte{
		"plain.csv": []byte(text),
		"cr.csv":    []byte(strings.ReplaceAll(text, "\n", "\r")),
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(text))
	zw.Close()
	files["events.csv.gz"] = gz.Bytes()

	for name, data := range files {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		stream := func(stop bool) *Digest {
			d := &Digest{}
			er, err := OpenEvents(context.Background(), Source{Path: path, Digest: d}, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer er.Close()
			halt := errors.New("enough")
			err = Stream(context.Background(), er, func([]Event) error {
				if stop {
					return halt
				}
				return nil
			})
			if err != nil && !(stop && errors.Is(err, halt)) {
				t.Fatalf("%s: %v", name, err)
			}
			return d
		}
		n, sum, ok := stream(false).Sum()
		if want := sha256.Sum256(data); !ok || n != int64(len(data)) || !bytes.Equal(sum, want[:]) {
			t.Errorf("%s: digest %d bytes %x (whole %v), want %d bytes %x", name, n, sum, ok, len(data), want)
		}
		if _, _, ok := stream(true).Sum(); ok {
			t.Errorf("%s: a stream stopped at its first batch reports the whole file hashed", name)
		}
	}
	// A quoted field with text after its closing quote, in the first
	// block, sends the stream back to the header's reader, which reads on
	// from where it stopped: that read must not add to the block reader's
	// hash.
	path := filepath.Join(dir, "quote.csv")
	data := []byte(strings.Replace(text, "E002,", "\"E0\"02,", 1))
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	d := &Digest{}
	bad := &BadRows{Max: 10}
	er, err := OpenEvents(context.Background(), Source{Path: path, Digest: d}, bad)
	if err != nil {
		t.Fatal(err)
	}
	if err := Stream(context.Background(), er, func([]Event) error { return nil }); err != nil {
		t.Fatal(err)
	}
	er.Close()
	if n, sum, ok := d.Sum(); ok {
		if want := sha256.Sum256(data); n != int64(len(data)) || !bytes.Equal(sum, want[:]) {
			t.Errorf("after a fallback to the header's reader: digest %d bytes %x, want %d bytes %x", n, sum, len(data), want)
		}
	}
	if bad.Count() != 1 {
		t.Errorf("%d bad rows, want the one with the quote", bad.Count())
	}
	for path, want := range map[string]bool{
		filepath.Join(dir, "plain.csv"): true, filepath.Join(dir, "events.csv.gz"): true,
		filepath.Join(dir, "*.csv"): false, filepath.Join(dir, "events.parquet"): false,
	} {
		src := Source{Path: path}
		if d := src.DigestWhileReading(); (d != nil) != want || src.Digest != d {
			t.Errorf("%s: digest %v, want one: %v", path, d, want)
		}
	}
	var none *Digest
	if _, _, ok := none.Sum(); ok {
		t.Error("a nil digest reports a sum")
	}
}
