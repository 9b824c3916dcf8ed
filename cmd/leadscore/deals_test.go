package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"leadscore/features"
	"leadscore/features/testfiles"
	"leadscore/predict"
	"leadscore/predict/pipeline"
)

// TestOpenDealsOfAccounts follows a B2B export, where an account has
// several deals open at once, through the opportunity commands: the
// call list names each deal (deal_id, deal_opened), and evaluate judges
// each row by its own deal, not by whether any deal of the account was
// won. It also checks what such an export needs: a deals file without
// close times cannot give training rows (exit 3, naming closed_at), and
// a conversion target without --horizon takes 90 days.
func TestOpenDealsOfAccounts(t *testing.T) {
	dir := t.TempDir()
	at := func(name string) string { return filepath.Join(dir, name) }
	// 60 accounts: the first 20 meet often and win both their deals, the
	// next 20 meet rarely and lose both, the last 20 win one and lose the
	// other. Each account's two deals open in January and close in May
	// or June 2024; the last account's are still open.
	const accounts = 60
	start := time.Date(2023, 3, 1, 0, 0, 0, 0, time.UTC)
	var events []string
	for a := range accounts {
		meetings := []int{9, 1, 4}[a/20]
		for k := range 480 / 7 {
			typ := "visit"
			if k%(10/meetings+1) == 0 {
				typ = "meeting"
			}
			events = append(events, fmt.Sprintf("A%02d,%s,%s", a, start.AddDate(0, 0, 7*k+a%7).Format(time.DateOnly), typ))
		}
	}
	writeLines(t, at("events.csv"), "\n", "entity_id,ts,type", len(events), func(i int) string { return events[i] })
	stage := func(a, k int) string {
		switch {
		case a == accounts-1:
			return "Engaging"
		case a < 20 || a >= 40 && k == 0:
			return "Won"
		}
		return "Lost"
	}
	writeLines(t, at("deals.csv"), "\r\n", "Opportunity,Account,Stage,Engaged,Closed,Value", 2*accounts, func(i int) string {
		a, k := i/2, i%2
		opened := time.Date(2024, 1, 3+a%20+k, 0, 0, 0, 0, time.UTC)
		closed := ""
		if s := stage(a, k); s != "Engaging" {
			closed = time.Date(2024, 5, 10+a%15+10*k, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
		}
		return fmt.Sprintf("OP-%03d,A%02d,%s,%s,%s,%d", i, a, stage(a, k), opened.Format(time.DateOnly), closed, 1000*(i+1))
	})
	deals := []string{"--outcomes", at("deals.csv"), "--outcomes-col", "deal_id=Opportunity", "--outcomes-col", "entity_id=Account",
		"--outcomes-col", "ts=Engaged", "--outcomes-col", "won=Stage", "--outcomes-col", "amount=Value", "--won", "Won", "--lost", "Lost"}

	code, _, errs := runCLI(t, append([]string{"features", "--events", at("events.csv"), "--snapshots", "monthly", "--first", "2023-07-01",
		"--last", "2024-07-01", "--target", "opportunity", "--out", at("opp.parquet"), "-q"}, deals...)...)
	if _, err := os.Stat(at("opp.parquet")); code != pipeline.ExitBadInput || !strings.Contains(errs, "no closed_at column") || err == nil {
		t.Fatalf("training rows from deals without close times: exit %d, %q", code, errs)
	}
	deals = append(deals, "--outcomes-col", "closed_at=Closed")
	for _, args := range [][]string{
		append([]string{"features", "--events", at("events.csv"), "--snapshots", "monthly", "--first", "2023-07-01", "--last", "2024-07-01",
			"--target", "opportunity", "--out", at("opp.parquet")}, deals...),
		{"train", "--features", at("opp.parquet"), "--out", at("model")},
		append([]string{"features", "--events", at("events.csv"), "--as-of", "2024-04-01", "--model", at("model"), "--out", at("open.parquet")}, deals...),
		{"predict", "--model", at("model"), "--features", at("open.parquet"), "--out", at("ranked.parquet"), "--csv", at("ranked.csv"), "--html", at("ranked.html"),
			"--keep", "deal_amount", "--allow-weak-model"},
		{"evaluate", "--ranked", at("ranked.parquet"), "--model", at("model"), "--deals", at("deals.csv"), "--out", at("e.json"),
			"--col", "deal_id=Opportunity", "--col", "entity_id=Account", "--col", "ts=Engaged", "--col", "won=Stage", "--col", "closed_at=Closed",
			"--won", "Won", "--lost", "Lost"},
	} {
		if code, _, errs := runCLI(t, append(args, "-q")...); code != 0 {
			t.Fatalf("%s: exit %d: %s", args[0], code, errs)
		}
	}

	// inspect takes the training table as train does: its target's label,
	// the snapshot date as the time column.
	code, out, errs := runCLI(t, "inspect", "--table", at("opp.parquet"))
	if code != 0 || !regexp.MustCompile(`(?m)^ts +time .* time +orders the rows`).MatchString(out) || !regexp.MustCompile(`(?m)^won +\S+ .* label +the outcome`).MatchString(out) {
		t.Errorf("inspect of the training table: exit %d, %s%s", code, out, errs)
	}

	// Every deal open on 2024-04-01 is a row of its own, named, with its
	// amount when asked for; the amount is no feature.
	recs := testfiles.ReadCSV(t, at("ranked.csv"))
	if !slices.Equal(recs[0][:4], []string{"rank", "entity_id", "deal_id", "deal_opened"}) || recs[0][len(recs[0])-1] != "deal_amount" {
		t.Fatalf("ranked.csv header %v", recs[0])
	}
	m, err := predict.ReadFile(at("model"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range m.Features {
		if strings.HasPrefix(f.Name, "deal_") {
			t.Errorf("the model learns from %s, a column that names the deal", f.Name)
		}
	}
	seen := map[string]bool{}
	for _, r := range recs[1:] {
		i := 0
		fmt.Sscanf(r[2], "OP-%03d", &i)
		want := time.Date(2024, 1, 3+i/2%20+i%2, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
		if seen[r[2]] || r[1] != fmt.Sprintf("A%02d", i/2) || r[3] != want || r[len(r)-1] != fmt.Sprint(1000*(i+1)) {
			t.Errorf("row %v … %s: want each deal once, its account A%02d, opened %s, amount %d", r[:4], r[len(r)-1], i/2, want, 1000*(i+1))
		}
		seen[r[2]] = true
	}
	if len(seen) != 2*accounts {
		t.Errorf("%d deals listed, want the %d open on the date", len(seen), 2*accounts)
	}
	if page, _ := os.ReadFile(at("ranked.html")); !strings.Contains(string(page), "deal OP-001, opened 2024-01-04") {
		t.Error("the HTML call list does not name the deals")
	}
	// Judged deal by deal: 60 won (both of the first 20 accounts', one
	// of the last 20's), not the 80 of the accounts with a won deal.
	var ev struct{ Rows, Positives int }
	b, err := os.ReadFile(at("e.json"))
	if err != nil || json.Unmarshal(b, &ev) != nil || ev.Rows != 2*accounts || ev.Positives != 2*20+19 {
		t.Errorf("evaluation %+v (%v): want %d rows, %d won", ev, err, 2*accounts, 2*20+19)
	}

	// In December only the last account's deals are open, for eleven
	// months: more than twice as long as nearly all deals the model
	// learned from, and said so.
	if m.Training.DealAgeDays < 90 || m.Training.DealAgeDays > 160 {
		t.Errorf("99%% of the deals the model learned from were open up to %.0f days, want 90-160", m.Training.DealAgeDays)
	}
	for _, args := range [][]string{
		append([]string{"features", "--events", at("events.csv"), "--as-of", "2024-12-01", "--model", at("model"), "--out", at("dec.parquet")}, deals...),
		{"predict", "--model", at("model"), "--features", at("dec.parquet"), "--out", at("dec-ranked.parquet"), "--allow-weak-model"},
	} {
		if code, _, errs := runCLI(t, append(args, "-q")...); code != 0 {
			t.Fatalf("%s: exit %d: %s", args[0], code, errs)
		}
	}
	var dec struct {
		Rows       int
		OlderDeals int `json:"older_deals"`
	}
	if b, err := os.ReadFile(at("dec-ranked.summary.json")); err != nil || json.Unmarshal(b, &dec) != nil || dec.Rows != 2 || dec.OlderDeals != 2 {
		t.Errorf("December's list: %+v (%v), want its 2 deals counted as older than those trained on", dec, err)
	}

	// Contacts' conversion rows: --horizon may be left out (90 days).
	code, _, errs = runCLI(t, append([]string{"features", "--events", at("events.csv"), "--snapshots", "monthly", "--first", "2023-07-01",
		"--last", "2024-07-01", "--out", at("conv.parquet"), "-q"}, deals...)...)
	if code != 0 {
		t.Fatalf("conversion rows without --horizon: exit %d: %s", code, errs)
	}
	f, err := os.Open(at("conv.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tb, err := features.ReadParquetTable(context.Background(), f, f.Name())
	if err != nil {
		t.Fatal(err)
	}
	if tg, err := tb.Target(); err != nil || tg == nil || tg.Kind != features.TargetConversion || tg.HorizonDays != 90 {
		t.Errorf("target %+v (%v), want conversion within 90 days", tg, err)
	}
}
