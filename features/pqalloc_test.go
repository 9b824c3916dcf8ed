package features

import (
	"bytes"
	"testing"
)

// TestReuseAllocator hands out buffers as Arrow expects them: zeroed
// when allocated, reused ones included, and grown with their bytes kept
// and the rest zeroed, whether the larger buffer is new or freed before.
func TestReuseAllocator(t *testing.T) {
	var a reuseAllocator
	dirty := func(b []byte) {
		for i := range b {
			b[i] = byte(i%251 + 1)
		}
	}
	zero := func(what string, b []byte) {
		t.Helper()
		if i := bytes.IndexFunc(b, func(r rune) bool { return r != 0 }); i >= 0 {
			t.Fatalf("%s: byte %d of %d is not zero", what, i, len(b))
		}
	}
	b := a.Allocate(100)
	if len(b) != 100 || cap(b) != 128 {
		t.Fatalf("Allocate(100): len %d cap %d", len(b), cap(b))
	}
	zero("new", b)
	dirty(b)
	a.Free(b)
	b = a.Allocate(70) // the freed buffer again, its class
	if cap(b) != 128 {
		t.Fatalf("not reused: cap %d", cap(b))
	}
	zero("reused", b)

	for _, freedBefore := range []bool{false, true} {
		if freedBefore {
			big := a.Allocate(1000)
			dirty(big[:cap(big)])
			a.Free(big)
		}
		small := a.Allocate(300)
		dirty(small)
		want := bytes.Clone(small)
		grown := a.Reallocate(900, small)
		if len(grown) != 900 || !bytes.Equal(grown[:300], want) {
			t.Fatalf("freed before %v: grown to %d, prefix kept %v", freedBefore, len(grown), bytes.Equal(grown[:300], want))
		}
		zero("grown", grown[300:])
		within := a.Reallocate(1000, grown[:500]) // within its capacity
		zero("grown within", within[500:])
	}
}
