package train

import (
	"fmt"
	"strings"

	"leadscore/features"
)

// ColumnError is a configuration that names a column the table lacks, or
// a time column that holds no dates: a mistake in the settings, found
// once the table is read.
type ColumnError struct {
	Path   string // the table's file, "" when it was not read from one
	Role   string // label, id, time, group, drop, categorical or allow_leaks
	Column string
	Have   []string // the table's columns
	Kind   string   // for a time column that is there: what it holds
}

func (e *ColumnError) Error() string {
	where := "the table"
	if e.Path != "" {
		where = e.Path
	}
	if e.Kind != "" {
		return fmt.Sprintf("%s column %q of %s holds %s, not dates", e.Role, e.Column, where, e.Kind)
	}
	return fmt.Sprintf("%s column %q not in %s (have %s)", e.Role, e.Column, where, strings.Join(e.Have, ", "))
}

// CheckColumns returns a *ColumnError for the first column the
// configuration names that t lacks (the label, id, time and group
// columns, and those of Drop, Categorical and AllowLeaks), or for a time
// column that holds no dates.
func (c *Config) CheckColumns(t *features.Table) error {
	type named struct{ role, name string }
	names := []named{{"label", c.Label}, {"id", c.ID}, {"time", c.TimeColumn}, {"group", c.Group}}
	for _, n := range c.Drop {
		names = append(names, named{"drop", n})
	}
	for _, n := range c.Categorical {
		names = append(names, named{"categorical", n})
	}
	for _, n := range c.AllowLeaks {
		names = append(names, named{"allow_leaks", n})
	}
	for _, n := range names {
		if n.name != "" && t.Column(n.name) == nil {
			return &ColumnError{Path: t.Path(), Role: n.role, Column: n.name, Have: t.Names()}
		}
	}
	if tc := t.Column(c.TimeColumn); c.TimeColumn != "" && tc != nil && tc.Kind != features.KindTime {
		kind := map[features.Kind]string{features.KindFloat: "numbers", features.KindString: "text", features.KindBool: "true/false values"}[tc.Kind]
		return &ColumnError{Path: t.Path(), Role: "time", Column: c.TimeColumn, Kind: kind}
	}
	return nil
}
