package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// golden compares got with testdata/golden/name, or rewrites the file with
// -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/leadscore -run Golden -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from its golden file (go test ./cmd/leadscore -run Golden -update rewrites it):\n%s", name, lineDiff(want, got))
	}
}

// lineDiff shows the first lines where two texts differ.
func lineDiff(want, got []byte) string {
	w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 6; i++ {
		var a, c string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			c = g[i]
		}
		if a != c {
			fmt.Fprintf(&b, "  line %d\n    want: %s\n    got:  %s\n", i+1, a, c)
			shown++
		}
	}
	return b.String()
}

// TestGoldenHelp pins every command's help text: what a user reads.
func TestGoldenHelp(t *testing.T) {
	for _, args := range [][]string{{}, {"features"}, {"train"}, {"predict"}, {"rfm"}, {"run"}, {"demo"}, {"rules"}, {"rules", "explain"},
		{"datasets", "generate"}, {"models", "export"}, {"export"}} {
		name := "help-" + strings.Join(append([]string{"leadscore"}, args...), "-") + ".txt"
		code, out, errs := runCLI(t, append(args, "--help")...)
		if code != 0 {
			t.Fatalf("%v --help: exit %d: %s", args, code, errs)
		}
		golden(t, name, []byte(out))
	}
}

// TestGoldenRankedHead pins the head of the demo's ranked.csv: the columns
// sales opens and the first leads with their reasons.
func TestGoldenRankedHead(t *testing.T) {
	dir, _ := sharedDemo(t)
	b, err := os.ReadFile(filepath.Join(dir, "runs", "latest", "ranked.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfterN(string(b), "\n", 7)
	golden(t, "ranked-head.csv", []byte(strings.Join(lines[:6], "")))
}
