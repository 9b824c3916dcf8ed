package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"leadscore/features"
)

// TestJobsRefuseBadSettings: each command's job turns a bad or missing
// setting into a usage error (exit code 2) that names it, before any
// output exists.
func TestJobsRefuseBadSettings(t *testing.T) {
	dir := t.TempDir()
	events := filepath.Join(dir, "events.csv")
	if err := os.WriteFile(events, []byte("entity_id,ts,type\nE1,2024-01-02,email_open\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.parquet")
	ctx := context.Background()
	for _, tc := range []struct {
		name, want string
		run        func() error
	}{
		{"features: two modes", "give exactly one of --as-of, --cutoffs and --snapshots", func() error {
			_, _, err := (&FeaturesJob{Events: events, AsOf: "2024-02-01", Snapshots: "monthly", Out: out}).Run(ctx)
			return err
		}},
		{"features: snapshots without outcomes", "--snapshots needs --outcomes", func() error {
			_, _, err := (&FeaturesJob{Events: events, Snapshots: "monthly", First: "2024-01-01", Last: "2024-06-01", Out: out}).Run(ctx)
			return err
		}},
		{"features: opportunity with a horizon", "--horizon, --exclude-customers", func() error {
			_, _, err := (&FeaturesJob{Events: events, Snapshots: "monthly", First: "2024-01-01", Last: "2024-06-01", Outcomes: events,
				Target: "opportunity", Horizon: "90d", Out: out}).Run(ctx)
			return err
		}},
		{"features: unknown target", `--target "opp"`, func() error {
			_, _, err := (&FeaturesJob{Events: events, AsOf: "2024-02-01", Target: "opp", Out: out}).Run(ctx)
			return err
		}},
		{"features: share of negatives", "--sample-negatives 1.5", func() error {
			_, _, err := (&FeaturesJob{Events: events, Snapshots: "monthly", First: "2024-01-01", Last: "2024-06-01", Outcomes: events,
				SampleNegatives: 1.5, Out: out}).Run(ctx)
			return err
		}},
		{"features: bad horizon", "--horizon: ", func() error {
			_, _, err := (&FeaturesJob{Events: events, AsOf: "2024-02-01", Horizon: "ninety", Out: out}).Run(ctx)
			return err
		}},
		{"features: bad date", "--as-of: ", func() error {
			_, _, err := (&FeaturesJob{Events: events, AsOf: "2024-13-01", Out: out}).Run(ctx)
			return err
		}},
		{"features: first after last", "no snapshot date from 2024-07-01 whose 90-day horizon ends by 2024-01-01", func() error {
			deals := filepath.Join(dir, "deals.csv")
			os.WriteFile(deals, []byte("entity_id,ts,won\nE1,2024-01-05,true\n"), 0o644)
			_, _, err := (&FeaturesJob{Events: events, Snapshots: "monthly", First: "2024-07-01", Last: "2024-01-01", Outcomes: deals, Out: out}).Run(ctx)
			return err
		}},
		{"features: bad column mapping", "--col \"entity_id\"", func() error {
			j := &FeaturesJob{Events: events, AsOf: "2024-02-01", Out: out}
			j.Columns = []string{"entity_id"}
			_, _, err := j.Run(ctx)
			return err
		}},
		{"predict: no rows", "give exactly one of --features and --table", func() error {
			_, _, err := (&PredictJob{Model: dir, Out: out}).Run(ctx)
			return err
		}},
		{"train: unknown model", "--model \"svm\"", func() error {
			_, err := (&TrainJob{Features: events, Model: "svm", Out: filepath.Join(dir, "m")}).Run(ctx, nil)
			return err
		}},
		{"rfm: two ends", "give exactly one of --as-of and --observation-end", func() error {
			_, _, err := (&RFMJob{Orders: events, AsOf: "2024-02-01", ObservationEnd: "2024-02-01", Out: out}).Run(ctx)
			return err
		}},
		{"evaluate: bad target", "--target \"churn\"", func() error {
			_, err := (&EvaluateJob{Ranked: out, Deals: events, Target: "churn", Horizon: "90d"}).Run(ctx, nil)
			return err
		}},
		{"report: bad horizon", "--horizon: ", func() error {
			_, err := (&ReportJob{Runs: dir, Deals: events, Horizon: "soon"}).Run(ctx)
			return err
		}},
	} {
		err := tc.run()
		if code := ExitCode(ctx, err); code != ExitUsage {
			t.Errorf("%s: exit code %d (%v), want %d", tc.name, code, err, ExitUsage)
			continue
		}
		if got := err.Error(); len(got) < len(tc.want) || got[:len(tc.want)] != tc.want {
			t.Errorf("%s: %q, want it to start %q", tc.name, got, tc.want)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Fatalf("%s: %s exists", tc.name, out)
		}
	}
}

// TestFeaturesJobFingerprints: the table records each input's name, size
// and SHA-256 as Fingerprint reads them, whether the events file was
// hashed while it was read (one CSV file, also one with a quote out of
// place, which the sequential reader quarantines) or on its own (Parquet,
// a pattern of files, a CSV file whose reading stopped short).
func TestFeaturesJobFingerprints(t *testing.T) {
	dir := t.TempDir()
	var sb strings.Builder
	sb.WriteString("entity_id,ts,type,value\n")
	for i := range 5000 {
		fmt.Fprintf(&sb, "E%03d,2024-01-%02d 10:00:00,page_view,%d\n", i%90, 1+i%28, i)
	}
	text := sb.String()
	broken := strings.Replace(text, "E007,", "E0\"07,", 1)
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("part-1.csv", text[:strings.Index(text, "\nE050")+1])
	write("part-2.csv", "entity_id,ts,type,value\n"+text[strings.Index(text, "\nE050")+1:])
	ctx := context.Background()
	for _, tc := range []struct{ name, events string }{
		{"one CSV file", write("events.csv", text)},
		{"a CSV file with a bad quote", write("broken.csv", broken)},
		{"a pattern of CSV files", filepath.Join(dir, "part-*.csv")},
		{"Parquet", "../../datasets/sample/events.parquet"},
	} {
		out := filepath.Join(dir, "features.parquet")
		j := &FeaturesJob{Events: tc.events, AsOf: "2024-02-01", Out: out}
		j.MaxBadRows = 10
		if _, _, err := j.Run(ctx); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		f, err := os.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		tbl, err := features.ReadParquetTable(ctx, f, out)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		want, err := Fingerprint(tc.events)
		if err != nil {
			t.Fatal(err)
		}
		if got := tbl.Meta[features.MetaInputPrefix+"events"]; got != want {
			t.Errorf("%s: events recorded as %q, want %q", tc.name, got, want)
		}
		if got, err := digestFingerprint(tc.events, &features.Digest{}); got != want || err != nil {
			t.Errorf("%s: from a digest that saw nothing: %q, %v; want %q", tc.name, got, err, want)
		}
	}
}
