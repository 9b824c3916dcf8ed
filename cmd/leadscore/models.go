package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"leadscore/predict/pipeline"
)

func newModelsCmd(g *globalOptions) *cobra.Command {
	cmd := asGroup(&cobra.Command{
		Use:   "models",
		Short: "Work with saved models",
	})
	var model, format, out string
	export := &cobra.Command{
		Use:   "export --model models/NAME --format xgboost-json --out FILE.json",
		Short: "Write a gbdt model in XGBoost's JSON model format",
		Long: `Export writes a gradient-boosted tree model (train --model gbdt) in XGBoost's
JSON model format (binary:logistic, XGBoost 1.7 or later), and beside it
FILE.features.json: the input columns in order, each "q" (numeric) or "c"
(categorical) with its level-to-code mapping. Encode a categorical value by
its code, any other level by other_code, and a missing value as NaN; XGBoost
then predicts the model's probability before calibration (leadscore's
calibration, in model.json, maps it to the probability predict reports).`,
		Example: `  leadscore models export --model models/gbdt --format xgboost-json --out gbdt.xgb.json
  python3 -c "import xgboost; b = xgboost.Booster(); b.load_model('gbdt.xgb.json')"`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if format != "xgboost-json" {
				return pipeline.Usagef("--format %q: want xgboost-json", format)
			}
			m, side, err := pipeline.ExportXGBoost(model, out)
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "wrote %s (%d trees) and %s\n", out, len(m.Trees.Trees), side)
			return nil
		},
	}
	f := export.Flags()
	f.StringVar(&model, "model", "", "model directory or model.json (required)")
	f.StringVar(&format, "format", "xgboost-json", "output format: xgboost-json")
	f.StringVar(&out, "out", "", "file to write (required)")
	cmd.AddCommand(export)
	return cmd
}
