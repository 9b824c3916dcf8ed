package main

import (
	"github.com/spf13/cobra"

	"leadscore/features"
)

// inputOptions are the flags of the commands that read the data
// contract's tables: how each file is read. --sep, --encoding,
// --time-format and --col apply to every input; --ROLE-sep,
// --ROLE-encoding, --ROLE-time-format and --ROLE-col (--entities-sep ';')
// to one, over them.
type inputOptions struct {
	fileOptions
	maxBadRows int
	roles      map[string]*fileOptions
}

// fileOptions say how one file is read.
type fileOptions struct {
	cols       []string
	sep        string
	encoding   string
	timeFormat string
}

// register adds the shared flags, and the per-input ones for roles (the
// inputs the command reads, by flag name: events, entities, ...).
func (in *inputOptions) register(cmd *cobra.Command, roles ...string) {
	f := cmd.Flags()
	f.StringArrayVar(&in.cols, "col", nil, "map a contract column to the file's column, as name=column (repeatable)")
	f.StringVar(&in.sep, "sep", ",", "CSV field separator (one character, or 'tab')")
	f.StringVar(&in.encoding, "encoding", "utf-8", "CSV text encoding: utf-8 or cp1252 (Windows-1252/Latin-1)")
	f.StringVar(&in.timeFormat, "time-format", "", "how timestamps are written: dd.mm.yyyy HH:MM, mm/dd/yyyy, ... or a Go layout (default: RFC 3339 and YYYY-MM-DD forms)")
	f.IntVar(&in.maxBadRows, "max-bad-rows", 0, "skip up to N bad rows, writing them to a .quarantine.csv next to the output (0: stop at the first)")
	in.roles = map[string]*fileOptions{}
	for _, role := range roles {
		o := &fileOptions{}
		in.roles[role] = o
		f.StringArrayVar(&o.cols, role+"-col", nil, "--col for the "+role+" file alone")
		f.StringVar(&o.sep, role+"-sep", "", "--sep for the "+role+" file alone")
		f.StringVar(&o.encoding, role+"-encoding", "", "--encoding for the "+role+" file alone")
		f.StringVar(&o.timeFormat, role+"-time-format", "", "--time-format for the "+role+" file alone")
	}
}

// checkBadRows validates --max-bad-rows.
func (in *inputOptions) checkBadRows() error {
	if in.maxBadRows < 0 {
		return usageErrorf("--max-bad-rows must be 0 or more, got %d", in.maxBadRows)
	}
	return nil
}

// source returns how to read the file of an input role at path: its own
// flags over the shared ones.
func (in *inputOptions) source(role, path string) (features.Source, error) {
	o := in.fileOptions
	if r := in.roles[role]; r != nil {
		if r.sep != "" {
			o.sep = r.sep
		}
		if r.encoding != "" {
			o.encoding = r.encoding
		}
		if r.timeFormat != "" {
			o.timeFormat = r.timeFormat
		}
		o.cols = append(append([]string(nil), o.cols...), r.cols...)
	}
	cols, err := parseColumns(o.cols)
	if err != nil {
		return features.Source{}, err
	}
	sep, err := parseSep(o.sep)
	if err != nil {
		return features.Source{}, err
	}
	layout := ""
	if o.timeFormat != "" {
		if layout, err = features.TimeLayout(o.timeFormat); err != nil {
			return features.Source{}, usageErrorf("--time-format: %v", err)
		}
	}
	return features.Source{Path: path, Columns: cols, CSV: features.CSVOptions{Sep: sep, Encoding: o.encoding}, TimeLayout: layout}, nil
}
