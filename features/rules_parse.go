package features

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed rules_default.yaml
var defaultRulesYAML []byte

// DefaultRulesYAML returns the text of the default rules file: the source
// articles' example rules plus fit rules on the generated entities'
// attributes.
func DefaultRulesYAML() []byte { return bytes.Clone(defaultRulesYAML) }

// DefaultRules returns the parsed default rules.
func DefaultRules() *RuleSet {
	rs, err := ParseRules(bytes.NewReader(defaultRulesYAML), "rules_default.yaml")
	if err != nil {
		panic("features: default rules do not parse: " + err.Error()) // a build defect, caught by tests
	}
	rs.Builtin = true
	return rs
}

// The YAML shapes. Decoding is strict: a key not listed here is an error.
type (
	rulesFile struct {
		Version int         `yaml:"version"`
		Total   capYAML     `yaml:"total"`
		Groups  []groupYAML `yaml:"groups"`
		Rules   []ruleYAML  `yaml:"rules"`
	}
	capYAML struct {
		Min *float64 `yaml:"min"`
		Max *float64 `yaml:"max"`
	}
	groupYAML struct {
		Name string   `yaml:"name"`
		Min  *float64 `yaml:"min"`
		Max  *float64 `yaml:"max"`
	}
	ruleYAML struct {
		Name      string        `yaml:"name"`
		Label     string        `yaml:"label"`
		Group     string        `yaml:"group"`
		Points    *float64      `yaml:"points"`
		Event     *eventYAML    `yaml:"event"`
		Inactive  *inactiveYAML `yaml:"inactive"`
		Attribute []condYAML    `yaml:"attribute"`
		ValidFor  string        `yaml:"valid_for"`
		Repeat    yaml.Node     `yaml:"repeat"`
	}
	eventYAML struct {
		Type  string     `yaml:"type"`
		Where []condYAML `yaml:"where"`
	}
	inactiveYAML struct {
		Type       string `yaml:"type"`
		For        string `yaml:"for"`
		OnlyIfSeen bool   `yaml:"only_if_seen"`
	}
	condYAML struct {
		Field string    `yaml:"field"`
		Op    string    `yaml:"op"`
		Value yaml.Node `yaml:"value"`
	}
	repeatYAML struct {
		Max     int    `yaml:"max"`
		OncePer string `yaml:"once_per"`
	}
)

// ParseRules reads a rules file. Parsing is strict: unknown keys, bad
// periods, unknown operators, undeclared groups, duplicate names and rules
// with no or several conditions are errors; the error is a *ConfigError with
// the line. name is used in messages.
func ParseRules(r io.Reader, name string) (*RuleSet, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(name, err, data)
	}
	if len(doc.Content) == 0 {
		return nil, &ConfigError{Path: name, Err: errors.New("empty rules file")}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f rulesFile
	if err := dec.Decode(&f); err != nil {
		return nil, yamlError(name, err, data)
	}
	ruleNodes := childSeq(doc.Content[0], "rules")
	groupNodes := childSeq(doc.Content[0], "groups")
	fail := func(line int, format string, args ...any) error {
		return &ConfigError{Path: name, Line: line, Err: fmt.Errorf(format, args...)}
	}
	if f.Version != 1 {
		return nil, fail(keyLine(doc.Content[0], "version"), "version: want 1, got %d", f.Version)
	}
	rs := &RuleSet{Version: 1, Total: Cap{f.Total.Min, f.Total.Max}, Path: name}
	if err := checkCap(rs.Total); err != nil {
		return nil, fail(keyLine(doc.Content[0], "total"), "total: %v", err)
	}
	if m := rs.Total.Max; m != nil && *m <= 0 {
		return nil, fail(keyLine(doc.Content[0], "total"), "total: max %g must be positive: predict divides rule points by it", *m)
	}
	groups := map[string]bool{}
	for i, g := range f.Groups {
		line := nodeLine(groupNodes, i)
		if g.Name == "" || !isIdent(g.Name) {
			return nil, fail(line, "group name %q: use lower-case letters, digits and _", g.Name)
		}
		if groups[g.Name] {
			return nil, fail(line, "group %q declared twice", g.Name)
		}
		groups[g.Name] = true
		c := Cap{g.Min, g.Max}
		if err := checkCap(c); err != nil {
			return nil, fail(line, "group %q: %v", g.Name, err)
		}
		rs.Groups = append(rs.Groups, Group{Name: g.Name, Cap: c})
	}
	if len(f.Rules) == 0 {
		return nil, fail(keyLine(doc.Content[0], "rules"), "no rules")
	}
	names := map[string]bool{}
	for i, ry := range f.Rules {
		rn := nodeOf(ruleNodes, i)
		line := nodeLine(ruleNodes, i)
		rule, err := ruleFrom(ry, rn, groups)
		if err != nil {
			var le *lineErr
			if errors.As(err, &le) {
				return nil, fail(le.line, "rule %q: %v", ry.Name, le.err)
			}
			return nil, fail(line, "rule %q: %v", ry.Name, err)
		}
		if names[rule.Name] {
			return nil, fail(line, "rule name %q used twice", rule.Name)
		}
		if rule.Event != nil && rs.eventRules() == MaxEventRules {
			return nil, fail(line, "rule %q: more than %d event rules", rule.Name, MaxEventRules)
		}
		names[rule.Name] = true
		rule.Line = line
		rs.Rules = append(rs.Rules, rule)
	}
	if rs.MaxTotal() <= 0 {
		return nil, fail(keyLine(doc.Content[0], "rules"), "every rule's points are 0 after caps: predict cannot scale rule points to a score")
	}
	rs.index()
	return rs, nil
}

// lineErr carries the line of a nested key.
type lineErr struct {
	line int
	err  error
}

func (e *lineErr) Error() string { return e.err.Error() }

func ruleFrom(ry ruleYAML, rn *yaml.Node, groups map[string]bool) (Rule, error) {
	at := func(key string, err error) error { return &lineErr{line: keyLine(rn, key), err: err} }
	r := Rule{Name: ry.Name, Label: strings.TrimSpace(ry.Label), Group: ry.Group}
	if r.Name == "" || !isIdent(r.Name) {
		return r, at("name", fmt.Errorf("name: use lower-case letters, digits and _"))
	}
	if r.Group == "" {
		return r, at("name", errors.New("no group: each rule belongs to one of the groups the file declares (groups: [{name: engagement}], then group: engagement)"))
	}
	if !groups[r.Group] {
		return r, at("group", fmt.Errorf("group %q is not declared under groups", r.Group))
	}
	if ry.Points == nil {
		return r, errors.New("points: missing")
	}
	if p := *ry.Points; !(math.Abs(p) <= maxPoints) {
		return r, at("points", fmt.Errorf("points: %g is not a number from -%g to %g", p, float64(maxPoints), float64(maxPoints)))
	}
	r.Points = *ry.Points
	n := 0
	if ry.Event != nil {
		n++
	}
	if ry.Inactive != nil {
		n++
	}
	if ry.Attribute != nil {
		n++
	}
	if n != 1 {
		return r, errors.New("needs exactly one of event, inactive, attribute")
	}
	if ry.Attribute == nil && !(ry.Inactive != nil && ry.ValidFor == "") {
		if ry.ValidFor == "" {
			return r, errors.New("valid_for: missing (how long an award counts, as in \"3 months\")")
		}
		p, err := ParsePeriod(ry.ValidFor)
		if err != nil {
			return r, at("valid_for", err)
		}
		r.ValidFor = p
	} else if ry.ValidFor != "" {
		return r, at("valid_for", errors.New("valid_for: attribute rules count while the attribute holds"))
	}
	r.Repeat = Repeat{Kind: "every"}
	if ry.Repeat.Kind != 0 {
		if ry.Event == nil {
			return r, at("repeat", errors.New("repeat: only event rules repeat"))
		}
		rep, err := parseRepeat(&ry.Repeat)
		if err != nil {
			return r, &lineErr{line: ry.Repeat.Line, err: err}
		}
		r.Repeat = rep
	}
	switch {
	case ry.Event != nil:
		if ry.Event.Type == "" {
			return r, at("event", errors.New("event: type missing"))
		}
		conds, err := condsFrom(ry.Event.Where)
		if err != nil {
			return r, err
		}
		r.Event = &EventCond{Type: ry.Event.Type, Where: conds}
	case ry.Inactive != nil:
		if ry.Inactive.Type == "" {
			return r, at("inactive", errors.New("inactive: type missing"))
		}
		p, err := ParsePeriod(ry.Inactive.For)
		if err != nil {
			return r, at("inactive", fmt.Errorf("inactive: for: %w", err))
		}
		r.Inactive = &InactiveCond{Type: ry.Inactive.Type, For: p, OnlyIfSeen: ry.Inactive.OnlyIfSeen}
	default:
		if len(ry.Attribute) == 0 {
			return r, at("attribute", errors.New("attribute: no conditions"))
		}
		conds, err := condsFrom(ry.Attribute)
		if err != nil {
			return r, err
		}
		r.Attribute = conds
	}
	return r, nil
}

var ops = map[string]bool{"=": true, "!=": true, "in": true, ">": true, ">=": true, "<": true, "<=": true, "contains": true}

func condsFrom(in []condYAML) ([]Cond, error) {
	out := make([]Cond, 0, len(in))
	for _, c := range in {
		line := c.Value.Line
		if c.Field == "" {
			return nil, &lineErr{line, errors.New("condition: field missing")}
		}
		if c.Op == "" {
			return nil, &lineErr{line, fmt.Errorf("condition on %q: no operator (want = != in > >= < <= contains; YAML reads an unquoted > or != as marks of its own: quote it, op: \">\")", c.Field)}
		}
		if !ops[c.Op] {
			return nil, &lineErr{line, fmt.Errorf("condition on %q: unknown operator %q (want = != in > >= < <= contains)", c.Field, c.Op)}
		}
		cond := Cond{Field: c.Field, Op: c.Op}
		if c.Op == "in" {
			if unalias(&c.Value).Kind != yaml.SequenceNode {
				return nil, &lineErr{line, fmt.Errorf("condition on %q: in needs a list, as in [a, b]", c.Field)}
			}
			for _, v := range unalias(&c.Value).Content {
				v = unalias(v)
				if v.Kind != yaml.ScalarNode {
					return nil, &lineErr{line, fmt.Errorf("condition on %q: the in list holds a value that is not a single value", c.Field)}
				}
				cond.List = append(cond.List, v.Value)
			}
		} else {
			v := unalias(&c.Value)
			if v.Kind != yaml.ScalarNode || v.Value == "" && v.Tag != "!!str" {
				return nil, &lineErr{line, fmt.Errorf("condition on %q: value missing or not a single value", c.Field)}
			}
			cond.Value = v.Value
			if f, err := ParseNumber(cond.Value); err == nil {
				cond.num, cond.isNum = f, true
			}
			switch c.Op {
			case ">", ">=", "<", "<=":
				if !cond.isNum {
					return nil, &lineErr{line, fmt.Errorf("condition on %q: %s needs a number, got %q", c.Field, c.Op, cond.Value)}
				}
			}
		}
		out = append(out, cond)
	}
	return out, nil
}

// parseRepeat reads "every", "once", {max: N} or {once_per: PERIOD}.
func parseRepeat(n *yaml.Node) (Repeat, error) {
	if n.Kind == yaml.ScalarNode {
		switch n.Value {
		case "every", "once":
			return Repeat{Kind: n.Value}, nil
		}
		return Repeat{}, fmt.Errorf("repeat: %q is not every, once, {max: N} or {once_per: PERIOD}", n.Value)
	}
	var ry repeatYAML
	dec := yaml.NewDecoder(strings.NewReader(mustYAML(n)))
	dec.KnownFields(true)
	if err := dec.Decode(&ry); err != nil {
		return Repeat{}, fmt.Errorf("repeat: want every, once, {max: N} or {once_per: PERIOD}: %v", err)
	}
	switch {
	case ry.Max > 0 && ry.OncePer == "":
		return Repeat{Kind: "max", N: ry.Max}, nil
	case ry.OncePer != "" && ry.Max == 0:
		p, err := ParsePeriod(ry.OncePer)
		if err != nil {
			return Repeat{}, fmt.Errorf("repeat: once_per: %w", err)
		}
		return Repeat{Kind: "per_period", Per: p}, nil
	}
	return Repeat{}, errors.New("repeat: want exactly one of max (a positive number) or once_per")
}

// unalias follows a YAML alias (*name) to the node its anchor marks.
func unalias(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func mustYAML(n *yaml.Node) string {
	b, err := yaml.Marshal(n)
	if err != nil {
		return ""
	}
	return string(b)
}

// maxPoints bounds a rule's points and a cap: sums of awards stay finite
// and exact.
const maxPoints = 1e6

func checkCap(c Cap) error {
	for _, b := range []*float64{c.Min, c.Max} {
		if b != nil && !(math.Abs(*b) <= maxPoints) {
			return fmt.Errorf("bound %g is not a number from -%g to %g", *b, float64(maxPoints), float64(maxPoints))
		}
	}
	if c.Min != nil && c.Max != nil && *c.Min > *c.Max {
		return fmt.Errorf("min %g is above max %g", *c.Min, *c.Max)
	}
	return nil
}

func isIdent(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return s != ""
}

// yamlError turns a yaml error ("yaml: line 7: field foo not found in type
// …") into a ConfigError with the line.
func yamlError(name string, err error, data []byte) error {
	var te *yaml.TypeError
	msg := err.Error()
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	line := 0
	if strings.HasPrefix(msg, "line ") {
		rest := msg[5:]
		if i := strings.Index(rest, ":"); i > 0 {
			if n, err := strconv.Atoi(rest[:i]); err == nil {
				line, msg = n, strings.TrimSpace(rest[i+1:])
			}
		}
	}
	if key, ok := strings.CutPrefix(msg, "field "); ok {
		if k, _, found := strings.Cut(key, " not found in type "); found {
			msg = fmt.Sprintf("unknown key %q", k)
		}
	}
	ce := &ConfigError{Path: name, Line: line, Err: errors.New(msg)}
	if te != nil {
		return ce // a file that parsed: an unquoted operator read as "" is condsFrom's to name
	}
	return withOpHint(ce, data)
}

// unquotedOp matches a condition's operator that YAML cannot read
// unquoted: > and >= start a folded scalar, != a tag.
var unquotedOp = regexp.MustCompile(`(?m)^[^#\n]*\bop:[ \t]*([>!]=?)[ \t]*(?:[,}#]|$)`)

// withOpHint points a YAML syntax error of a file with conditions (rules,
// predict.yaml) at the first unquoted operator in data, its cause (the
// parser's line can be an earlier one), and says how to write it.
func withOpHint(err error, data []byte) error {
	var ce *ConfigError
	m := unquotedOp.FindSubmatchIndex(data)
	if m == nil || !errors.As(err, &ce) {
		return err
	}
	op := string(data[m[2]:m[3]])
	ce.Line = bytes.Count(data[:m[2]], []byte("\n")) + 1
	ce.Err = fmt.Errorf("%w (YAML reads an unquoted %s as a mark of its own: quote the operator, op: %q)", ce.Err, op, op)
	return err
}

// childSeq returns the sequence node under key in a mapping node.
func childSeq(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// keyLine returns the line of key in a mapping node, or the node's line.
func keyLine(m *yaml.Node, key string) int {
	if m == nil {
		return 0
	}
	if m.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == key {
				return m.Content[i].Line
			}
		}
	}
	return m.Line
}

func nodeOf(seq *yaml.Node, i int) *yaml.Node {
	if seq == nil || i >= len(seq.Content) {
		return nil
	}
	return seq.Content[i]
}

func nodeLine(seq *yaml.Node, i int) int {
	if n := nodeOf(seq, i); n != nil {
		return n.Line
	}
	return 0
}
