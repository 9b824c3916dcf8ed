package rfm

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/parquet-go/parquet-go"

	"leadscore/features"
)

// WriteParquet writes customers as rfm.parquet (zstd) with parquet-go's
// typed writer; meta goes into the key/value metadata in sorted order.
func WriteParquet(w io.Writer, cs []Customer, meta map[string]string) error {
	pw := parquet.NewGenericWriter[Customer](w, parquet.Compression(&parquet.Zstd), parquet.CreatedBy("leadscore", "", ""))
	for _, k := range slices.Sorted(maps.Keys(meta)) {
		pw.SetKeyValueMetadata(k, meta[k])
	}
	for lo := 0; lo < len(cs); lo += 1 << 16 {
		if _, err := pw.Write(cs[lo:min(lo+1<<16, len(cs))]); err != nil {
			pw.Close()
			return err
		}
	}
	return pw.Close()
}

// ReadParquet reads an rfm.parquet file back.
func ReadParquet(r io.ReaderAt, size int64) ([]Customer, error) {
	return features.ReadParquetStructs[Customer](r, size, "rfm.parquet")
}

// ReadFile reads an rfm.parquet file; a file that is not one is a
// *features.SchemaError.
func ReadFile(path string) ([]Customer, error) {
	return features.ReadFileAt(path, func(r io.ReaderAt, size int64) ([]Customer, error) {
		cs, err := ReadParquet(r, size)
		if err != nil {
			return nil, &features.SchemaError{Path: path, Err: fmt.Errorf("not an rfm.parquet file: %w", err)}
		}
		return cs, nil
	})
}

// Segments maps entity → segment, the form Config.Previous takes.
func Segments(cs []Customer) map[string]string {
	m := make(map[string]string, len(cs))
	for _, c := range cs {
		m[c.EntityID] = c.Segment
	}
	return m
}

// WriteModel writes clv.json.
func WriteModel(w io.Writer, m Model) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(m)
}

// WriteText writes the result for people: what was read, the fitted
// parameters, customers per segment, the churn count, the segment moves
// since a previous run, and the holdout comparison when given.
func (res *Result) WriteText(w io.Writer, holdout []HoldoutRow) error {
	m, st := res.Model, res.Stats
	fmt.Fprintf(w, "%d customers (%d repeat buyers) from %d orders; %d returns and %d orders after the end not used; %d bad rows skipped\n",
		st.Customers, m.RepeatBuyers, st.Orders, st.Returns, st.AfterEnd, st.BadRows)
	fmt.Fprintf(w, "BG/NBD (%s, %s to %s): r=%.4f alpha=%.4f a=%.4f b=%.4f log-likelihood=%.2f\n",
		m.TimeUnit, m.WindowStart, m.WindowEnd, m.R, m.Alpha, m.A, m.B, m.LogLikelihood)
	if m.GammaGammaFitted {
		fmt.Fprintf(w, "Gamma-Gamma: p=%.4f q=%.4f v=%.4f (spend-frequency correlation %.3f)\n", m.P, m.Q, m.V, m.SpendFrequencyCorrelation)
	}
	counts := map[string]int{}
	churn := 0
	for _, c := range res.Customers {
		counts[c.Segment]++
		if c.ChurnRisk {
			churn++
		}
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nSEGMENT\tCUSTOMERS")
	for _, s := range slices.Sorted(maps.Keys(counts)) {
		fmt.Fprintf(tw, "%s\t%d\n", s, counts[s])
	}
	tw.Flush()
	fmt.Fprintf(w, "churn risk: %d customers\n", churn)
	if len(res.Transitions) > 0 {
		fmt.Fprintln(w, "\nSegment transitions since the previous run:")
		tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "FROM\tTO\tCUSTOMERS")
		keys := make([][2]string, 0, len(res.Transitions))
		for k := range res.Transitions {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b [2]string) int { return strings.Compare(a[0]+"\x00"+a[1], b[0]+"\x00"+b[1]) })
		for _, k := range keys {
			fmt.Fprintf(tw, "%s\t%s\t%d\n", k[0], k[1], res.Transitions[k])
		}
		tw.Flush()
	}
	if holdout != nil {
		fmt.Fprintln(w, "\nHoldout: predicted vs actual repeat purchases")
		tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CALIBRATION X\tCUSTOMERS\tPREDICTED\tACTUAL")
		for _, v := range holdout {
			fmt.Fprintf(tw, "%s\t%d\t%.1f\t%d\n", v.Group, v.Customers, v.Predicted, v.Actual)
		}
		tw.Flush()
	}
	return nil
}
