package pipeline

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"leadscore/features"
	"leadscore/predict"
)

// TestOutputsRefuseInputs: an output that is an input, by the same path,
// another spelling of it, or a symbolic link to it, is refused before
// anything is written; the input is untouched.
func TestOutputsRefuseInputs(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "events.csv")
	touch(t, in)
	link := filepath.Join(dir, "link.csv")
	os.Symlink(in, link)
	for _, out := range []string{in, filepath.Join(dir, ".", "sub", "..", "events.csv"), link} {
		err := WriteFile(out, func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err }, in)
		var oe *OverwriteError
		if !errors.As(err, &oe) {
			t.Errorf("output %s: %v, want an *OverwriteError", out, err)
		}
	}
	if b, _ := os.ReadFile(in); string(b) != "user data\n" {
		t.Errorf("input changed: %q", b)
	}
	var o Outputs
	defer o.Abort()
	if _, err := o.Create(filepath.Join(dir, "a.csv")); err != nil {
		t.Fatal(err)
	}
	var oe *OverwriteError
	if _, err := o.Create(filepath.Join(dir, "a.csv")); !errors.As(err, &oe) {
		t.Errorf("the same output twice: %v", err)
	}
}

// TestOutputsAbortLeavesNothing: an aborted set removes its temporary
// files, the optional ones included, and the folders it made, but not
// folders that were there before.
func TestOutputsAbortLeavesNothing(t *testing.T) {
	root := t.TempDir()
	var o Outputs
	f, err := o.Create(filepath.Join(root, "new", "deeper", "a.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("half")
	q, err := o.CreateOptional(filepath.Join(root, "a.quarantine.csv"), func() (bool, error) { return true, nil })
	if err != nil {
		t.Fatal(err)
	}
	q.WriteString("bad rows")
	o.Abort()
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		t.Errorf("left behind: %s", e.Name())
	}
	if _, err := os.Stat(root); err != nil {
		t.Errorf("the folder that was there before is gone: %v", err)
	}
}

// TestOutputsOptional: an optional output is committed only when its keep
// says so, and its error fails the commit.
func TestOutputsOptional(t *testing.T) {
	root := t.TempDir()
	var o Outputs
	o.Create(filepath.Join(root, "a.csv"))
	o.CreateOptional(filepath.Join(root, "empty.csv"), func() (bool, error) { return false, nil })
	kept, _ := o.CreateOptional(filepath.Join(root, "kept.csv"), func() (bool, error) { return true, nil })
	kept.WriteString("x")
	if err := o.Commit(); err != nil {
		t.Fatal(err)
	}
	var names []string
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "a.csv,kept.csv" {
		t.Errorf("files %v, want a.csv and kept.csv", names)
	}
	var o2 Outputs
	o2.CreateOptional(filepath.Join(root, "b.csv"), func() (bool, error) { return true, errors.New("flush failed") })
	if err := o2.Commit(); err == nil {
		t.Error("a failing optional output committed")
	}
	if _, err := os.Stat(filepath.Join(root, "b.csv")); err == nil {
		t.Error("b.csv written")
	}
}

// TestOutputsReplaceOnlyTheirOwn: a Parquet output replaces a Parquet file
// leadscore wrote and no other; a CSV output replaces a CSV file with its
// header (a rerun) or an empty file; a JSON output a JSON object with its
// first key; a page one with leadscore's mark (or, from before it, a title
// of leadscore's); an output named otherwise, as the kind it writes. A
// refusal writes none of the set and leaves the file as it was.
func TestOutputsReplaceOnlyTheirOwn(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	text := func(s string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
	}
	table := func(w io.Writer) error {
		return (&features.Table{Columns: []features.Column{{Name: "entity_id", Kind: features.KindString, Str: []string{"a"}}}}).WriteParquet(w)
	}
	var theirs bytes.Buffer
	pw := parquet.NewGenericWriter[struct{ ID string }](&theirs)
	pw.Write([]struct{ ID string }{{"a"}})
	pw.Close()
	var ours bytes.Buffer // an older table
	(&features.Table{Columns: []features.Column{{Name: "entity_id", Kind: features.KindString, Str: []string{"z"}}}}).WriteParquet(&ours)
	for _, tt := range []struct {
		name    string
		had     []byte
		write   func(io.Writer) error
		replace bool
	}{
		{"events.parquet", theirs.Bytes(), table, false},
		{"notes.parquet", []byte("my notes\n"), table, false},
		{"features.parquet", ours.Bytes(), table, true},
		{"empty.parquet", nil, table, true},
		{"crm.csv", []byte("Lead Number,Status\n1,Won\n"), text("entity_id,score\r\na,1\r\n"), false},
		{"ranked.csv", []byte("\xEF\xBB\xBFentity_id,score\r\nb,2\r\n"), text("entity_id,score\r\na,1\r\n"), true},
		{"blank.csv", nil, text("entity_id,score\r\na,1\r\n"), true},
		{"summary.json", []byte("{\n  \"rows\": 0\n}\n"), text("{\n  \"rows\": 1\n}\n"), true},
		{"package.json", []byte("{\"name\": \"my-app\"}"), text("{\"rows\": 1}"), false},
		{"notes.json", []byte("not json"), text("{\"rows\": 1}"), false},
		{"report.html", []byte("<!DOCTYPE html>\n<html><head><title>Q3 board report</title>"), text("<!DOCTYPE html>\n" + generatorMark), false},
		{"calllist.html", []byte("<!DOCTYPE html>\n<html><head>" + generatorMark + "<title>Call list of 2024-07-01</title>"), text("<!DOCTYPE html>\n" + generatorMark), true},
		{"model.html", []byte("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>leadscore model gbdt-1</title>"), text(generatorMark), true},
		{"board.htm", []byte("<html><head><title>Q3 board report</title>"), text("<!DOCTYPE html>\n" + generatorMark), false},
		// Named otherwise, an output is checked as the kind it writes.
		{"notes.txt", []byte("anything"), text("entity_id,score\r\na,1\r\n"), false},
		{"table.txt", []byte("entity_id,score\r\nb,2\r\n"), text("entity_id,score\r\na,1\r\n"), true},
		{"summary.out", []byte("{\"rows\": 0}"), text("{\"rows\": 1}"), true},
		{"config.out", []byte("{\"name\": \"my-app\"}"), text("{\"rows\": 1}"), false},
		{"table.dat", ours.Bytes(), table, true},
		{"theirs.dat", theirs.Bytes(), table, false},
		{"page.txt", []byte("<html><head><title>Q3 board report</title>"), text("<!DOCTYPE html>\n" + generatorMark), false},
	} {
		p := write(tt.name, tt.had)
		fresh := filepath.Join(dir, "fresh-"+tt.name)
		err := WriteFiles(map[string]func(io.Writer) error{p: tt.write, fresh: tt.write})
		var fe *ForeignFileError
		now, _ := os.ReadFile(p)
		_, ferr := os.Stat(fresh)
		switch {
		case tt.replace && (err != nil || bytes.Equal(now, tt.had) || ferr != nil):
			t.Errorf("%s: %v; want it replaced beside the new file", tt.name, err)
		case !tt.replace && (!errors.As(err, &fe) || ExitCode(context.Background(), err) != ExitUsage || !bytes.Equal(now, tt.had) || ferr == nil):
			t.Errorf("%s: %v (now %q, fresh file %v); want a ForeignFileError (exit 2), it unchanged and nothing written", tt.name, err, now, ferr)
		}
		os.Remove(fresh)
	}
}

// TestRankedCSVRerun: a call list's CSV replaces one written with other
// options (kept columns, customers, rules: another header of its kind),
// and still no CSV of another kind.
func TestRankedCSVRerun(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		had     string
		replace bool
	}{
		{"rank,entity_id,score,grade,queue,owner,probability,reasons,model_id,as_of\n1,a,90,A,q,,0.9,,m,2025-01-01\n", true},
		{"\xEF\xBB\xBFrank,entity_id,deal_id,score,grade,queue,owner,probability,reasons,model_id,Email\r\n", true},
		{"rank,entity_id,score,grade,queue,owner,probability\n", false}, // no reasons, no model_id: no call list's
		{"rank,entity_id,name,score\n1,a,Ann,3\n", false},
		{"Rank,Lead,Score\n1,a,3\n", false},
	} {
		p := filepath.Join(dir, "ranked.csv")
		os.WriteFile(p, []byte(tt.had), 0o644)
		var o Outputs
		f, err := o.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		f.ReplacesCSVOf(predict.IsRankedCSVHeader)
		io.WriteString(f, "rank,entity_id,score,grade,queue,owner,probability,rule_points,rule_points_by_group,reasons,rule_awards,model_id,as_of,Lead Origin\n")
		err = o.Commit()
		var fe *ForeignFileError
		now, _ := os.ReadFile(p)
		if tt.replace && (err != nil || string(now) == tt.had) || !tt.replace && (!errors.As(err, &fe) || string(now) != tt.had) {
			t.Errorf("%q: %v; replaced: %v", tt.had, err, string(now) != tt.had)
		}
		o.Abort()
	}
}

// TestParquetOutNamed: the jobs that write Parquet refuse an --out named
// otherwise (ranked.csv would be Parquet bytes under a spreadsheet's
// name), before reading anything, and say how to have CSV; a text output
// named as another kind leadscore writes is refused alike.
func TestParquetOutNamed(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "list.csv")
	for _, tt := range []struct {
		name string
		run  func() error
		want string
	}{
		{"features", func() error {
			_, _, err := (&FeaturesJob{Events: "events.csv", Out: out}).Run(context.Background())
			return err
		}, "feature tables are Parquet; name the file .parquet"},
		{"predict", func() error {
			_, _, err := (&PredictJob{Model: "models/lr", Out: out}).Run(context.Background())
			return err
		}, "the ranked list is Parquet; name the file .parquet; --csv ranked.csv"},
		{"rfm", func() error {
			_, _, err := (&RFMJob{Orders: "orders.csv", Out: out}).Run(context.Background())
			return err
		}, "the customers' table is Parquet; name the file .parquet; leadscore export"},
		// Text outputs named as another kind leadscore writes.
		{"predict --csv", func() error {
			_, _, err := (&PredictJob{Model: "models/lr", Out: "r.parquet", CSV: filepath.Join(dir, "r.parquet")}).Run(context.Background())
			return err
		}, `--csv "` + filepath.Join(dir, "r.parquet") + `": what it writes is CSV; name the file .csv`},
		{"predict --html", func() error {
			_, _, err := (&PredictJob{Model: "models/lr", Out: "r.parquet", HTML: out}).Run(context.Background())
			return err
		}, "what it writes is HTML; name the file .html"},
		{"rfm --model-out", func() error {
			_, _, err := (&RFMJob{Orders: "orders.csv", Out: "rfm.parquet", ModelOut: out}).Run(context.Background())
			return err
		}, "--model-out"},
		{"evaluate --out", func() error {
			_, err := (&EvaluateJob{Ranked: "r.parquet", Deals: "deals.csv", Out: out}).Run(context.Background(), nil)
			return err
		}, "what it writes is JSON; name the file .json"},
		{"report --html", func() error {
			_, err := (&ReportJob{Runs: "runs", Deals: "deals.csv", HTML: filepath.Join(dir, "r.json")}).Run(context.Background())
			return err
		}, "what it writes is HTML"},
		{"export --out", func() error {
			_, err := ExportCSV(context.Background(), "rfm.parquet", filepath.Join(dir, "rfm.json"))
			return err
		}, "what it writes is CSV"},
		{"models export --out", func() error {
			_, _, err := ExportXGBoost("models/gbdt", out)
			return err
		}, "what it writes is JSON"},
	} {
		err := tt.run()
		var ue *UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s --out list.csv: %v, want a UsageError saying %q", tt.name, err, tt.want)
		}
		if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s wrote %s: %v", tt.name, out, err)
		}
	}
}
