package main

import (
	"github.com/spf13/cobra"

	"leadscore/predict/pipeline"
)

// addReadingFlags adds the flags of the commands that read the data
// contract's tables: --sep, --encoding, --time-format and --col for every
// input, and --ROLE-sep, --ROLE-encoding, --ROLE-time-format and
// --ROLE-col (--entities-sep ';') for each of roles alone.
func addReadingFlags(cmd *cobra.Command, in *pipeline.Reading, roles ...string) {
	f := cmd.Flags()
	addFileFlags(cmd, &in.FileReading)
	f.IntVar(&in.MaxBadRows, "max-bad-rows", 0, "skip up to N bad rows, writing them to a .quarantine.csv next to the output (0: stop at the first)")
	in.Roles = map[string]*pipeline.FileReading{}
	for _, role := range roles {
		o := &pipeline.FileReading{}
		in.Roles[role] = o
		f.StringArrayVar(&o.Columns, role+"-col", nil, "--col for the "+role+" file alone")
		f.StringVar(&o.Sep, role+"-sep", "", "--sep for the "+role+" file alone")
		f.StringVar(&o.Encoding, role+"-encoding", "", "--encoding for the "+role+" file alone")
		f.StringVar(&o.TimeFormat, role+"-time-format", "", "--time-format for the "+role+" file alone")
		f.StringVar(&o.NumberFormat, role+"-number-format", "", "--number-format for the "+role+" file alone")
		f.StringSliceVar(&o.NA, role+"-na", nil, "--na for the "+role+" file alone")
	}
}

// addFileFlags adds --col, --sep, --encoding and --time-format, how the
// files of the data contract are read.
func addFileFlags(cmd *cobra.Command, in *pipeline.FileReading) {
	f := cmd.Flags()
	f.StringArrayVar(&in.Columns, "col", nil, "map a contract column to the file's column, as name=column, or name= for none (repeatable)")
	f.StringVar(&in.Sep, "sep", ",", "CSV field separator (one character, 'tab', or 'space' for columns aligned with spaces)")
	f.StringVar(&in.Encoding, "encoding", "utf-8", "CSV text encoding: utf-8 or cp1252 (Windows-1252/Latin-1)")
	f.StringVar(&in.TimeFormat, "time-format", "", "how timestamps are written: dd.mm.yyyy HH:MM, M/D/YY H:MM, ..., a Go layout, unix (seconds since 1970), unix_ms or excel (days since 1899-12-30) (default: RFC 3339 and YYYY-MM-DD forms)")
	f.StringSliceVar(&in.NA, "na", nil, "values that mean missing, such as - or unknown (comma-separated)")
	f.StringVar(&in.NumberFormat, "number-format", "", "how numbers with separators are written, 1,234.5 or 1.234,5 (default: a cell, or an entities column, that only one of them reads)")
}

// addRenameTypeFlag adds --rename-type, for the commands that read events.
func addRenameTypeFlag(cmd *cobra.Command, in *pipeline.FileReading) {
	cmd.Flags().StringArrayVar(&in.RenameTypes, "rename-type", nil, "read an event type the events file spells otherwise as another, SPELLING=TYPE, such as \"Page View=page_view\" (repeatable)")
}

// addOutcomeFlags adds --won and --lost, the values of a deals file's won
// column that a CRM writes for its closed stages.
func addOutcomeFlags(cmd *cobra.Command, in *pipeline.FileReading) {
	f := cmd.Flags()
	f.StringSliceVar(&in.Won, "won", nil, "values of the deals file's won column that mean won, such as \"Closed Won\" (with --lost; any other value is a deal still open)")
	f.StringSliceVar(&in.Lost, "lost", nil, "values of the deals file's won column that mean lost, such as \"Closed Lost\" (with --won)")
}

// addTableFlags adds --table, described by usage, and the flags of how
// train, predict and inspect read it.
func addTableFlags(cmd *cobra.Command, ft *pipeline.FlatTable, usage string) {
	f := cmd.Flags()
	f.StringVar(&ft.Path, "table", "", usage)
	f.StringVar(&ft.Sep, "sep", ",", "CSV field separator for --table (one character, 'tab' or 'space')")
	f.StringVar(&ft.Encoding, "encoding", "utf-8", "text encoding of --table: utf-8 or cp1252 (Windows-1252/Latin-1)")
	f.StringSliceVar(&ft.NA, "na", nil, "values that mean missing, such as Select (comma-separated)")
	f.StringVar(&ft.TimeFormat, "time-format", "", "how --table writes dates: dd.mm.yyyy, M/D/YY H:MM, ... or a Go layout; COLUMN=FORMAT for one column, as in Created=unix or Opened=excel (default: ISO 8601 or detected)")
	f.StringSliceVar(&ft.Text, "text", nil, "columns of --table to keep as written, neither numbers nor dates, such as codes or version numbers (codes written with leading zeros are kept so unasked; comma-separated)")
	f.StringArrayVar(&ft.Numbers, "number-format", nil, "COLUMN=FORMAT for a column whose numbers detection cannot tell: 1,234.5 or 1.234,5 (repeatable)")
	f.IntVar(&ft.MaxBadRows, "max-bad-rows", 0, "skip up to N bad rows of a CSV --table (another number of fields, invalid text), writing them to a .quarantine.csv beside the output, in the model folder for train (inspect counts them; 0: stop at the first)")
}
