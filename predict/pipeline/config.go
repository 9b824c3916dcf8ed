package pipeline

import (
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"leadscore/features"
	"leadscore/rfm"
)

// Input is one input file of pipeline.yaml and how to read it.
type Input struct {
	Path       string            `yaml:"path"`
	Columns    map[string]string `yaml:"columns"`
	Sep        string            `yaml:"sep"`
	Encoding   string            `yaml:"encoding"`
	TimeFormat string            `yaml:"time_format"`
	// NumberFormat is how the file writes numbers with separators:
	// "1,234.5" or "1.234,5" (features.CSVOptions.NumberFormat).
	NumberFormat string `yaml:"number_format"`
	// NA lists the values that mean missing, such as "-".
	NA []string `yaml:"na"`
	// Won and Lost are the deals file's won values (its CRM's stages:
	// "Closed Won"): each means won or lost, any other value open.
	Won  []string `yaml:"won"`
	Lost []string `yaml:"lost"`
	// RenameTypes maps the events file's spellings of event types to the
	// types they are read as ("Page View": page_view).
	RenameTypes map[string]string `yaml:"rename_types"`
}

// Config is pipeline.yaml: what a nightly run reads and where it writes.
// Paths are relative to the file's folder. A run scores with a trained
// model (Model) or trains its own (Train), not both.
type Config struct {
	Out      string `yaml:"out"`
	Events   Input  `yaml:"events"`
	Entities *Input `yaml:"entities"`
	Orders   *Input `yaml:"orders"`
	// Deals (entity_id, ts, won, closed_at) label the training rows and
	// select the population a target asks for.
	Deals      *Input       `yaml:"deals"`
	Train      *TrainConfig `yaml:"train"`
	Model      string       `yaml:"model"`
	Rules      string       `yaml:"rules"`
	Predict    string       `yaml:"predict"`
	TimeUnit   string       `yaml:"time_unit"`
	MaxBadRows int          `yaml:"max_bad_rows"`

	path string // the file read, "" when built in code
	dir  string // its folder: config paths are relative to it
}

// LoadConfig reads and validates pipeline.yaml. Errors in the file are
// *features.ConfigError with the line.
func LoadConfig(path string) (*Config, []byte, error) {
	f, err := openSetting("pipeline config", path)
	if err != nil {
		return nil, nil, err
	}
	raw, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		return nil, nil, err
	}
	c, err := ParseConfig(raw, path)
	if err != nil {
		return nil, nil, err
	}
	c.path, c.dir = path, filepath.Dir(path)
	return c, raw, nil
}

// ParseConfig decodes pipeline.yaml strictly and validates it; name is
// used in messages. Paths stay relative to the current folder.
func ParseConfig(raw []byte, name string) (*Config, error) {
	c := &Config{}
	if err := features.DecodeConfig(raw, name, c, c.validate); err != nil {
		return nil, err
	}
	return c, nil
}

// validate checks what can be checked without reading any input, so that
// a mistake fails the run before any work.
func (c *Config) validate() error {
	switch {
	case c.Out == "":
		return features.FieldErrorf("out", "required: the folder runs are written to")
	case c.Events.Path == "":
		return features.FieldErrorf("events.path", "required")
	case c.Model == "" && c.Train == nil:
		return features.FieldErrorf("model", "required, or a train: section to train one")
	case c.Model != "" && c.Train != nil:
		return features.FieldErrorf("train", "give model (a trained model) or train (train one each run), not both")
	case c.Train != nil && c.Deals == nil:
		return features.FieldErrorf("train", "training needs the outcomes: add deals: {path: deals.csv}")
	case c.MaxBadRows < 0:
		return features.FieldErrorf("max_bad_rows", "must be 0 or more")
	}
	if c.Train != nil {
		if err := c.Train.validate(); err != nil {
			return err
		}
	}
	for name, in := range map[string]*Input{"events": &c.Events, "entities": c.Entities, "orders": c.Orders, "deals": c.Deals} {
		if in == nil {
			continue
		}
		if in.Path == "" {
			return features.FieldErrorf(name+".path", "required")
		}
		if _, err := features.ParseSep(in.Sep); err != nil {
			return features.FieldErrorf(name+".sep", "%v", err)
		}
		if err := features.CheckEncoding(in.Encoding); err != nil {
			return features.FieldErrorf(name+".encoding", "%v", err)
		}
		if in.TimeFormat != "" {
			if _, err := features.TimeLayout(in.TimeFormat); err != nil {
				return features.FieldErrorf(name+".time_format", "%v", err)
			}
		}
		if in.NumberFormat != "" {
			if err := features.CheckNumberFormat(in.NumberFormat); err != nil {
				return features.FieldErrorf(name+".number_format", "%v", err)
			}
		}
		if err := checkOutcomeValues(in.Won, in.Lost); err != nil {
			return features.FieldErrorf(name+".won", "%v", err)
		}
		names := mappable(name)
		for _, k := range slices.Sorted(maps.Keys(in.Columns)) {
			if !slices.Contains(names, k) {
				return features.FieldErrorf(name+".columns", "%q is no contract column of the %s file (%s)", k, name, strings.Join(names, ", "))
			}
		}
		if name != "deals" && len(in.Won)+len(in.Lost) > 0 {
			return features.FieldErrorf(name+".won", "won and lost values belong to the deals file")
		}
		if len(in.RenameTypes) > 0 && name != "events" {
			return features.FieldErrorf(name+".rename_types", "event types are renamed in the events file")
		}
		if err := features.CheckRenameTypes(in.RenameTypes); err != nil {
			return features.FieldErrorf(name+".rename_types", "%v", err)
		}
	}
	if c.Orders != nil {
		if err := rfm.CheckUnit(c.TimeUnit); err != nil {
			return features.FieldErrorf("time_unit", "%v", err)
		}
	}
	return nil
}

// resolve makes a config path relative to the config file's folder.
func (c *Config) resolve(p string) string {
	if p == "" || p == "default" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.dir, p)
}

// source returns how to read an input.
func (c *Config) source(in *Input) features.Source {
	sep, _ := features.ParseSep(in.Sep) // validated
	layout := in.TimeFormat
	if layout != "" {
		layout, _ = features.TimeLayout(in.TimeFormat) // validated
	}
	return features.Source{Path: c.resolve(in.Path), Columns: in.Columns, CSV: features.CSVOptions{Sep: sep, Encoding: in.Encoding, NumberFormat: in.NumberFormat, NA: in.NA},
		TimeLayout: layout, Won: in.Won, Lost: in.Lost, RenameTypes: in.RenameTypes}
}

// dateOf formats a run's as-of date as its folder name.
func dateOf(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// checkInputs reports the first data input (events, entities, deals,
// orders) that names no file, or a pattern matching none, with its key.
func (c *Config) checkInputs() error {
	in := c.inputs()
	for _, role := range []string{"events", "entities", "deals", "orders"} {
		if path, ok := in[role]; ok {
			if err := features.CheckInput(path, role == "events" || role == "entities"); err != nil {
				return fmt.Errorf("%s: %w", role, err)
			}
		}
	}
	return nil
}

// inputs returns the files a run reads, by role.
func (c *Config) inputs() map[string]string {
	out := map[string]string{"events": c.resolve(c.Events.Path)}
	for role, in := range map[string]*Input{"entities": c.Entities, "orders": c.Orders, "deals": c.Deals} {
		if in != nil {
			out[role] = c.resolve(in.Path)
		}
	}
	if c.Rules != "" && c.Rules != "default" {
		out["rules"] = c.resolve(c.Rules)
	}
	if c.Predict != "" {
		out["predict"] = c.resolve(c.Predict)
	}
	if c.Train != nil && c.Train.Spec != "" {
		out["spec"] = c.resolve(c.Train.Spec)
	}
	return out
}
