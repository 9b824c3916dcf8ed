package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"leadscore/features"
	"leadscore/features/testfiles"
	"leadscore/predict"
	"leadscore/predict/pipeline"
	"leadscore/rfm"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestDemo runs the demo into a temporary directory and checks its run
// folder and backtest: the ranked files' columns and order, the model
// committed in models/demo, and that a second run is byte-identical.
func TestDemo(t *testing.T) {
	dir, out := sharedDemo(t)
	for _, want := range []string{"Top 10 of 3000 leads", "RANK", "out-of-time AUC", "Backtest", "model_weight:", "runs/2025-01-01"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	run := filepath.Join(dir, "runs", "latest")
	recs := testfiles.ReadCSV(t, filepath.Join(run, "ranked.csv"))
	header := strings.Join(recs[0], ",")
	for _, col := range []string{"entity_id", "score", "grade", "probability", "reasons", "churn_risk", "p_alive", "rfm_segment", "clv"} {
		if !strings.Contains(header, col) {
			t.Errorf("ranked.csv lacks column %s: %s", col, header)
		}
	}
	if len(recs) != 3001 {
		t.Errorf("ranked.csv has %d rows, want 3000", len(recs)-1)
	}
	prevScore := 101
	for i, r := range recs[1:] {
		score, _ := strconv.Atoi(r[2])
		if rank, _ := strconv.Atoi(r[0]); score > prevScore || rank != i+1 {
			t.Fatalf("row %d (rank %d, %s, %d) out of order after score %d", i+1, rank, r[1], score, prevScore)
		}
		prevScore = score
	}
	if recs[1][10] == "" || !strings.Contains(recs[1][10], "points)") {
		t.Errorf("the top lead's reasons %q lack their effect in points", recs[1][10])
	}
	pq, err := os.ReadFile(filepath.Join(run, "ranked.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	ranked, err := predict.ReadRankedParquet(bytes.NewReader(pq), int64(len(pq)))
	if err != nil {
		t.Fatal(err)
	}
	if len(ranked) != 3000 || ranked[0].EntityID != recs[1][1] {
		t.Errorf("ranked.parquet: %d rows, first %s; CSV first %s", len(ranked), ranked[0].EntityID, recs[1][1])
	}
	// A second Parquet implementation (Arrow) reads what parquet-go wrote.
	at, err := features.ReadParquetTable(context.Background(), bytes.NewReader(pq), "ranked.parquet")
	if err != nil {
		t.Fatal(err)
	}
	// The CSV holds the columns that apply, in the Parquet file's order.
	names := strings.Join(at.Names(), ",")
	for _, col := range recs[0] {
		if !slices.Contains(at.Names(), col) {
			t.Errorf("ranked.csv column %s is not in ranked.parquet (%s)", col, names)
		}
	}
	if at.NumRows() != 3000 || at.Column("entity_id").Str[0] != recs[1][1] {
		t.Errorf("Arrow reads ranked.parquet as %v, %d rows", at.Names(), at.NumRows())
	}
	// A healthy nightly run warns of nothing.
	var man struct{ Warnings []string }
	if b, err := os.ReadFile(filepath.Join(run, "manifest.json")); err != nil || json.Unmarshal(b, &man) != nil || len(man.Warnings) > 0 {
		t.Errorf("manifest warnings %v (%v)", man.Warnings, err)
	}

	// The committed demo model is the one the demo trains.
	committed, err := os.ReadFile("../../models/demo/model.json")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(run, "model", "model.json")); !bytes.Equal(got, committed) {
		t.Error("the demo trained a different model than models/demo/model.json; copy the new one there if the change is intended")
	}

	// Determinism: a second run gives the same bytes in every file but the
	// manifests, which record durations.
	dir2 := t.TempDir()
	if code, _, errs := runCLI(t, "demo", "--out", dir2, "-q"); code != 0 {
		t.Fatalf("second run: exit %d: %s", code, errs)
	}
	for _, name := range []string{"ranked.parquet", "ranked.csv", "calllist.html", "model/model.json", "model/report.html", "model/training.parquet", "ranked.summary.json",
		"features.parquet", "rfm.parquet", "clv.json"} {
		a, _ := os.ReadFile(filepath.Join(run, name))
		b, _ := os.ReadFile(filepath.Join(dir2, "runs", "latest", name))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s differs between two demo runs", name)
		}
	}
	for _, name := range []string{"backtest/backtest.json", "backtest/evaluate-2024-10-01.html"} {
		a, _ := os.ReadFile(filepath.Join(dir, name))
		b, _ := os.ReadFile(filepath.Join(dir2, name))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s differs between two demo runs", name)
		}
	}
}

// TestPipelineCSV runs generate → features → train → features → predict on
// CSV data through the command line.
func TestPipelineCSV(t *testing.T) {
	dir := t.TempDir()
	conf := "model_weight: 0.6\ngrades:\n  - {name: A, capacity: 10, queue: best}\n  - {name: B, capacity: 40, queue: team}\n  - {name: C, queue: nurture}\nreps:\n  team: [{name: Ann, weight: 3}, {name: Bo, weight: 1}]\n"
	if err := os.WriteFile(dir+"/predict.yaml", []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	steps := [][]string{
		{"datasets", "generate", "--out", data, "--entities", "2500", "--seed", "3"},
		{"features", "--events", data + "/events.csv", "--entities", data + "/entities.csv", "--cutoffs", data + "/deals.csv",
			"--rules", "default", "--out", dir + "/train.parquet"},
		{"train", "--features", dir + "/train.parquet", "--label", "won", "--time-col", "ts", "--drop", "deal_id", "--out", dir + "/models/lr"},
		{"features", "--events", data + "/events.csv", "--entities", data + "/entities.csv", "--as-of", "2025-01-01",
			"--rules", "default", "--model", dir + "/models/lr", "--out", dir + "/today.parquet"},
		{"predict", "--model", dir + "/models/lr", "--features", dir + "/today.parquet", "--out", dir + "/ranked.parquet",
			"--csv", dir + "/ranked.csv", "--top", "100", "--settings", dir + "/predict.yaml"},
		{"train", "--features", dir + "/train.parquet", "--label", "won", "--time-col", "ts", "--drop", "deal_id", "--model", "nb",
			"--compare", dir + "/models/lr", "--out", dir + "/models/nb"},
	}
	for _, s := range steps {
		if code, out, errs := runCLI(t, append(s, "-q")...); code != 0 {
			t.Fatalf("%v: exit %d\n%s\n%s", s, code, out, errs)
		}
	}
	b, err := os.ReadFile(dir + "/ranked.csv")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := os.ReadFile(dir + "/models/nb/report.html")
	if err != nil || !strings.Contains(string(rep), "previous model") || strings.Count(string(rep), "<svg") != 5 {
		t.Errorf("naive-Bayes report with --compare: %v, %d charts", err, strings.Count(string(rep), "<svg"))
	}
	if n := strings.Count(string(b), "\r\n"); n != 101 {
		t.Errorf("ranked.csv has %d lines, want 101 (header + top 100)", n)
	}
	if a, ann := strings.Count(string(b), ",A,best,,"), strings.Count(string(b), ",team,Ann,"); a != 10 || ann != 30 {
		t.Errorf("capacity grades: %d A leads (want 10), %d for Ann (want 30 of 40)", a, ann)
	}
	var sum map[string]any
	if sb, err := os.ReadFile(dir + "/ranked.summary.json"); err != nil || json.Unmarshal(sb, &sum) != nil || sum["per_queue"] == nil {
		t.Errorf("ranked.summary.json: %v %v", err, sum)
	}
	f, _ := os.Open(dir + "/train.parquet")
	defer f.Close()
	tb, err := features.ReadParquetTable(context.Background(), f, "train.parquet")
	if err != nil {
		t.Fatal(err)
	}
	if tb.Column("won") == nil || tb.Column("rule_points_fit") == nil || tb.Meta[features.MetaPassthrough] != "won,deal_id,closed_at,amount" {
		t.Errorf("training table columns %v, meta %v", tb.Names(), tb.Meta)
	}
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.csv", "entity_id,ts,type\na,2024-01-01,rfq\n")
	bad := write("bad.csv", "entity_id,ts,type\na,2024-01-01,rfq\nb,2024-02-30,rfq\nc,2024-01-02,rfq\n")
	out := filepath.Join(dir, "f.parquet")
	tests := []struct {
		name    string
		args    []string
		code    int
		stderr  string
		outFile bool
	}{
		{"ok", []string{"features", "--events", good, "--as-of", "2025-01-01", "--out", out}, 0, "", true},
		{"bad row", []string{"features", "--events", bad, "--as-of", "2025-01-01", "--out", out}, 3, "bad.csv:3:3: field \"ts\"", false},
		{"bad row skipped", []string{"features", "--events", bad, "--as-of", "2025-01-01", "--out", out, "--max-bad-rows", "1"}, 0, "", true},
		{"missing flag", []string{"features", "--events", good, "--out", out}, 2, "exactly one of --as-of, --cutoffs and --snapshots", false},
		{"unknown flag", []string{"features", "--bogus"}, 2, "unknown flag", false},
		{"bad date flag", []string{"features", "--events", good, "--as-of", "tomorrow", "--out", out}, 2, "--as-of", false},
		{"missing column", []string{"features", "--events", good, "--col", "entity_id=Lead Number", "--as-of", "2025-01-01", "--out", out}, 3, "Lead Number", false},
		{"no such file", []string{"features", "--events", filepath.Join(dir, "nope.csv"), "--as-of", "2025-01-01", "--out", out}, 3, "nope.csv: no such file", false},
		{"no such shard", []string{"features", "--events", filepath.Join(dir, "part-*.parquet"), "--as-of", "2025-01-01", "--out", out}, 3, "part-*.parquet: no file matches", false},
		{"no such rules file", []string{"features", "--events", good, "--rules", filepath.Join(dir, "nope.yaml"), "--as-of", "2025-01-01", "--out", out}, 2, "rules file " + filepath.Join(dir, "nope.yaml") + ": no such file", false},
		{"no such model", []string{"predict", "--model", filepath.Join(dir, "nope"), "--features", out, "--out", filepath.Join(dir, "r.parquet")}, 2, "model " + filepath.Join(dir, "nope") + ": no such file or folder", false},
		{"bad rules", []string{"rules", "check", write("r.yaml", "version: 1\ngroups: [{name: g}]\nrules:\n  - {name: a, group: g, points: 1, event: {type: x}, valid_for: 3 fortnights}\n")}, 2, "r.yaml:4:", false},
		{"model mismatch", []string{"predict", "--model", write("m.json", "{}"), "--features", out, "--out", filepath.Join(dir, "r.parquet")}, 4, "m.json", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.Remove(out)
			code, _, errs := runCLI(t, append(tt.args, "-q")...)
			if code != tt.code || !strings.Contains(errs, tt.stderr) {
				t.Errorf("exit %d, stderr %q; want exit %d with %q", code, errs, tt.code, tt.stderr)
			}
			if _, err := os.Stat(out); (err == nil) != tt.outFile && tt.args[0] == "features" {
				t.Errorf("output file exists = %v, want %v", err == nil, tt.outFile)
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if strings.Contains(e.Name(), ".tmp-") {
					t.Errorf("temporary file left behind: %s", e.Name())
				}
			}
		})
	}
	q, err := os.ReadFile(filepath.Join(dir, "f.quarantine.csv"))
	if err != nil || !strings.Contains(string(q), "bad.csv,3,3,ts,") {
		t.Errorf("quarantine file: %q, %v", q, err)
	}
}

func TestRulesDefaultRoundTrip(t *testing.T) {
	code, out, _ := runCLI(t, "rules", "default")
	if code != 0 {
		t.Fatal("rules default failed")
	}
	p := filepath.Join(t.TempDir(), "rules.yaml")
	os.WriteFile(p, []byte(out), 0o644)
	code, out, errs := runCLI(t, "rules", "check", p)
	if code != 0 || !strings.Contains(out, "big_order") || !strings.Contains(out, "11 rules, 4 groups") {
		t.Errorf("rules check: exit %d\n%s\n%s", code, out, errs)
	}
}

func TestRulesExplain(t *testing.T) {
	dir, _ := sharedDemo(t)
	code, out, errs := runCLI(t, "rules", "explain", "--events", dir+"/data/events.parquet", "--entities", dir+"/data/entities.parquet",
		"--entity", "E01601", "--as-of", "2025-01-01")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"counted: valid until", "expired on", "holds: decision_maker is true", "rule_points = +100"} {
		if !strings.Contains(out, want) {
			t.Errorf("explain output lacks %q:\n%s", want, out)
		}
	}
	// An id no event or entities row has is named, not explained as an
	// entity the rules give nothing.
	for id, want := range map[string]string{"e01601": `(ids compare exactly; the events have "E01601")`, "X1": `"X1": is the id right?`} {
		code, _, errs := runCLI(t, "rules", "explain", "--events", dir+"/data/events.parquet", "--entities", dir+"/data/entities.parquet",
			"--entity", id, "--as-of", "2025-01-01")
		if code != 2 || !strings.Contains(errs, want) {
			t.Errorf("--entity %s: exit %d, %q; want 2 with %q", id, code, errs, want)
		}
	}
}

func TestRFMCommand(t *testing.T) {
	dir := t.TempDir()
	cdnow := "../../rfm/testdata/cdnow_sample.csv.gz"
	code, out, errs := runCLI(t, "rfm", "--orders", cdnow, "--observation-end", "1997-09-30", "--time-unit", "week",
		"--out", dir+"/old.parquet", "--model-out", dir+"/clv.json", "--holdout-end", "1998-06-30", "--validation-out", dir+"/val.csv", "-q")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"r=0.2426 alpha=4.4136 a=0.7929 b=2.4259", "p=6.2496 q=3.7442 v=15.4435", "Holdout", "total"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	b, err := os.ReadFile(dir + "/clv.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"r", "alpha", "a", "b", "log_likelihood", "p", "q", "v", "time_unit", "window_start", "window_end"} {
		if _, ok := m[k]; !ok {
			t.Errorf("clv.json lacks %q", k)
		}
	}
	if v, _ := os.ReadFile(dir + "/val.csv"); !strings.HasPrefix(string(v), "calibration_x,customers,predicted,actual\n") {
		t.Errorf("validation CSV: %q", v)
	}
	code, out, errs = runCLI(t, "rfm", "--orders", cdnow, "--observation-end", "1998-03-31", "--previous", dir+"/old.parquet", "--out", dir+"/new.parquet", "-q")
	if code != 0 || !strings.Contains(out, "Segment transitions since the previous run") {
		t.Errorf("exit %d, output:\n%s\n%s", code, out, errs)
	}
	cs, err := rfm.ReadFile(dir + "/new.parquet")
	if err != nil || len(cs) != 2357 || cs[0].PreviousSegment == nil {
		t.Errorf("rfm.parquet: %d rows, %v", len(cs), err)
	}
}

// TestRFMOrderLines: order lines exported as Online Retail writes them
// (Quantity, a cancellation as a negative quantity) are read as price ×
// quantity without mapping the quantity, and as prices alone when
// --orders-col quantity= says the file has none.
func TestRFMOrderLines(t *testing.T) {
	dir := t.TempDir()
	lines := filepath.Join(dir, "lines.csv")
	os.WriteFile(lines, []byte("Invoice,Quantity,InvoiceDate,Price,Customer ID\n"+
		"536365,6,2010-12-01,2.55,17850\n536366,2,2010-12-03,4.25,17850\nC536367,-6,2010-12-05,2.55,17850\n"+
		"536368,3,2010-12-02,4.95,13047\n536369,1,2010-12-09,9.95,13047\n"), 0o644)
	args := []string{"rfm", "--orders", lines, "--col", "entity_id=Customer ID", "--col", "ts=InvoiceDate", "--col", "amount=Price",
		"--as-of", "2011-01-01", "-q"}
	code, out, errs := runCLI(t, append(args, "--out", dir+"/lines.parquet")...)
	if code != 0 || !strings.Contains(out, "from 4 orders; 1 returns") {
		t.Fatalf("quantity found: exit %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = runCLI(t, append(args, "--orders-col", "quantity=", "--out", dir+"/prices.parquet")...)
	if code != 0 || !strings.Contains(out, "from 5 orders; 0 returns") {
		t.Fatalf("quantity=: exit %d\n%s\n%s", code, out, errs)
	}
	byID := func(path string) map[string]float64 {
		cs, err := rfm.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]float64{}
		for _, c := range cs {
			m[c.EntityID] = c.Monetary
		}
		return m
	}
	if got := byID(dir + "/lines.parquet"); math.Abs(got["13047"]-(3*4.95+9.95)/2) > 1e-9 {
		t.Errorf("monetary from lines: %v", got)
	}
	if got := byID(dir + "/prices.parquet"); math.Abs(got["13047"]-(4.95+9.95)/2) > 1e-9 {
		t.Errorf("monetary from prices: %v", got)
	}
}

// TestFlatTable trains on a flat one-row-per-lead CSV (mixed types, a
// placeholder meaning missing, an id column) and scores another with
// predict --table --id: the output carries the id column's values.
func TestFlatTable(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("Lead Number,Source,Visits,Converted\n")
	for i := range 600 {
		src := []string{"Google", "Direct", "Select", "Referral"}[i%4]
		visits := i % 13
		conv := "0"
		if (visits > 6) != (i%9 == 0) {
			conv = "1"
		}
		fmt.Fprintf(&b, "%d,%s,%d,%s\n", 7000+i, src, visits, conv)
	}
	os.WriteFile(dir+"/leads.csv", []byte(b.String()), 0o644)
	if code, out, errs := runCLI(t, "train", "--table", dir+"/leads.csv", "--label", "Converted", "--id", "Lead Number",
		"--na", "Select", "--out", dir+"/m", "-q"); code != 0 {
		t.Fatalf("train: exit %d\n%s\n%s", code, out, errs)
	}
	if code, out, errs := runCLI(t, "predict", "--model", dir+"/m", "--table", dir+"/leads.csv", "--id", "Lead Number",
		"--na", "Select", "--out", dir+"/p.parquet", "--csv", dir+"/p.csv", "-q"); code != 0 {
		t.Fatalf("predict: exit %d\n%s\n%s", code, out, errs)
	}
	recs := testfiles.ReadCSV(t, dir+"/p.csv")
	if len(recs) != 601 {
		t.Fatalf("p.csv: %d rows", len(recs)-1)
	}
	ids := map[string]bool{}
	for _, r := range recs[1:] {
		ids[r[1]] = true
	}
	if !ids["7000"] || !ids["7599"] || recs[0][1] != "entity_id" || recs[0][6] != "probability" {
		t.Errorf("header %v; ids 7000 and 7599 present: %v %v", recs[0], ids["7000"], ids["7599"])
	}
}

// TestUnknownCommands: a command line naming no command is a usage error
// (exit code 2), at the top and within a group.
func TestUnknownCommands(t *testing.T) {
	for _, args := range [][]string{{"bogus"}, {"rules", "bogus"}, {"datasets", "bogus"}, {"models", "nothing"}} {
		code, _, errs := runCLI(t, args...)
		if code != pipeline.ExitUsage || !strings.Contains(errs, "unknown command") {
			t.Errorf("%v: exit %d, stderr %q; want 2 and unknown command", args, code, errs)
		}
	}
	if code, out, _ := runCLI(t, "rules"); code != 0 || !strings.Contains(out, "Available Commands") {
		t.Errorf("rules alone: exit %d, want its help", code)
	}
}

// TestEvaluateCommand judges the demo's backtest run of 2024-07-01 from
// the command line, and refuses a backtest of one date.
func TestEvaluateCommand(t *testing.T) {
	dir, _ := sharedDemo(t)
	out := t.TempDir()
	code, stdout, errs := runCLI(t, "evaluate", "--ranked", filepath.Join(dir, "backtest", "runs", "2024-07-01"), "--deals", filepath.Join(dir, "data", "deals.parquet"),
		"--out", filepath.Join(out, "e.json"), "--html", filepath.Join(out, "e.html"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"Call list of 2024-07-01", "call list", "model", "rules", "GRADE"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	var ev struct {
		Positives   int
		HorizonDays int `json:"horizon_days"`
		Lists       []struct{ AUC float64 }
	}
	b, err := os.ReadFile(filepath.Join(out, "e.json"))
	if err != nil || json.Unmarshal(b, &ev) != nil || ev.Positives == 0 || ev.HorizonDays != 90 || len(ev.Lists) != 3 || ev.Lists[0].AUC <= 0.5 {
		t.Errorf("evaluation %+v (%v)", ev, err)
	}
	if html, _ := os.ReadFile(filepath.Join(out, "e.html")); !bytes.Contains(html, []byte("<svg")) {
		t.Error("the HTML page has no chart")
	}
	// The same deals as a CRM exports them: a Stage column with its own
	// names for the outcomes, open deals at a stage of their own.
	plain, stages := filepath.Join(out, "deals.csv"), filepath.Join(out, "stages.csv")
	if code, _, errs := runCLI(t, "export", "--in", filepath.Join(dir, "data", "deals.parquet"), "--out", plain, "-q"); code != 0 {
		t.Fatalf("export: %s", errs)
	}
	rewriteCSV(t, plain, stages, func(recs [][]string) [][]string {
		w := slices.Index(recs[0], "won")
		recs[0][w] = "Stage"
		for _, r := range recs[1:] {
			r[w] = map[string]string{"true": "Closed Won", "false": "closed  lost", "": "Negotiation"}[r[w]]
		}
		return recs
	})
	code, _, errs = runCLI(t, "evaluate", "--ranked", filepath.Join(dir, "backtest", "runs", "2024-07-01"), "--deals", stages,
		"--col", "won=Stage", "--won", "Closed Won", "--lost", "Closed Lost", "--out", filepath.Join(out, "s.json"), "-q")
	sb, _ := os.ReadFile(filepath.Join(out, "s.json"))
	if code != 0 || !bytes.Equal(bytes.ReplaceAll(sb, []byte(stages), nil), bytes.ReplaceAll(b, []byte(filepath.Join(dir, "data", "deals.parquet")), nil)) {
		t.Errorf("stage names: exit %d, %s; the evaluation differs from the plain deals file's", code, errs)
	}
	if code, _, errs := runCLI(t, "evaluate", "--ranked", filepath.Join(dir, "backtest", "runs", "2024-07-01"), "--deals", stages,
		"--col", "won=Stage", "-q"); code != pipeline.ExitBadInput || !strings.Contains(errs, "is not one of") || !strings.Contains(errs, "won and lost values") {
		t.Errorf("stage names without --won/--lost: exit %d, %q", code, errs)
	}
	if code, _, errs := runCLI(t, "evaluate", "--ranked", filepath.Join(dir, "backtest", "runs", "2024-07-01"), "--deals", stages,
		"--col", "won=Stage", "--won", "Closed Won", "-q"); code != pipeline.ExitUsage || !strings.Contains(errs, "together") {
		t.Errorf("--won without --lost: exit %d, %q", code, errs)
	}
	// A deals file with a row that names no contact: stopped at it, with
	// the flag that skips it; skipped, quarantined beside --out and counted.
	rewriteCSV(t, plain, filepath.Join(out, "bad.csv"), func(recs [][]string) [][]string {
		bad := slices.Clone(recs[1])
		bad[slices.Index(recs[0], "entity_id")] = ""
		return slices.Insert(recs, 3, bad)
	})
	ranked := filepath.Join(dir, "backtest", "runs", "2024-07-01")
	if code, _, errs := runCLI(t, "evaluate", "--ranked", ranked, "--deals", filepath.Join(out, "bad.csv"), "-q"); code != pipeline.ExitBadInput ||
		!strings.Contains(errs, "bad.csv:4:") || !strings.Contains(errs, "--max-bad-rows N") {
		t.Errorf("a bad deals row: exit %d, %q", code, errs)
	}
	code, _, errs = runCLI(t, "evaluate", "--ranked", ranked, "--deals", filepath.Join(out, "bad.csv"), "--max-bad-rows", "1", "--out", filepath.Join(out, "q.json"), "-q")
	var skipped struct {
		DealsSkipped int `json:"deals_skipped"`
		Positives    int
	}
	qb, _ := os.ReadFile(filepath.Join(out, "q.json"))
	if json.Unmarshal(qb, &skipped); code != 0 || skipped.DealsSkipped != 1 || skipped.Positives != ev.Positives || len(testfiles.ReadCSV(t, filepath.Join(out, "q.quarantine.csv"))) != 2 {
		t.Errorf("--max-bad-rows 1: exit %d, %s; %+v, want 1 skipped, %d converted and the row quarantined", code, errs, skipped, ev.Positives)
	}
	code, stdout, errs = runCLI(t, "report", "--runs", filepath.Join(dir, "backtest", "runs"), "--deals", filepath.Join(out, "bad.csv"), "--max-bad-rows", "1",
		"--out", filepath.Join(out, "r.json"))
	if code != 0 || !strings.Contains(stdout, "1 bad rows of the deals file skipped") || len(testfiles.ReadCSV(t, filepath.Join(out, "r.quarantine.csv"))) != 2 {
		t.Errorf("report --max-bad-rows 1: exit %d, %s%s", code, stdout, errs)
	}
	code, _, errs = runCLI(t, "backtest", "--config", filepath.Join(dir, "pipeline.yaml"), "--dates", "2024-07-01", "--out", out)
	if code != pipeline.ExitUsage || !strings.Contains(errs, "at least two") {
		t.Errorf("one date: exit %d, %q", code, errs)
	}
	code, _, errs = runCLI(t, "backtest", "--config", filepath.Join(dir, "pipeline.yaml"), "--dates", "2024-10-01,2024-07-01,2024-10-01", "--out", out)
	if code != pipeline.ExitUsage || !strings.Contains(errs, "--dates: 2024-10-01 is listed twice") {
		t.Errorf("a date twice: exit %d, %q", code, errs)
	}
}

// TestReportCommand closes the loop over the demo's backtest runs: both
// dates are judged, in order, with their grades.
func TestReportCommand(t *testing.T) {
	dir, _ := sharedDemo(t)
	out := filepath.Join(t.TempDir(), "report.json")
	code, stdout, errs := runCLI(t, "report", "--runs", filepath.Join(dir, "backtest", "runs"), "--deals", filepath.Join(dir, "data", "deals.parquet"), "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var loop struct {
		Runs []struct {
			AsOf       string `json:"as_of"`
			Evaluation struct {
				Grades []struct {
					Name    string
					Revenue float64
				}
			}
		}
	}
	b, err := os.ReadFile(out)
	if err != nil || json.Unmarshal(b, &loop) != nil || len(loop.Runs) != 2 || loop.Runs[0].AsOf != "2024-07-01" || len(loop.Runs[1].Evaluation.Grades) != 4 {
		t.Fatalf("report %+v (%v)\n%s", loop, err, stdout)
	}
	if loop.Runs[0].Evaluation.Grades[0].Revenue <= 0 {
		t.Error("no revenue for grade A: the deals' amounts are not summed")
	}
	// A run whose call list was damaged is skipped with a warning; the
	// others are judged.
	runs := filepath.Join(t.TempDir(), "runs")
	for _, d := range []string{"2024-07-01", "2024-10-01"} {
		if err := os.CopyFS(filepath.Join(runs, ".data", d), os.DirFS(filepath.Join(dir, "backtest", "runs", d)+"/")); err != nil {
			t.Fatal(err)
		}
		os.Symlink(filepath.Join(".data", d), filepath.Join(runs, d))
	}
	damaged := filepath.Join(runs, ".data", "2024-07-01", "ranked.parquet")
	os.Chmod(damaged, 0o644)
	os.Truncate(damaged, 100)
	code, stdout, errs = runCLI(t, "report", "--runs", runs, "--deals", filepath.Join(dir, "data", "deals.parquet"))
	if code != 0 || !strings.Contains(stdout, "warning: run 2024-07-01 skipped: its call list cannot be read") || !strings.Contains(stdout, "2024-10-01") {
		t.Errorf("a damaged run: exit %d, %s%s", code, stdout, errs)
	}
}
