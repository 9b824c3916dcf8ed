package features

import (
	"math/rand/v2"
	"testing"
)

// packBits is the writer's side of unpackBits: values of w bits, least
// significant bit first, in as many bytes as they need.
func packBits(vals []uint32, w int) []byte {
	out := make([]byte, (len(vals)*w+7)/8)
	for i, v := range vals {
		for j := range w {
			if v>>j&1 != 0 {
				b := i*w + j
				out[b/8] |= 1 << (b % 8)
			}
		}
	}
	return out
}

// TestUnpackBits reads back packed values of every width, in runs long
// and short enough that the last values lie in the final few bytes.
func TestUnpackBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for w := 1; w <= 32; w++ {
		for _, n := range []int{1, 7, 8, 9, 16, 63, 64, 200} {
			want := make([]uint32, n)
			for i := range want {
				want[i] = uint32(rng.Uint64() & (1<<w - 1))
			}
			src := packBits(want, w)
			for _, count := range []int{n, n / 2} {
				dst := make([]int32, n)
				if got := unpackBits(dst, src, w, count); got != count {
					t.Fatalf("w=%d n=%d: unpacked %d values, want %d", w, n, got, count)
				}
				for i := range count {
					if uint32(dst[i]) != want[i] {
						t.Fatalf("w=%d n=%d count=%d: value %d is %d, want %d", w, n, count, i, uint32(dst[i]), want[i])
					}
				}
			}
		}
	}
}

// TestAllDefined tells a page without nulls from one with them by its
// definition levels alone, and decodes the same levels either way.
func TestAllDefined(t *testing.T) {
	for _, c := range []struct {
		name   string
		levels []byte
		n      int
		want   bool
	}{
		{"one run of 1", []byte{50 << 1, 1}, 50, true},
		{"a run longer than the page", []byte{50 << 1, 1}, 30, true},
		{"a run of 100 (a two-byte header)", []byte{0xc8, 0x01, 1}, 100, true},
		{"two runs of 1", []byte{4 << 1, 1, 6 << 1, 1}, 10, true},
		{"a run too short", []byte{4 << 1, 1}, 10, false},
		{"a run of 0", []byte{10 << 1, 0}, 10, false},
		{"1 then 0", []byte{4 << 1, 1, 6 << 1, 0}, 10, false},
		{"bit-packed", []byte{1<<1 | 1, 0xff}, 8, false},
		{"a header without its value", []byte{10 << 1}, 10, false},
		{"nothing", nil, 10, false},
		{"an empty page", nil, 0, true},
	} {
		if got := allDefined(c.levels, c.n); got != c.want {
			t.Errorf("%s: allDefined = %v, want %v", c.name, got, c.want)
		}
		if !c.want {
			continue
		}
		dst := make([]int32, c.n)
		if err := rleHybrid(dst, c.levels, 1); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for i, l := range dst {
			if l != 1 {
				t.Fatalf("%s: level %d is %d, yet allDefined", c.name, i, l)
			}
		}
	}
}
