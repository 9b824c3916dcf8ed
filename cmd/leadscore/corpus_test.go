package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"leadscore/datasets"
)

// TestMalformedCorpus runs every file of testdata/corpus (and a few made
// here: a huge field, a truncated Parquet file) through the command that
// reads it. Each must fail with a clear message naming the file and the
// right exit code, never panic, and leave no output or temporary file.
func TestMalformedCorpus(t *testing.T) {
	corpus := "testdata/corpus"
	tmp := t.TempDir()
	huge := filepath.Join(tmp, "huge_field.csv")
	os.WriteFile(huge, []byte("entity_id,ts,type,value\na,2024-01-01,"+strings.Repeat("x", 2<<20)+",1\nb,2024-01-02,rfq,zz\n"), 0o644)
	sample, _ := fs.ReadFile(datasets.Sample(), "events.parquet")
	truncated := filepath.Join(tmp, "truncated.parquet")
	os.WriteFile(truncated, sample[:len(sample)/2], 0o644)
	// A valid events file and model for the commands that need one.
	good := filepath.Join(tmp, "events.csv")
	os.WriteFile(good, []byte("entity_id,ts,type\na,2024-01-01,rfq\n"), 0o644)
	in := func(name string) string { return filepath.Join(corpus, name) }
	features := func(events string) []string {
		return []string{"features", "--events", events, "--as-of", "2025-01-01"}
	}
	tests := []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{"ragged row", features(in("ragged.csv")), 3, "ragged.csv:3:1"},
		{"bare quote", features(in("bare_quote.csv")), 3, "bare_quote.csv:2:"},
		{"NUL byte", features(in("nul_byte.csv")), 3, "NUL byte"},
		{"invalid UTF-8", features(in("invalid_utf8.csv")), 3, "--encoding cp1252"},
		{"impossible date", features(in("impossible_date.csv")), 3, "day out of range"},
		{"NaN value", features(in("nan_value.csv")), 3, "not finite"},
		{"infinite value", features(in("inf_value.csv")), 3, "not finite"},
		{"ambiguous number", features(in("ambiguous_number.csv")), 3, `"1,234" could be 1234`},
		{"empty id", features(in("empty_id.csv")), 3, `field "entity_id": empty value`},
		{"empty file", features(in("empty.csv")), 3, "empty file"},
		{"wrong delimiter", features(in("wrong_delimiter.csv")), 3, "separator"},
		{"missing column", features(in("missing_column.csv")), 3, `missing required column "ts"`},
		{"duplicate column", features(in("duplicate_column.csv")), 3, "appears twice"},
		{"not Parquet", features(in("not_parquet.parquet")), 3, "not a readable Parquet file"},
		{"truncated Parquet", features(truncated), 3, "truncated.parquet"},
		{"huge field, then a bad value", features(huge), 3, "huge_field.csv:3:"},
		{"duplicate entity", append(features(good), "--entities", in("duplicate_entities.csv")), 3, "duplicate entity_id"},
		{"bad outcome", []string{"features", "--events", good, "--cutoffs", in("bad_outcome.csv")}, 3, `outcome "maybe"`},
		{"rules: unknown key", append(features(good), "--rules", in("rules_unknown_key.yaml")), 2, `unknown key "colour"`},
		{"rules: bad period", append(features(good), "--rules", in("rules_bad_period.yaml")), 2, "fortnights"},
		{"spec: unknown aggregation", append(features(good), "--spec", in("spec_bad_aggregation.yaml")), 2, "median"},
		{"model: hand-edited", append(features(good), "--model", in("model_hand_edited.json")), 4, "2 coefficients for 1 design columns"},
		{"model: not JSON", append(features(good), "--model", in("model_not_json.json")), 4, "not a leadscore model"},
		{"orders: only a return", []string{"rfm", "--orders", in("negative_amount.csv"), "--as-of", "2025-01-01"}, 1, "1 returns"},
		{"header only", features(in("header_only.csv")), 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out", "result.parquet")
			code, _, errs := runCLI(t, append(tt.args, "--out", out, "-q")...)
			if code != tt.code || !strings.Contains(errs, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d with %q", code, errs, tt.code, tt.want)
			}
			if strings.Contains(errs, "panic") || strings.Contains(errs, "goroutine") {
				t.Errorf("a panic: %s", errs)
			}
			entries, _ := os.ReadDir(filepath.Dir(out))
			for _, e := range entries {
				if tt.code != 0 || strings.Contains(e.Name(), ".tmp-") {
					t.Errorf("left behind: %s", e.Name())
				}
			}
		})
	}
}
