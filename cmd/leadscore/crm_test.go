package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"leadscore/features"
	"leadscore/features/testfiles"
	"leadscore/predict"
	"leadscore/predict/pipeline"
)

// TestMessyCRMExport takes a hand-made CRM export (testdata/messy: mixed
// label spellings, "1,234.50" and "$2,000.00" amounts with n/a, "15%",
// dd.mm.yyyy dates, a formula in a company name) through the README's
// commands: inspect, train with value lists and a date pattern, predict
// with kept columns. The model equals one trained on the same export
// cleaned by hand, and no cell of the call list is a formula.
func TestMessyCRMExport(t *testing.T) {
	dir := t.TempDir()
	messy, fresh := "testdata/messy/leads.csv", "testdata/messy/new_leads.csv"
	code, out, errs := runCLI(t, "inspect", "--table", messy, "--label", "Status", "--id", "Lead Number", "--time-col", "Created", "--time-format", "dd.mm.yyyy", "-q")
	if code != 0 {
		t.Fatalf("inspect: exit %d: %s", code, errs)
	}
	for _, want := range []string{"Deal Value", "1,234.5", "dd.mm.yyyy", "every value differs", "Last Contact_days_before_Created"} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, out)
		}
	}
	train := func(table, out string, extra ...string) *predict.Model {
		t.Helper()
		args := append([]string{"train", "--table", table, "--label", "Status", "--id", "Lead Number", "--time-col", "Created", "--model", "lr", "--out", out, "-q"}, extra...)
		if code, _, errs := runCLI(t, args...); code != 0 {
			t.Fatalf("train %s: exit %d: %s", table, code, errs)
		}
		m, err := predict.ReadFile(filepath.Join(out, "model.json"))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	m := train(messy, filepath.Join(dir, "messy"), "--positive", "won,closed won", "--negative", "lost,closed lost", "--time-format", "dd.mm.yyyy")
	clean := filepath.Join(dir, "clean.csv")
	cleanByHand(t, messy, clean)
	c := train(clean, filepath.Join(dir, "clean"), "--positive", "true", "--negative", "false")
	if len(m.Design) != len(c.Design) || m.Metrics.AUC != c.Metrics.AUC || m.Metrics.Rows != c.Metrics.Rows {
		t.Fatalf("messy model: %d design columns, AUC %v on %d rows; cleaned: %d, %v, %d", len(m.Design), m.Metrics.AUC, m.Metrics.Rows, len(c.Design), c.Metrics.AUC, c.Metrics.Rows)
	}
	for j := range m.Design {
		if m.Design[j].Name != c.Design[j].Name || math.Abs(m.Logistic.Coef[j]-c.Logistic.Coef[j]) > 1e-9 {
			t.Errorf("design column %d: %s %v, cleaned %s %v", j, m.Design[j].Name, m.Logistic.Coef[j], c.Design[j].Name, c.Logistic.Coef[j])
		}
	}

	ranked := filepath.Join(dir, "ranked.csv")
	if code, _, errs := runCLI(t, "predict", "--model", filepath.Join(dir, "messy"), "--table", fresh, "--id", "Lead Number",
		"--keep", "Lead Origin,Company,Email", "--allow-weak-model", "--out", filepath.Join(dir, "ranked.parquet"), "--csv", ranked, "-q"); code != 0 {
		t.Fatalf("predict: exit %d: %s", code, errs)
	}
	// A misspelt column to keep is a usage error naming the columns.
	if code, _, errs := runCLI(t, "predict", "--model", filepath.Join(dir, "messy"), "--table", fresh, "--id", "Lead Number",
		"--keep", "Lead Orign", "--allow-weak-model", "--out", filepath.Join(dir, "typo.parquet"), "-q"); code != pipeline.ExitUsage ||
		!strings.Contains(errs, `keep "Lead Orign": no such column (have `) || !strings.Contains(errs, "Lead Origin") {
		t.Errorf("--keep with a typo: exit %d, %q", code, errs)
	}
	recs := testfiles.ReadCSV(t, ranked)
	if len(recs) != 81 || !strings.HasSuffix(strings.Join(recs[0], ","), "model_id,Lead Origin,Company,Email") {
		t.Fatalf("ranked.csv: %d rows, header %v", len(recs), recs[0])
	}
	for _, r := range recs[1:] {
		for _, cell := range r {
			if _, err := strconv.ParseFloat(cell, 64); err == nil {
				continue
			}
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("a cell a spreadsheet would execute: %q", cell)
			}
		}
	}
	var sum struct {
		ModelID string   `json:"model_id"`
		Kept    []string `json:"kept"`
	}
	if b, err := os.ReadFile(filepath.Join(dir, "ranked.summary.json")); err != nil || json.Unmarshal(b, &sum) != nil || sum.ModelID != m.ID || len(sum.Kept) != 3 {
		t.Errorf("summary %+v (%v)", sum, err)
	}
}

// cleanByHand writes the messy export as a careful analyst would: labels
// as true/false with open deals removed, plain numbers, ISO dates.
func cleanByHand(t *testing.T, from, to string) {
	t.Helper()
	rewriteCSV(t, from, to, func(recs [][]string) [][]string {
		col := map[string]int{}
		for i, h := range recs[0] {
			col[h] = i
		}
		out := [][]string{recs[0]}
		for _, r := range recs[1:] {
			switch messyOutcome(r[col["Status"]]) {
			case "won":
				r[col["Status"]] = "true"
			case "lost":
				r[col["Status"]] = "false"
			default:
				continue
			}
			v := strings.NewReplacer("$", "", ",", "").Replace(r[col["Deal Value"]])
			if v == "n/a" {
				v = ""
			}
			r[col["Deal Value"]] = v
			r[col["Discount"]] = strings.TrimSuffix(r[col["Discount"]], "%")
			for _, d := range []string{"Created", "Last Contact"} {
				tm, err := time.Parse("02.01.2006", r[col[d]])
				if err != nil {
					t.Fatal(err)
				}
				r[col[d]] = tm.Format(time.DateOnly)
			}
			out = append(out, r)
		}
		return out
	})
}

// messyOutcome reads a Status of the messy export: "won", "lost", or ""
// for an open deal.
func messyOutcome(status string) string {
	switch strings.Join(strings.Fields(strings.ToLower(status)), " ") {
	case "won", "closed won":
		return "won"
	case "lost", "closed lost":
		return "lost"
	}
	return ""
}

// writeLines writes a file of the header and n rows, row(i) the i-th,
// each line ended by eol but the last, as spreadsheets save them.
func writeLines(t *testing.T, path, eol, header string, n int, row func(i int) string) {
	t.Helper()
	lines := []string{header}
	for i := range n {
		lines = append(lines, row(i))
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, eol)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// rewriteCSV reads the CSV file from, passes its records (the header
// first) through edit, and writes what edit returns to the file to.
func rewriteCSV(t *testing.T, from, to string, edit func(recs [][]string) [][]string) {
	t.Helper()
	testfiles.WriteCSV(t, to, edit(testfiles.ReadCSV(t, from)))
}

// TestPerFileOptions: a semicolon entities file with its own column names
// beside a comma events file with day-first dates, each read with its own
// flags; the shared flags alone fail, naming the file. Without the time
// format, the message names the flag and pattern that read the dates.
func TestPerFileOptions(t *testing.T) {
	dir := t.TempDir()
	events, entities := filepath.Join(dir, "events.csv"), filepath.Join(dir, "entities.csv")
	os.WriteFile(events, []byte("entity_id,ts,type\na,03.04.2024 10:00,rfq\nb,13.04.2024 09:30,page_view\n"), 0o644)
	os.WriteFile(entities, []byte("Lead Number;industry\na;software\nb;retail\n"), 0o644)
	out := filepath.Join(dir, "f.parquet")
	code, _, errs := runCLI(t, "features", "--events", events, "--entities", entities, "--as-of", "2024-05-01",
		"--entities-sep", ";", "--entities-col", "entity_id=Lead Number", "--out", out, "-q")
	if code != pipeline.ExitBadInput || !strings.Contains(errs, `"03.04.2024 10:00" reads as dd.mm.yyyy: add --events-time-format "dd.mm.yyyy".`) {
		t.Errorf("without a time format: exit %d, %q; want 3 and the flag", code, errs)
	}
	// Dates both day-first and month-first patterns read, in the deals file.
	deals := filepath.Join(dir, "deals.csv")
	os.WriteFile(deals, []byte("entity_id,ts,won\na,2024-03-01,true\nb,04/03/2024,false\n"), 0o644)
	code, _, errs = runCLI(t, "features", "--events", events, "--cutoffs", deals, "--events-time-format", "dd.mm.yyyy", "--out", out, "-q")
	if code != pipeline.ExitBadInput || !strings.Contains(errs, `"04/03/2024" reads as dd/mm/yyyy or as mm/dd/yyyy: add --cutoffs-time-format with the one the file writes.`) {
		t.Errorf("ambiguous cutoffs: exit %d, %q; want 3 and the flag", code, errs)
	}
	code, _, errs = runCLI(t, "features", "--events", events, "--entities", entities, "--as-of", "2024-05-01", "--time-format", "dd.mm.yyyy HH:MM",
		"--entities-sep", ";", "--entities-col", "entity_id=Lead Number", "--out", out, "-q")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	code, _, errs = runCLI(t, "features", "--events", events, "--entities", entities, "--as-of", "2024-05-01", "--time-format", "dd.mm.yyyy HH:MM",
		"--out", out, "-q")
	if code == 0 || !strings.Contains(errs, "entities.csv") {
		t.Errorf("shared flags alone: exit %d, %q", code, errs)
	}
}

// TestWindowsExport: a flat export saved by Excel on Windows (Windows-1252
// text, bare CR line ends, US dates without leading zeros) is refused with
// the flag that reads it, and inspect and train read it with that flag.
func TestWindowsExport(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "export.csv")
	owners := []string{"M\xfcller", "Garc\xeda", "Smith"}
	writeLines(t, path, "\r", "Lead,Created,Owner,Visits,Won", 300, func(i int) string {
		return fmt.Sprintf("L%d,%d/%d/24 %d:05,%s,%d,%d", i, i%12+1, i%28+1, i%24, owners[i%3], i%7, (i%7+i%3)%2)
	})
	code, _, errs := runCLI(t, "inspect", "--table", path, "--label", "Won", "--id", "Lead")
	if code != pipeline.ExitBadInput || !strings.Contains(errs, "--encoding cp1252") {
		t.Fatalf("without --encoding: exit %d, %q; want 3 naming the flag", code, errs)
	}
	code, out, errs := runCLI(t, "inspect", "--table", path, "--label", "Won", "--id", "Lead", "--encoding", "cp1252")
	if code != 0 || !strings.Contains(out, "Müller") || !regexp.MustCompile(`Created +time +mm/dd/yy`).MatchString(out) {
		t.Fatalf("inspect --encoding cp1252: exit %d, %s%s", code, out, errs)
	}
	code, _, errs = runCLI(t, "train", "--table", path, "--label", "Won", "--id", "Lead", "--encoding", "cp1252", "--model", "lr",
		"--out", filepath.Join(dir, "model"), "-q")
	if code != 0 {
		t.Fatalf("train --encoding cp1252: exit %d, %s", code, errs)
	}
	// predict --table takes the id column the model was trained with.
	ranked := filepath.Join(dir, "ranked.csv")
	code, _, errs = runCLI(t, "predict", "--model", filepath.Join(dir, "model"), "--table", path, "--encoding", "cp1252",
		"--allow-weak-model", "--out", filepath.Join(dir, "ranked.parquet"), "--csv", ranked, "-q")
	if code != 0 {
		t.Fatalf("predict without --id: exit %d, %s", code, errs)
	}
	if recs := testfiles.ReadCSV(t, ranked); len(recs) != 301 || !strings.HasPrefix(recs[1][1], "L") {
		t.Errorf("predict without --id: %d rows, first %v", len(recs), recs[1])
	}
}

// TestTrainNamesMissingColumns: a flag naming a column the export lacks
// (a typo in --drop would keep a leak in the model) is a usage error
// naming the file and its columns, before anything is fitted; so is a
// time column that holds no dates.
func TestTrainNamesMissingColumns(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "export.csv")
	// The last column has no name, as spreadsheets save one.
	writeLines(t, path, "\n", "Lead,Created,Visits,Won,", 200, func(i int) string {
		return fmt.Sprintf("L%d,2024-03-%02d,%d,%d,%d", i, i%28+1, i%9, (i%9+i*7%5)/7, i%3)
	})
	base := []string{"--table", path, "--label", "Won", "--model", "lr", "--out", filepath.Join(dir, "m"), "-q"}
	for _, tt := range []struct{ flags []string }{
		{[]string{"--id", "Leed"}},
		{[]string{"--drop", "Visits,Created2"}},
		{[]string{"--time-col", "Createdd"}},
		{[]string{"--categorical", "Source"}},
		{[]string{"--allow-leak", "Amount"}},
	} {
		code, _, errs := runCLI(t, slices.Concat([]string{"train"}, base, tt.flags)...)
		if code != pipeline.ExitUsage || !strings.Contains(errs, "not in "+path) || !strings.Contains(errs, "have Lead, Created, Visits, Won, ") {
			t.Errorf("%v: exit %d, %q; want 2 naming the file and its columns", tt.flags, code, errs)
		}
	}
	code, _, errs := runCLI(t, slices.Concat([]string{"train"}, base, []string{"--time-col", "Visits"})...)
	if code != pipeline.ExitUsage || !strings.Contains(errs, `time column "Visits"`) || !strings.Contains(errs, "holds numbers, not dates") {
		t.Errorf("--time-col Visits: exit %d, %q", code, errs)
	}
	if code, _, errs := runCLI(t, "inspect", "--table", path, "--label", "Won", "--drop", "Nope"); code != pipeline.ExitUsage || !strings.Contains(errs, `drop column "Nope"`) {
		t.Errorf("inspect --drop Nope: exit %d, %q", code, errs)
	}
	if code, _, errs := runCLI(t, slices.Concat([]string{"train"}, base, []string{"--id", "Lead", "--time-col", "Created"})...); code != 0 {
		t.Errorf("the right names: exit %d, %s", code, errs)
	}
}

// TestTextColumns: --text keeps a column as written; codes with leading
// zeros are kept so without it (a category 01001, not the number 1001),
// with a note. The model remembers it, so predict reads the column alike
// without the flag; a name the file lacks is a usage error.
func TestTextColumns(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "codes.csv")
	writeLines(t, path, "\n", "Lead,Zip,Visits,Won", 300, func(i int) string {
		return fmt.Sprintf("L%d,0%d,%d,%d", i, 1000+i%7, i%9, (i%9+i*7%5)/7)
	})
	code, out, errs := runCLI(t, "inspect", "--table", path, "--label", "Won", "--id", "Lead", "--text", "Zip")
	if code != 0 || !regexp.MustCompile(`Zip +categorical +text .*01000 \(`).MatchString(out) {
		t.Fatalf("inspect --text Zip: exit %d, %s%s", code, out, errs)
	}
	code, out, errs = runCLI(t, "inspect", "--table", path, "--label", "Won", "--id", "Lead")
	if code != 0 || !regexp.MustCompile(`Zip +categorical +text .*01000 \(`).MatchString(out) ||
		!strings.Contains(errs, `numbers written with leading zeros, as codes are (\"01000\")`) {
		t.Fatalf("inspect without --text: exit %d, %s%s", code, out, errs)
	}
	model := filepath.Join(dir, "model")
	if code, _, errs := runCLI(t, "train", "--table", path, "--label", "Won", "--id", "Lead", "--text", "Zip", "--model", "lr", "--out", model, "-q"); code != 0 {
		t.Fatalf("train --text Zip: exit %d, %s", code, errs)
	}
	m, err := predict.ReadFile(model)
	if err != nil || !slices.ContainsFunc(m.Features, func(f predict.Feature) bool { return f.Name == "Zip" && f.Kind == predict.Categorical }) {
		t.Fatalf("the model's features %+v, %v; want Zip categorical", m.Features, err)
	}
	// Scored with and without the flag, the call lists are the same.
	var lists [2][]byte
	for k, flags := range [][]string{{"--text", "Zip"}, nil} {
		out := filepath.Join(dir, fmt.Sprintf("r%d.csv", k))
		code, _, errs := runCLI(t, slices.Concat([]string{"predict", "--model", model, "--table", path, "--allow-weak-model",
			"--out", filepath.Join(dir, "r.parquet"), "--csv", out, "-q"}, flags)...)
		if code != 0 {
			t.Fatalf("predict %v: exit %d, %s", flags, code, errs)
		}
		lists[k], _ = os.ReadFile(out)
	}
	if len(lists[0]) == 0 || !bytes.Equal(lists[0], lists[1]) {
		t.Error("predict without --text scored Zip otherwise than with it")
	}
	if code, _, errs := runCLI(t, "inspect", "--table", path, "--text", "Zipp"); code != pipeline.ExitUsage || !strings.Contains(errs, `--text: no column "Zipp"`) {
		t.Errorf("--text Zipp: exit %d, %q", code, errs)
	}
}

// TestLeakyExport: the messy export with two columns filled in once a
// deal closed: "Closed Amount" (the won value, 0 when lost, empty while
// open) and "Closed On" (a date after Created). inspect marks the amount a
// suspected leak and warns of the date; train stops with exit 3 and the
// flags that settle it, quoted for the shell; either flag trains.
func TestLeakyExport(t *testing.T) {
	dir := t.TempDir()
	leaky := filepath.Join(dir, "leaky.csv")
	rewriteCSV(t, "testdata/messy/leads.csv", leaky, func(rows [][]string) [][]string {
		status, created := slices.Index(rows[0], "Status"), slices.Index(rows[0], "Created")
		rows[0] = append(rows[0], "Closed Amount", "Closed On")
		for i, r := range rows[1:] {
			v, on := "", ""
			switch messyOutcome(r[status]) {
			case "won":
				v = strconv.Itoa(1000 + 37*i)
			case "lost":
				v = "0"
			}
			if d, err := time.Parse("02.01.2006", r[created]); err == nil && v != "" {
				on = d.AddDate(0, 0, 20+i%50).Format("02.01.2006")
			}
			rows[i+1] = append(r, v, on)
		}
		return rows
	})
	labels := []string{"--label", "Status", "--positive", "won,closed won", "--negative", "lost,closed lost", "--id", "Lead Number",
		"--time-col", "Created", "--time-format", "dd.mm.yyyy", "-q"}
	code, stdout, errs := runCLI(t, append([]string{"inspect", "--table", leaky}, labels...)...)
	if code != 0 || !regexp.MustCompile(`Closed Amount .* suspected leak +alone decides the label \(AUC 1\.000\)`).MatchString(stdout) ||
		!strings.Contains(stdout, "the date is after Created on 100% of rows: filled in later? (a leak: --drop Closed On)") ||
		!strings.Contains(errs, `filled in later than the row's time, it may leak the outcome (--drop Closed On)"`) {
		t.Errorf("inspect: exit %d, %s\n%s", code, errs, stdout)
	}
	train := append([]string{"train", "--table", leaky, "--model", "lr"}, labels...)
	code, _, errs = runCLI(t, append(train, "--out", filepath.Join(dir, "m"))...)
	if code != 3 || !strings.Contains(errs, `Closed Amount (AUC 1.000) alone decides "Status"`) ||
		!strings.Contains(errs, `--drop "Closed Amount"`) || !strings.Contains(errs, `--allow-leak "Closed Amount"`) {
		t.Errorf("train: exit %d, want 3 naming the column and the flags: %s", code, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "m")); !os.IsNotExist(err) {
		t.Errorf("a refused training left %s: %v", filepath.Join(dir, "m"), err)
	}
	for _, flag := range []string{"--drop", "--allow-leak"} {
		if code, _, errs := runCLI(t, append(train, flag, "Closed Amount", "--drop", "Closed On", "--out", filepath.Join(dir, flag))...); code != 0 {
			t.Errorf("train %s: exit %d: %s", flag, code, errs)
		}
	}
}

// TestDoubledColumnName: a report of two records' fields has two Owner
// columns (the lead's and the account's). inspect, train and predict read
// the second as Owner.1 and say so, inspect without --time-col too; the
// model learns from both and scores the file again alike.
func TestDoubledColumnName(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "leads.csv")
	owners := []string{"Ann", "Bo", "Cy"}
	writeLines(t, path, "\n", "Lead,Owner,Visits,Owner,Won", 300, func(i int) string {
		return fmt.Sprintf("L%d,%s,%d,%s,%d", i, owners[i%3], i%7, owners[i*7%3], (i%7+i%3)%2)
	})
	code, out, errs := runCLI(t, "inspect", "--table", path, "--label", "Won", "--id", "Lead")
	if code != 0 || !regexp.MustCompile(`Owner\.1 +categorical`).MatchString(out) || !strings.Contains(errs, `column 4 of the header is a second \"Owner\": read as \"Owner.1\"`) {
		t.Fatalf("inspect: exit %d, %s%s", code, out, errs)
	}
	model := filepath.Join(dir, "model")
	if code, _, errs := runCLI(t, "train", "--table", path, "--label", "Won", "--id", "Lead", "--model", "lr", "--out", model, "-q"); code != 0 {
		t.Fatalf("train: exit %d, %s", code, errs)
	}
	m, err := predict.ReadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range m.Features {
		names = append(names, f.Name)
	}
	if !slices.Contains(names, "Owner") || !slices.Contains(names, "Owner.1") {
		t.Errorf("the model's features %q: want Owner and Owner.1", names)
	}
	if code, _, errs := runCLI(t, "predict", "--model", model, "--table", path, "--allow-weak-model", "--out", filepath.Join(dir, "r.parquet"), "-q"); code != 0 {
		t.Errorf("predict: exit %d, %s", code, errs)
	}
}

// TestFlatTableBadRows: a report with a short row among its leads and a
// footer below them stops train, predict and inspect at the first, naming
// --max-bad-rows; with it they skip the rows into a quarantine file (in
// the model folder for train, beside the call list for predict; inspect
// counts them), and one bad row more than allowed writes nothing.
func TestFlatTableBadRows(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "leads.csv")
	owners := []string{"Ann", "Bo", "Cy"}
	writeLines(t, path, "\n", "Lead,Owner,Visits,Won", 300, func(i int) string {
		if i == 150 {
			return "L150,Ann"
		}
		return fmt.Sprintf("L%d,%s,%d,%d", i, owners[i%3], i%7, (i%7+i%3)%2)
	})
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("\n\n\"Confidential Information - Do Not Distribute\"\n")
	f.Close()
	model := filepath.Join(dir, "model")
	base := []string{"train", "--table", path, "--label", "Won", "--id", "Lead", "--model", "lr", "--out", model, "-q"}
	if code, _, errs := runCLI(t, base...); code != pipeline.ExitBadInput || !strings.Contains(errs, "leads.csv:152:") || !strings.Contains(errs, "--max-bad-rows N") {
		t.Fatalf("train: exit %d, %q; want 3 at line 152 naming the flag", code, errs)
	}
	if code, _, errs := runCLI(t, append(base, "--max-bad-rows", "1")...); code != pipeline.ExitBadInput || !strings.Contains(errs, "too many bad rows") {
		t.Fatalf("train --max-bad-rows 1: exit %d, %q", code, errs)
	}
	if _, err := os.Stat(model); err == nil {
		t.Fatal("a failed train left its model folder")
	}
	if code, _, errs := runCLI(t, append(base, "--max-bad-rows", "2")...); code != 0 {
		t.Fatalf("train --max-bad-rows 2: exit %d, %s", code, errs)
	}
	quarantined := func(p string) int {
		t.Helper()
		recs := testfiles.ReadCSV(t, p)
		return len(recs) - 1
	}
	if n := quarantined(filepath.Join(model, "quarantine.csv")); n != 2 {
		t.Errorf("train's quarantine holds %d rows, want 2", n)
	}
	out := filepath.Join(dir, "ranked.parquet")
	code, _, errs := runCLI(t, "predict", "--model", model, "--table", path, "--allow-weak-model", "--max-bad-rows", "2", "--out", out, "-q")
	if code != 0 || !strings.Contains(errs, "skipped bad rows") || !strings.Contains(errs, "bad_rows=2") {
		t.Fatalf("predict --max-bad-rows 2: exit %d, %s; want the skipped rows logged", code, errs)
	}
	if n := quarantined(filepath.Join(dir, "ranked.quarantine.csv")); n != 2 {
		t.Errorf("predict's quarantine holds %d rows, want 2", n)
	}
	if code, _, errs := runCLI(t, "inspect", "--table", path, "--label", "Won", "--id", "Lead"); code != pipeline.ExitBadInput || !strings.Contains(errs, "To skip (and count) such rows, add --max-bad-rows N.") {
		t.Errorf("inspect: exit %d, %q; want 3 naming the flag", code, errs)
	}
	code, stdout, errs := runCLI(t, "inspect", "--table", path, "--label", "Won", "--id", "Lead", "--max-bad-rows", "2")
	if code != 0 || !strings.Contains(stdout, "299 rows") || !strings.Contains(errs, "bad_rows=2") {
		t.Errorf("inspect --max-bad-rows 2: exit %d, %s%s", code, stdout, errs)
	}
}

// TestIDKeptAsWritten: the --id column is read as written, whatever it
// looks like ("1,000.50", "12.50", "1e3", "0042"), so the call list names
// each lead by the CRM's own id; inspect shows it as text, and so the
// entity_id column without --id. A kept phone number named in --text is
// carried as written too.
func TestIDKeptAsWritten(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "leads.csv")
	id := func(i int) string {
		return []string{fmt.Sprintf("%d,%03d.50", 1+i/1000, i%1000), fmt.Sprintf("%d.50", i), fmt.Sprintf("%de3", i), fmt.Sprintf("%04d", i)}[i%4]
	}
	phone := func(i int) string { return fmt.Sprintf("+1555%07d", i) }
	writeLines(t, path, "\n", "Lead,Visits,Phone,Won", 400, func(i int) string {
		return fmt.Sprintf("%q,%d,%s,%d", id(i), i%7, phone(i), (i%7+i%3)%2)
	})
	code, out, errs := runCLI(t, "inspect", "--table", path, "--label", "Won", "--id", "Lead")
	if code != 0 || !regexp.MustCompile(`Lead +categorical +text `).MatchString(out) {
		t.Fatalf("inspect: exit %d, %s%s", code, out, errs)
	}
	model := filepath.Join(dir, "model")
	if code, _, errs := runCLI(t, "train", "--table", path, "--label", "Won", "--id", "Lead", "--drop", "Phone", "--model", "lr", "--out", model, "-q"); code != 0 {
		t.Fatalf("train: exit %d, %s", code, errs)
	}
	ranked := filepath.Join(dir, "ranked.csv")
	if code, _, errs := runCLI(t, "predict", "--model", model, "--table", path, "--allow-weak-model", "--keep", "Phone", "--text", "Phone",
		"--out", filepath.Join(dir, "ranked.parquet"), "--csv", ranked, "-q"); code != 0 {
		t.Fatalf("predict: exit %d, %s", code, errs)
	}
	var got, want []string
	recs := testfiles.ReadCSV(t, ranked)
	kept := slices.Index(recs[0], "Phone")
	for _, r := range recs[1:] {
		got = append(got, r[1]+" "+r[kept]) // rank, entity_id, ...
	}
	for i := range 400 {
		want = append(want, id(i)+" "+phone(i))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("the call list's ids and phones differ from the export's: %q…, want %q…", got[:4], want[:4])
	}
	plain := filepath.Join(dir, "entities.csv")
	writeLines(t, plain, "\n", "entity_id,Visits,Won", 50, func(i int) string { return fmt.Sprintf("%d,%d,%d", 100+i, i%7, i%2) })
	code, out, errs = runCLI(t, "inspect", "--table", plain, "--label", "Won")
	if code != 0 || !regexp.MustCompile(`entity_id +categorical +text `).MatchString(out) {
		t.Errorf("inspect without --id: exit %d, %s%s", code, out, errs)
	}
}

// TestKeptAsWritten: --keep carries a flat table's columns as the export
// writes them, whatever they read as: a phone number (+15550000699, which
// reads as a number), an amount ("1,699.50") that is also a model input
// and a dd.mm.yyyy date. It holds on a clean file, which is read in
// blocks, on one with a bad row skipped into the quarantine, which is
// read row by row, and for columns looked up in --keep-from by ids that
// read as numbers ("1,000.50").
func TestKeptAsWritten(t *testing.T) {
	dir := t.TempDir()
	const n = 600
	id := func(i int) string { return fmt.Sprintf("%d,%03d.50", 1+i/1000, i%1000) }
	phone := func(i int) string { return fmt.Sprintf("+1555%07d", i) }
	revenue := func(i int) string { return fmt.Sprintf("%d,%03d.50", 1+i%5, 7*i%1000) }
	signed := func(i int) string { return fmt.Sprintf("%02d.%02d.2024", 1+i%28, 1+i%12) }
	path := filepath.Join(dir, "leads.csv")
	writeLines(t, path, "\n", "Lead,Visits,Revenue,Phone,Signed,Won", n, func(i int) string {
		return fmt.Sprintf("%q,%d,%q,%s,%s,%d", id(i), i%7, revenue(i), phone(i), signed(i), (i%7+i%3)%2)
	})
	model := filepath.Join(dir, "model")
	if code, _, errs := runCLI(t, "train", "--table", path, "--label", "Won", "--id", "Lead", "--drop", "Phone,Signed",
		"--model", "lr", "--out", model, "-q"); code != 0 {
		t.Fatalf("train: exit %d, %s", code, errs)
	}
	// The kept columns of the call list, by lead, as "revenue phone signed".
	callList := func(args ...string) map[string]string {
		t.Helper()
		ranked := filepath.Join(dir, "ranked.csv")
		args = append([]string{"predict", "--model", model, "--allow-weak-model", "--keep", "Revenue,Phone,Signed",
			"--out", filepath.Join(dir, "ranked.parquet"), "--csv", ranked, "-q"}, args...)
		if code, _, errs := runCLI(t, args...); code != 0 {
			t.Fatalf("predict %v: exit %d, %s", args, code, errs)
		}
		recs := testfiles.ReadCSV(t, ranked)
		got := map[string]string{}
		for _, r := range recs[1:] {
			var kept []string
			for _, col := range []string{"Revenue", "Phone", "Signed"} {
				kept = append(kept, r[slices.Index(recs[0], col)])
			}
			got[r[1]] = strings.Join(kept, " ")
		}
		return got
	}
	check := func(what string, got map[string]string, skipped int) {
		t.Helper()
		if len(got) != n-1 && skipped >= 0 || len(got) != n && skipped < 0 {
			t.Fatalf("%s: %d leads", what, len(got))
		}
		for i := range n {
			want := revenue(i) + " " + phone(i) + " " + signed(i)
			if g, ok := got[id(i)]; i != skipped && (!ok || g != want) {
				t.Fatalf("%s: lead %s kept %q, want %q", what, id(i), g, want)
			}
		}
	}
	check("clean file", callList("--table", path), -1)

	// A row with a field too many, skipped: the rows after it keep their own
	// cells.
	bad := filepath.Join(dir, "bad.csv")
	rewriteCSV(t, path, bad, func(recs [][]string) [][]string {
		recs[1+250] = append(recs[1+250], "extra")
		return recs
	})
	check("a bad row skipped", callList("--table", bad, "--max-bad-rows", "1"), 250)

	// The same columns looked up by id in an entities file.
	scored := filepath.Join(dir, "scored.csv")
	rewriteCSV(t, path, scored, func(recs [][]string) [][]string {
		for k, r := range recs {
			recs[k] = []string{r[0], r[1], r[2], r[5]} // Lead, Visits, Revenue, Won
		}
		return recs
	})
	ents := filepath.Join(dir, "entities.csv")
	writeLines(t, ents, "\n", "entity_id,Revenue,Phone,Signed", n, func(i int) string {
		return fmt.Sprintf("%q,%q,%s,%s", id(n-1-i), revenue(n-1-i), phone(n-1-i), signed(n-1-i))
	})
	got := callList("--table", scored, "--keep-from", ents)
	for i := range n {
		// Revenue comes from the scored table, where it is also an input.
		if want := revenue(i) + " " + phone(i) + " " + signed(i); got[id(i)] != want {
			t.Fatalf("--keep-from: lead %s kept %q, want %q", id(i), got[id(i)], want)
		}
	}
}

// TestLeadListedTwice: a new-leads export that lists a lead twice stops
// predict at the second row, naming the first, without the advice to
// skip bad rows (which would not skip it); nothing is written.
func TestLeadListedTwice(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "leads.csv")
	writeLines(t, path, "\n", "Lead,Visits,Won", 300, func(i int) string {
		return fmt.Sprintf("L%d,%d,%d", i, i%7, (i%7+i%3)%2)
	})
	model := filepath.Join(dir, "model")
	if code, _, errs := runCLI(t, "train", "--table", path, "--label", "Won", "--id", "Lead", "--model", "lr", "--out", model, "-q"); code != 0 {
		t.Fatalf("train: exit %d, %s", code, errs)
	}
	fresh := filepath.Join(dir, "new.csv")
	writeLines(t, fresh, "\n", "Lead,Visits", 4, func(i int) string { return fmt.Sprintf("N%d,%d", i%3, i) })
	out := filepath.Join(dir, "ranked.parquet")
	code, _, errs := runCLI(t, "predict", "--model", model, "--table", fresh, "--out", out, "--allow-weak-model", "--max-bad-rows", "5", "-q")
	if code != pipeline.ExitBadInput || !strings.Contains(errs, `new.csv:5:1: field "Lead": lead "N0" is listed twice (first in data row 1)`) || strings.Contains(errs, "--max-bad-rows N") {
		t.Errorf("exit %d, %q; want 3 naming line 5 and the first row, no skip hint", code, errs)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a call list was written")
	}
}

// TestRenameTypes: events whose sources spell one type several ways
// stop features (exit 3) with the flags that read them as one; with
// them the table has the type's columns, and rules explain reads the
// file alike. A flag without its type is a usage error.
func TestRenameTypes(t *testing.T) {
	dir := t.TempDir()
	events := filepath.Join(dir, "events.csv")
	writeLines(t, events, "\n", "entity_id,ts,type,value", 90, func(i int) string {
		typ := []string{"Page View", "page view", "RFQ", "Request for Quote"}[i%4]
		return fmt.Sprintf("E%d,2024-05-%02d,%s,", i%9, 1+i%28, typ)
	})
	out := filepath.Join(dir, "f.parquet")
	code, _, errs := runCLI(t, "features", "--events", events, "--as-of", "2024-06-01", "--out", out, "-q")
	if code != pipeline.ExitBadInput || !strings.Contains(errs, `--rename-type "Page View=page_view" --rename-type "page view=page_view"`) {
		t.Fatalf("two spellings: exit %d, %s", code, errs)
	}
	flags := []string{"--rename-type", "Page View=page_view", "--rename-type", "page view=page_view", "--rename-type", "Request for Quote=rfq", "--rename-type", "RFQ=rfq"}
	code, _, errs = runCLI(t, slices.Concat([]string{"features", "--events", events, "--as-of", "2024-06-01", "--out", out, "-q"}, flags)...)
	if code != 0 {
		t.Fatalf("features --rename-type: exit %d, %s", code, errs)
	}
	tb, err := features.ReadTable(context.Background(), features.Source{Path: out}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c := tb.Column("page_view_count_90d"); c == nil || tb.Column("rfq_count_90d") == nil || c.Float[0]+tb.Column("rfq_count_90d").Float[0] != 10 {
		t.Errorf("columns %v", tb.Names())
	}
	code, stdout, errs := runCLI(t, slices.Concat([]string{"rules", "explain", "--events", events, "--entity", "E0", "--as-of", "2024-06-01"}, flags)...)
	if code != 0 || !strings.Contains(stdout, "rfq") || strings.Contains(stdout, "no matching rfq event") {
		t.Errorf("rules explain --rename-type: exit %d, %s%s", code, stdout, errs)
	}
	if code, _, errs := runCLI(t, "features", "--events", events, "--as-of", "2024-06-01", "--out", out, "--rename-type", "Page View"); code != pipeline.ExitUsage || !strings.Contains(errs, "want SPELLING=TYPE") {
		t.Errorf("--rename-type without a type: exit %d, %s", code, errs)
	}
	if code, _, errs := runCLI(t, "features", "--events", events, "--as-of", "2024-06-01", "--out", out, "--rename-type", "RFQ=rfq", "--rename-type", "RFQ=quote"); code != pipeline.ExitUsage || !strings.Contains(errs, `reads "RFQ" as "rfq" and as "quote"`) {
		t.Errorf("--rename-type of one spelling twice: exit %d, %s", code, errs)
	}
}
