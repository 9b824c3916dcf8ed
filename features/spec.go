package features

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Spec chooses the feature set. The zero value is the default set: every
// event type seen, windows of 7, 30, 90 and 365 days, the aggregations
// count, sum, days_since and trend, and every entity attribute.
type Spec struct {
	// Types are the event types that get per-type columns, even when absent
	// from the data; nil means every type seen. Events of other types still
	// count in events_total, activity and rules, and, with Other, in the
	// pooled type "other".
	Types []string `json:"types,omitempty"`
	// TopTypes, when positive, keeps the K most frequent types (ties by
	// name) and pools the rest as "other". It applies when Types is nil.
	TopTypes int `json:"top_types,omitempty"`
	// Other pools the events of types not in Types as the type "other".
	Other bool `json:"other,omitempty"`
	// ValueTypes, with Types, are the types that get value columns; without
	// Types, every type seen with a value does.
	ValueTypes []string `json:"value_types,omitempty"`
	// WindowsDays are the look-back windows; nil means 7, 30, 90, 365.
	WindowsDays []int `json:"windows_days,omitempty"`
	// Aggregations per type; nil means count, sum, days_since, trend. Also
	// available: mean, max (of values per window) and distinct_days
	// (distinct UTC dates with an event of the type per window).
	Aggregations []string `json:"aggregations,omitempty"`
	// Attributes are the entity columns joined and counted by data_quality;
	// nil means all of them.
	Attributes []string `json:"attributes,omitempty"`
	// Derived are event types defined by a property filter, such as
	// page views of the pricing page. They get the per-type columns of the
	// aggregations, beside (not instead of) their base type's.
	Derived []DerivedType `json:"derived,omitempty"`
}

// DerivedType is the events of type Type whose properties (the event
// file's extra columns, or "channel") take one of the listed values, for
// every property in Where.
type DerivedType struct {
	Name  string              `json:"name" yaml:"name"`
	Type  string              `json:"type" yaml:"type"`
	Where map[string][]string `json:"where" yaml:"where"`
	// Phrase says in words what an entity did, for reasons ("visited the
	// pricing page"); Noun names one event ("pricing-page visit").
	Phrase string `json:"phrase,omitempty" yaml:"phrase"`
	Noun   string `json:"noun,omitempty" yaml:"noun"`
}

// matches reports whether event e belongs to the derived type.
func (d *DerivedType) matches(e *Event) bool {
	if e.Type != d.Type {
		return false
	}
	for prop, values := range d.Where {
		v, ok := e.Prop(prop)
		if prop == "channel" {
			v, ok = e.Channel, e.Channel != ""
		}
		if !ok || !slices.Contains(values, v) {
			return false
		}
	}
	return true
}

// Resolved returns the spec a Build with this spec actually applied: the
// types and value types it produced columns for (after top-K pooling),
// which a scoring run must reproduce. It reads the table's metadata.
func (t *Table) Resolved() (Spec, error) {
	var s Spec
	if err := json.Unmarshal([]byte(t.Meta[MetaSpec]), &s); err != nil {
		return Spec{}, fmt.Errorf("features: table has no readable leadscore.spec metadata: %w", err)
	}
	return s, nil
}

// Aggregations a Spec can ask for.
var allAggregations = []string{"count", "sum", "mean", "max", "distinct_days", "days_since", "trend"}

func (s Spec) windows() []int {
	if len(s.WindowsDays) == 0 {
		return []int{7, 30, 90, 365}
	}
	return s.WindowsDays
}

func (s Spec) aggregations() []string {
	if s.Aggregations == nil {
		return []string{"count", "sum", "days_since", "trend"}
	}
	return s.Aggregations
}

func (s Spec) has(agg string) bool { return slices.Contains(s.aggregations(), agg) }

// Limits on a spec: they bound the memory a Build takes per row
// (types × windows × aggregations) and keep every window within the
// supported time range.
const (
	MaxWindowDays = 3660 // ten years
	MaxWindows    = 12
	MaxTypes      = 1000 // listed, kept by top, or seen with types: all
	MaxDerived    = 64   // a record's derived types are a 64-bit mask
)

// Validate checks the spec and names the bad field.
func (s Spec) Validate() error {
	if len(s.WindowsDays) > MaxWindows {
		return fmt.Errorf("features: Spec.WindowsDays: %d windows, at most %d", len(s.WindowsDays), MaxWindows)
	}
	if len(s.Types) > MaxTypes || s.TopTypes > MaxTypes {
		return fmt.Errorf("features: Spec.Types: at most %d types", MaxTypes)
	}
	if len(s.Derived) > MaxDerived {
		return fmt.Errorf("features: Spec.Derived: %d derived types, at most %d", len(s.Derived), MaxDerived)
	}
	cols := map[string]string{}
	for _, t := range s.Types {
		if prev, ok := cols[columnName(t)]; ok {
			return fmt.Errorf("features: Spec.Types: %q and %q both make columns named %s_…", prev, t, columnName(t))
		}
		cols[columnName(t)] = t
	}
	for _, w := range s.windows() {
		if w <= 0 || w > MaxWindowDays {
			return fmt.Errorf("features: Spec.WindowsDays: %d is not a number of days from 1 to %d", w, MaxWindowDays)
		}
		if w > 366 && s.has("distinct_days") {
			return fmt.Errorf("features: Spec.WindowsDays: distinct_days supports windows up to 366 days, got %d", w)
		}
	}
	if ws := s.windows(); len(slices.Compact(slices.Sorted(slices.Values(ws)))) != len(ws) {
		return errors.New("features: Spec.WindowsDays: a window is listed twice")
	}
	for _, a := range s.aggregations() {
		if !slices.Contains(allAggregations, a) {
			return fmt.Errorf("features: Spec.Aggregations: unknown %q (want %s)", a, strings.Join(allAggregations, ", "))
		}
	}
	names := map[string]bool{}
	for i, d := range s.Derived {
		switch {
		case d.Name == "" || columnName(d.Name) != d.Name:
			return fmt.Errorf("features: Spec.Derived[%d]: name %q must be lower-case letters, digits and single underscores", i, d.Name)
		case names[d.Name] || slices.Contains(s.Types, d.Name) || d.Name == "other" || d.Name == "events":
			return fmt.Errorf("features: Spec.Derived[%d]: name %q is taken", i, d.Name)
		case d.Type == "":
			return fmt.Errorf("features: Spec.Derived[%d] (%s): type is required", i, d.Name)
		case len(d.Where) == 0:
			return fmt.Errorf("features: Spec.Derived[%d] (%s): where needs at least one property and its values", i, d.Name)
		}
		for prop, values := range d.Where {
			if len(values) == 0 {
				return fmt.Errorf("features: Spec.Derived[%d] (%s): where.%s lists no values", i, d.Name, prop)
			}
		}
		names[d.Name] = true
	}
	if s.has("trend") && !slices.Contains(s.windows(), 30) {
		return errors.New("features: Spec.Aggregations: trend compares 30-day counts, so windows must include 30")
	}
	if s.TopTypes < 0 {
		return fmt.Errorf("features: Spec.TopTypes must not be negative, got %d", s.TopTypes)
	}
	if s.TopTypes > 0 && s.Types != nil {
		return errors.New("features: Spec.TopTypes and Spec.Types exclude each other")
	}
	return nil
}

// normalized fills the defaults in, so that equal feature sets compare and
// hash equal whether or not the defaults were spelled out.
func (s Spec) normalized() Spec {
	s.WindowsDays, s.Aggregations = s.windows(), s.aggregations()
	return s
}

// Hash returns a short hash of the spec's content (defaults filled in),
// stored in the feature table's metadata as leadscore.spec_hash.
func (s Spec) Hash() string {
	b, _ := json.Marshal(s.normalized()) // plain data: cannot fail
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}

//go:embed spec_default.yaml
var defaultSpecYAML []byte

// DefaultSpecYAML returns the spec file equal to the default feature set.
func DefaultSpecYAML() []byte { return bytes.Clone(defaultSpecYAML) }

type specFile struct {
	Version      int           `yaml:"version"`
	Types        yaml.Node     `yaml:"types"`
	Windows      []int         `yaml:"windows"`
	Aggregations []string      `yaml:"aggregations"`
	Attributes   yaml.Node     `yaml:"attributes"`
	Derived      []DerivedType `yaml:"derived"`
}

// ParseSpec reads a feature spec file:
//
//	version: 1
//	types: all              # or [page_view, rfq, order], or {top: 8}
//	windows: [7, 30, 90, 365]
//	aggregations: [count, sum, days_since, trend]
//	attributes: all         # or [industry, employees]
//	derived:                # event types defined by a property filter
//	  - name: pricing_visit
//	    type: page_view
//	    where: {page: [pricing]}
//	    phrase: visited the pricing page
//
// With a list of types, events of other types are pooled as "other" when
// the list names "other". Decoding is strict; errors carry the line.
func ParseSpec(r io.Reader, name string) (Spec, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return Spec{}, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f specFile
	if err := dec.Decode(&f); err != nil {
		if err == io.EOF {
			return Spec{}, &ConfigError{Path: name, Err: errors.New("empty spec file")}
		}
		return Spec{}, yamlError(name, err, data)
	}
	fail := func(line int, format string, args ...any) error {
		return &ConfigError{Path: name, Line: line, Err: fmt.Errorf(format, args...)}
	}
	if f.Version != 1 {
		return Spec{}, fail(0, "version: want 1, got %d", f.Version)
	}
	var s Spec
	switch n := &f.Types; {
	case n.Kind == 0 || n.Kind == yaml.ScalarNode && n.Value == "all":
	case n.Kind == yaml.SequenceNode:
		s.Types = []string{}
		for _, c := range n.Content {
			if c.Value == "other" {
				s.Other = true
				continue
			}
			s.Types = append(s.Types, c.Value)
		}
	case n.Kind == yaml.MappingNode && len(n.Content) == 2 && n.Content[0].Value == "top":
		if err := n.Content[1].Decode(&s.TopTypes); err != nil || s.TopTypes <= 0 {
			return Spec{}, fail(n.Line, "types: top needs a positive whole number")
		}
	default:
		return Spec{}, fail(n.Line, "types: want all, a list of types, or {top: K}")
	}
	s.WindowsDays = f.Windows
	s.Aggregations = f.Aggregations
	s.Derived = f.Derived
	switch n := &f.Attributes; {
	case n.Kind == 0 || n.Kind == yaml.ScalarNode && n.Value == "all":
	case n.Kind == yaml.SequenceNode:
		s.Attributes = []string{}
		for _, c := range n.Content {
			s.Attributes = append(s.Attributes, c.Value)
		}
	default:
		return Spec{}, fail(n.Line, "attributes: want all or a list of entity columns")
	}
	if err := s.Validate(); err != nil {
		return Spec{}, &ConfigError{Path: name, Err: errors.New(strings.TrimPrefix(err.Error(), "features: "))}
	}
	return s, nil
}
