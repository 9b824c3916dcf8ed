package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"leadscore/predict/pipeline"
)

func newExportCmd(g *globalOptions) *cobra.Command {
	var in, out string
	cmd := &cobra.Command{
		Use:   "export --in FILE.parquet --out FILE.csv",
		Short: "Write a Parquet file (features, rfm, ranked) as CSV",
		Long: `Export reads any Parquet file leadscore writes (feature tables, rfm.parquet,
ranked.parquet), or any other Parquet file, and writes it as CSV with a
header: for spreadsheets and for Python without pyarrow.`,
		Example: "  leadscore export --in leadscore-demo/rfm.parquet --out rfm.csv",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			t, err := pipeline.ExportCSV(c.Context(), in, out)
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "wrote %s: %d rows, %d columns\n", out, t.NumRows(), len(t.Columns))
			return nil
		},
	}
	cmd.Flags().StringVar(&in, "in", "", "Parquet file to read (required)")
	cmd.Flags().StringVar(&out, "out", "", "CSV file to write (required)")
	return cmd
}
