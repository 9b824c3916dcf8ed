package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"testing"
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
		{"features: bad horizon", "--horizon: ", func() error {
			_, _, err := (&FeaturesJob{Events: events, AsOf: "2024-02-01", Horizon: "ninety", Out: out}).Run(ctx)
			return err
		}},
		{"features: bad date", "--as-of: ", func() error {
			_, _, err := (&FeaturesJob{Events: events, AsOf: "2024-13-01", Out: out}).Run(ctx)
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
