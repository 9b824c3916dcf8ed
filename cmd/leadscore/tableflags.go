package main

import (
	"os"
	"strings"

	"github.com/spf13/cobra"

	"leadscore/features"
	"leadscore/predict"
)

// tableFlags are how train, predict and inspect read a flat table
// (--table): its separator, missing-value markers, and the formats of its
// numbers and dates when detection cannot tell.
type tableFlags struct {
	sep        string
	na         []string
	timeFormat string
	numbers    []string
}

func (tf *tableFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&tf.sep, "sep", ",", "CSV field separator for --table")
	f.StringSliceVar(&tf.na, "na", nil, "values that mean missing, such as Select (comma-separated)")
	f.StringVar(&tf.timeFormat, "time-format", "", "how --table writes dates: dd.mm.yyyy, mm/dd/yyyy HH:MM, ... or a Go layout (default: ISO 8601 or detected)")
	f.StringArrayVar(&tf.numbers, "number-format", nil, "COLUMN=FORMAT for a column whose numbers detection cannot tell: 1,234.5 or 1.234,5 (repeatable)")
}

// source returns how to read the table at path. A model, when given,
// reads its columns as its training table's were read; the flags win.
func (tf *tableFlags) source(path string, m *predict.Model) (features.Source, error) {
	sep, err := parseSep(tf.sep)
	if err != nil {
		return features.Source{}, err
	}
	src := features.Source{Path: path, CSV: features.CSVOptions{Sep: sep}, Numbers: map[string]string{}, Times: map[string]string{}}
	if m != nil {
		for _, r := range m.Read {
			if r.Number != "" {
				src.Numbers[r.Column] = r.Number
			}
			if r.Time != "" {
				src.Times[r.Column] = r.Time
			}
		}
	}
	if tf.timeFormat != "" {
		if _, err := features.TimeLayout(tf.timeFormat); err != nil {
			return src, usageErrorf("--time-format: %v", err)
		}
		src.TimeLayout = tf.timeFormat // flat tables take the pattern as it is
		clear(src.Times)
	}
	for _, kv := range tf.numbers {
		col, format, ok := strings.Cut(kv, "=")
		if !ok || col == "" {
			return src, usageErrorf("--number-format %q: want COLUMN=FORMAT, as in Amount=1,234.5", kv)
		}
		if err := features.CheckNumberFormat(format); err != nil {
			return src, usageErrorf("--number-format: %v", err)
		}
		src.Numbers[col] = format
	}
	return src, nil
}

// readTable reads --features (a feature table) or --table (a flat export,
// read as tf says; with a model, as its training table was). A bad row
// stops the run.
func readTable(c *cobra.Command, featuresPath, tablePath string, tf *tableFlags, m *predict.Model) (*features.Table, error) {
	if featuresPath != "" {
		f, err := os.Open(featuresPath)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return features.ReadParquetTable(c.Context(), f, featuresPath)
	}
	src, err := tf.source(tablePath, m)
	if err != nil {
		return nil, err
	}
	return features.ReadTable(c.Context(), src, tf.na, nil)
}
