package features

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Conditions are conditions on a row's columns that must all hold,
// written as rules write them: [{field: employees, op: ">=", value: 250}].
// Scoring settings use them to suppress and route leads.
type Conditions []Cond

// UnmarshalYAML reads a list of conditions, checking operators and
// values as the rules do; errors name the line.
func (cs *Conditions) UnmarshalYAML(n *yaml.Node) error {
	var in []condYAML
	if err := n.Decode(&in); err != nil {
		return err
	}
	for _, item := range n.Content {
		if err := KnownKeys(item, condYAML{}); err != nil {
			return err
		}
	}
	if len(in) == 0 {
		return fmt.Errorf("line %d: an empty list of conditions would hold for every lead", n.Line)
	}
	out, err := condsFrom(in)
	if err != nil {
		if le, ok := err.(*lineErr); ok {
			return fmt.Errorf("line %d: %v", le.line, le.err)
		}
		return err
	}
	*cs = out
	return nil
}

// Fields returns the columns the conditions read.
func (cs Conditions) Fields() []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Field
	}
	return out
}

// Holds reports whether every condition holds for row i of t. A missing
// column or value makes every operator but != false.
func (cs Conditions) Holds(t *Table, i int) bool {
	for k := range cs {
		w := &cs[k]
		c := t.Column(w.Field)
		var ok bool
		switch {
		case c == nil || c.IsNull(i):
			ok = w.Op == "!="
		case c.Kind == KindFloat:
			ok = w.compareNum(c.Float[i])
		default:
			ok = w.compareText(c.Text(i))
		}
		if !ok {
			return false
		}
	}
	return true
}

// String says the conditions in words: "employees >= 250 and industry in
// [retail, software]".
func (cs Conditions) String() string {
	return strings.TrimPrefix(conds(cs), " where ")
}
