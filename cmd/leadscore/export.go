package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"leadscore/features"
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
			if in == "" || out == "" {
				return usageErrorf("--in and --out are required")
			}
			return exportCSV(c, in, out, g)
		},
	}
	cmd.Flags().StringVar(&in, "in", "", "Parquet file to read (required)")
	cmd.Flags().StringVar(&out, "out", "", "CSV file to write (required)")
	return cmd
}

func exportCSV(c *cobra.Command, in, out string, g *globalOptions) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	t, err := features.ReadParquetTable(c.Context(), f, in)
	if err != nil {
		return err
	}
	if err := pipeline.WriteFile(out, t.WriteCSV, in); err != nil {
		return err
	}
	if g != nil {
		fmt.Fprintf(g.stdout, "wrote %s: %d rows, %d columns\n", out, t.NumRows(), len(t.Columns))
	}
	return nil
}
