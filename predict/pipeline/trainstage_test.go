package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"leadscore/datasets"
	"leadscore/features"
	"leadscore/features/testfiles"
	"leadscore/predict"
	"leadscore/train"
)

// generate writes a generated CRM (events, entities, deals) as CSV to dir.
func generate(t *testing.T, dir string, entities int, seed uint64) {
	t.Helper()
	if err := datasets.GenerateDir(context.Background(), dir, datasets.Config{Entities: entities, Seed: seed}); err != nil {
		t.Fatal(err)
	}
}

// runAt runs the pipeline of cfgPath as of date and returns its manifest.
func runAt(t *testing.T, cfgPath, date string) *Manifest {
	t.Helper()
	man, err := tryRunAt(t, cfgPath, date)
	if err != nil {
		t.Fatal(err)
	}
	return man
}

// tryRunAt is runAt for a run that may fail: its error is returned (a
// configuration that does not load fails the test).
func tryRunAt(t *testing.T, cfgPath, date string) (*Manifest, error) {
	t.Helper()
	cfg, raw, err := LoadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), cfg, raw, Options{AsOf: day(date)})
	if err != nil {
		return nil, err
	}
	return res.Manifest, nil
}

// TestRunTrains: a run with a train: section trains on snapshots before its
// as-of date and scores with that model; what happened on or after the
// date (deals opened, outcomes learned) does not change the model; a later
// run within the retrain period reuses it.
func TestRunTrains(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	dir := t.TempDir()
	generate(t, dir, 3000, 5)
	yaml := func(out, deals, extra string) string {
		p := filepath.Join(dir, out+".yaml")
		os.WriteFile(p, []byte("out: "+out+"\nevents: {path: events.csv}\nentities: {path: entities.csv}\ndeals: {path: "+deals+"}\nrules: default\n"+
			"train: {target: conversion, horizon: 90d, snapshots: monthly, model: gbdt"+extra+"}\n"), 0o644)
		return p
	}
	man := runAt(t, yaml("a", "deals.csv", ", retrain: 60d"), "2024-07-01")
	if man.ModelTrainedAsOf != "2024-07-01" || man.Rows["training"] == 0 {
		t.Fatalf("manifest %+v: want a model trained as of 2024-07-01 on snapshot rows", man)
	}
	m, err := predict.ReadFile(filepath.Join(dir, "a", "2024-07-01", "model", "model.json"))
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != man.ModelID || m.Target == nil || m.Target.Kind != features.TargetConversion || m.Target.HorizonDays != 90 {
		t.Errorf("model %s target %+v, manifest model %s", m.ID, m.Target, man.ModelID)
	}

	// Flip every outcome not known before the as-of date: deals opened on
	// or after it, and deals closed on or after it.
	future := rewriteDeals(t, filepath.Join(dir, "deals.csv"), filepath.Join(dir, "future.csv"), day("2024-07-01"))
	if future == 0 {
		t.Fatal("no deal to flip")
	}
	if got := runAt(t, yaml("b", "future.csv", ""), "2024-07-01"); got.ModelID != man.ModelID {
		t.Errorf("flipping %d outcomes unknown on the as-of date changed the model: %s, was %s", future, got.ModelID, man.ModelID)
	}

	if len(man.Warnings) != 0 {
		t.Errorf("a healthy run warns: %v", man.Warnings)
	}
	// Page views tripled, scored with the same model: the drift is named.
	tripled := filepath.Join(dir, "tripled.csv")
	raw, err := os.ReadFile(filepath.Join(dir, "events.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	for _, line := range strings.SplitAfter(string(raw), "\n") {
		out = append(out, line...)
		if strings.Contains(line, ",page_view,") {
			out = append(append(out, line...), line...)
		}
	}
	os.WriteFile(tripled, out, 0o644)
	shifted := filepath.Join(dir, "shifted.yaml")
	os.WriteFile(shifted, []byte("out: s\nevents: {path: tripled.csv}\nentities: {path: entities.csv}\ndeals: {path: deals.csv}\nrules: default\n"+
		"model: a/2024-07-01/model/model.json\n"), 0o644)
	if w := runAt(t, shifted, "2024-07-01").Warnings; !slices.ContainsFunc(w, func(s string) bool { return strings.Contains(s, "drifted: page_view") }) {
		t.Errorf("page views tripled: warnings %v, want the page-view inputs named", w)
	}

	later := runAt(t, yaml("a", "deals.csv", ", retrain: 60d"), "2024-08-01")
	if later.ModelID != man.ModelID || later.ModelTrainedAsOf != "2024-07-01" {
		t.Errorf("a run a month later: model %s trained as of %s, want the reused %s of 2024-07-01", later.ModelID, later.ModelTrainedAsOf, man.ModelID)
	}
	if _, err := os.Stat(filepath.Join(dir, "a", "2024-08-01", "model", "model.json")); err != nil {
		t.Errorf("the reused model is not in the run folder: %v", err)
	}
	// The later run continues the earlier one's call list.
	ranked, err := predict.ReadRankedFile(filepath.Join(dir, "a", "2024-08-01", "ranked.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	compared, drops, named := 0, 0, 0
	for _, r := range ranked {
		if r.PreviousScore != nil {
			compared++
		}
		if r.ScoreChange != nil && *r.ScoreChange <= -15 {
			drops++
			if strings.Contains(r.Change, "moved: ") {
				named++
			}
		}
	}
	if later.PreviousRun != "2024-07-01" || compared == 0 {
		t.Errorf("previous run %q, %d leads compared", later.PreviousRun, compared)
	}
	// The previous run's features say what moved for a lead that fell.
	if drops == 0 || named == 0 {
		t.Errorf("%d leads dropped 15 points or more, %d name the inputs that moved", drops, named)
	}
	if _, err := os.Stat(filepath.Join(dir, "a", "2024-08-01", "calllist.html")); err != nil {
		t.Errorf("no calllist.html: %v", err)
	}
	// An engine that computes rows entity by entity (as leadscore-beam
	// does) writes the same files.
	checkEntityEngine(t, dir, "a/2024-07-01/model/model.json", "2024-08-01")
}

// rewriteDeals copies a deals file, flipping won for every deal opened or
// closed on or after d, and returns how many it flipped.
func rewriteDeals(t *testing.T, from, to string, d time.Time) int {
	t.Helper()
	recs := testfiles.ReadCSV(t, from)
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	flipped := 0
	for _, r := range recs[1:] {
		opened, _ := features.ParseTime(r[col["ts"]])
		closed, cerr := features.ParseTime(r[col["closed_at"]])
		if r[col["won"]] != "" && (!opened.Before(d) || cerr == nil && !closed.Before(d)) {
			if r[col["won"]] == "true" {
				r[col["won"]] = "false"
			} else {
				r[col["won"]] = "true"
			}
			flipped++
		}
	}
	testfiles.WriteCSV(t, to, recs)
	return flipped
}

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// TestRunLeak: an opportunity model trained with an entities export taken
// on the run's date, whose lifecycle field says "customer" for a contact
// whose (one) deal was won. The run stops, exit 3, naming the field and
// pipeline.yaml's keys; train: drop leaves it out, allow_leaks keeps it,
// and a name that is no column is a usage error.
func TestRunLeak(t *testing.T) {
	if testing.Short() {
		t.Skip("trains models")
	}
	dir := t.TempDir()
	generate(t, dir, 2000, 7)
	read := func(name string) [][]string { return testfiles.ReadCSV(t, filepath.Join(dir, name)) }
	write := func(name string, recs [][]string) { testfiles.WriteCSV(t, filepath.Join(dir, name), recs) }
	// Each contact's first deal; "customer" when it closed won before the
	// run's date.
	const date = "2024-07-01"
	asOf := day(date)
	deals, won := read("deals.csv")[:1], map[string]bool{}
	for _, r := range read("deals.csv")[1:] { // deal_id,entity_id,ts,won,closed_at,amount
		if _, dup := won[r[1]]; dup {
			continue
		}
		closed, err := features.ParseTime(r[4])
		won[r[1]] = r[3] == "true" && err == nil && closed.Before(asOf)
		deals = append(deals, r)
	}
	write("first.csv", deals)
	ents := read("entities.csv")
	ents[0] = append(ents[0], "lifecycle")
	for i, r := range ents[1:] {
		ents[i+1] = append(r, map[bool]string{true: "customer", false: "lead"}[won[r[0]]])
	}
	write("lifecycle.csv", ents)
	var man *Manifest
	run := func(name, extra string) error {
		p := filepath.Join(dir, name+".yaml")
		os.WriteFile(p, []byte("out: "+name+"\nevents: {path: events.csv}\nentities: {path: lifecycle.csv}\ndeals: {path: first.csv}\n"+
			"train: {target: opportunity, model: lr"+extra+"}\n"), 0o644)
		var err error
		man, err = tryRunAt(t, p, date)
		return err
	}
	err := run("leak", "")
	if le := (*train.LeakError)(nil); !errors.As(err, &le) || ExitCode(context.Background(), err) != ExitBadInput ||
		!strings.Contains(err.Error(), "lifecycle (AUC 1.000)") || !strings.Contains(err.Error(), "pipeline.yaml, train: drop: [lifecycle]") {
		t.Fatalf("err %v: want a leak naming lifecycle and pipeline.yaml's keys, exit 3", err)
	}
	features := func(out string) []string {
		m, err := predict.ReadFile(filepath.Join(dir, out, "2024-07-01", "model", "model.json"))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range m.Features {
			names = append(names, f.Name)
		}
		return names
	}
	for _, tc := range []struct {
		key  string
		kept bool
	}{{"drop", false}, {"allow_leaks", true}} {
		if err := run(tc.key, ", "+tc.key+": [lifecycle]"); err != nil {
			t.Fatalf("%s: %v", tc.key, err)
		}
		if got := slices.Contains(features(tc.key), "lifecycle"); got != tc.kept {
			t.Errorf("%s: lifecycle a feature: %v, want %v", tc.key, got, tc.kept)
		}
		// The training stage's warning reaches the manifest.
		warned := slices.ContainsFunc(man.Warnings, func(w string) bool {
			return strings.HasPrefix(w, "training: kept as a feature") && strings.Contains(w, "column=lifecycle")
		})
		if warned != tc.kept {
			t.Errorf("%s: warnings %q: want the kept leak named: %v", tc.key, man.Warnings, tc.kept)
		}
	}
	if err := run("typo", ", drop: [lifecylce]"); ExitCode(context.Background(), err) != ExitUsage || !strings.Contains(err.Error(), `"lifecylce"`) {
		t.Errorf("a dropped name that is no column: %v", err)
	}
}

// TestRunOpportunity: an opportunity run trains on what it scores, the
// deals open on a date: one row per deal and monthly snapshot date of the
// year before the run on which it was open, for the deals closed before
// the run (counted here from the deals file), validated on deals it did
// not train on; the healthy run warns of no drift.
func TestRunOpportunity(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	dir := t.TempDir()
	generate(t, dir, 3000, 5)
	p := filepath.Join(dir, "opp.yaml")
	os.WriteFile(p, []byte("out: o\nevents: {path: events.csv}\nentities: {path: entities.csv}\ndeals: {path: deals.csv}\nrules: default\n"+
		"train: {target: opportunity, model: lr}\n"), 0o644)
	man := runAt(t, p, "2024-07-01")

	asOf, want, open := day("2024-07-01"), 0, 0
	for _, r := range testfiles.ReadCSV(t, filepath.Join(dir, "deals.csv"))[1:] { // deal_id,entity_id,ts,won,closed_at,amount
		opened, _ := features.ParseTime(r[2])
		closed, err := features.ParseTime(r[4])
		for m := 12; m >= 1; m-- {
			d := asOf.AddDate(0, -m, 0)
			if opened.Before(d) && err == nil && !closed.Before(d) && closed.Before(asOf) {
				want++
			}
		}
		if opened.Before(asOf) && (err != nil || !closed.Before(asOf)) {
			open++
		}
	}
	if man.Rows["training"] != want || man.Rows["ranked"] != open {
		t.Errorf("training rows %d, ranked %d; want %d deal-dates and the %d deals open on the date", man.Rows["training"], man.Rows["ranked"], want, open)
	}
	m, err := predict.ReadFile(filepath.Join(dir, "o", "2024-07-01", "model", "model.json"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Target == nil || m.Target.Kind != features.TargetOpportunity || !strings.Contains(m.Metrics.Split, "of deal_row values that validate") {
		t.Errorf("target %+v, split %q: want an opportunity model validated on deals it did not train on", m.Target, m.Metrics.Split)
	}
	if len(man.Warnings) != 0 {
		t.Errorf("a healthy opportunity run warns: %v", man.Warnings)
	}
}

// TestRunEntityDates: an entities export with a contact's creation date
// and its last activity as exported on the run's day. The run's model
// takes the creation date as its age before each snapshot date (not a
// category per date), says in the manifest that the last activity falls
// after most training rows' dates (a leak), and a table built and a
// model trained apart from the run (leadscore features, train --table,
// predict --features) score alike.
func TestRunEntityDates(t *testing.T) {
	if testing.Short() {
		t.Skip("trains models")
	}
	dir := t.TempDir()
	generate(t, dir, 1500, 11)
	first, last := map[string]time.Time{}, map[string]time.Time{}
	for _, r := range testfiles.ReadCSV(t, filepath.Join(dir, "events.csv"))[1:] { // entity_id,ts,...
		ts, err := features.ParseTime(r[1])
		if err != nil {
			t.Fatal(err)
		}
		if f, ok := first[r[0]]; !ok || ts.Before(f) {
			first[r[0]] = ts
		}
		if l := last[r[0]]; ts.After(l) {
			last[r[0]] = ts
		}
	}
	ents := testfiles.ReadCSV(t, filepath.Join(dir, "entities.csv"))
	ents[0] = append(ents[0], "Create Date", "Last Activity")
	for i, r := range ents[1:] {
		created, seen := "", ""
		if f, ok := first[r[0]]; ok {
			created, seen = f.AddDate(0, 0, -3).Format("02.01.2006 15:04"), last[r[0]].Format("02.01.2006")
		}
		ents[i+1] = append(r, created, seen)
	}
	testfiles.WriteCSV(t, filepath.Join(dir, "dated.csv"), ents)
	p := filepath.Join(dir, "p.yaml")
	os.WriteFile(p, []byte("out: runs\nevents: {path: events.csv}\nentities: {path: dated.csv}\ndeals: {path: deals.csv}\n"+
		"train: {target: conversion, horizon: 90d, model: lr}\n"), 0o644)
	man := runAt(t, p, "2024-07-01")
	m, err := predict.ReadFile(filepath.Join(dir, "runs", "2024-07-01", "model", "model.json"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range m.Features {
		names = append(names, f.Name)
	}
	if !slices.Contains(names, "Create Date_days_before_ts") || slices.Contains(names, "Create Date") {
		t.Errorf("the run's model features %q: want the creation date's age, not the date", names)
	}
	if !slices.ContainsFunc(man.Warnings, func(w string) bool {
		return strings.HasPrefix(w, "training: a date falls after the time column on most rows") && strings.Contains(w, "(train: drop: [Last Activity])") && strings.Contains(w, "column=Last Activity")
	}) {
		t.Errorf("warnings %q: want the last activity named", man.Warnings)
	}

	snap, today := filepath.Join(dir, "snap.parquet"), filepath.Join(dir, "today.parquet")
	ctx := context.Background()
	if _, _, err := (&FeaturesJob{Events: filepath.Join(dir, "events.csv"), Entities: filepath.Join(dir, "dated.csv"), Snapshots: "monthly",
		First: "2023-07-01", Last: "2024-07-01", Horizon: "90d", Outcomes: filepath.Join(dir, "deals.csv"), Out: snap}).Run(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := (&TrainJob{Features: snap, Model: "lr", Config: train.Config{Label: "converted", Drop: []string{"Last Activity"}}, Out: filepath.Join(dir, "model")}).Run(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := (&FeaturesJob{Events: filepath.Join(dir, "events.csv"), Entities: filepath.Join(dir, "dated.csv"), AsOf: "2024-07-01",
		Model: filepath.Join(dir, "model"), Out: today}).Run(ctx); err != nil {
		t.Fatal(err)
	}
	ranked, _, err := (&PredictJob{Model: filepath.Join(dir, "model"), Features: today, Out: filepath.Join(dir, "r.parquet")}).Run(ctx)
	if err != nil || len(ranked) == 0 {
		t.Fatalf("predict --features on a table with dates: %d leads, %v", len(ranked), err)
	}
}
