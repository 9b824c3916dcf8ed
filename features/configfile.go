package features

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ConfigError reports a problem in a configuration file (rules, feature
// spec, pipeline.yaml, predict.yaml), with its line (0 when the problem
// concerns the file as a whole). It is a configuration error, not bad data.
type ConfigError struct {
	Path string
	Line int
	Err  error
}

func (e *ConfigError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.Path, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Path, e.Err)
}

// Unwrap returns the underlying error.
func (e *ConfigError) Unwrap() error { return e.Err }

// FieldError is a configuration value that fails validation. Field is its
// path as the file spells it, such as grades[1].min_score.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *FieldError) Unwrap() error { return e.Err }

// FieldErrorf returns a *FieldError for field.
func FieldErrorf(field, format string, args ...any) error {
	return &FieldError{Field: field, Err: fmt.Errorf(format, args...)}
}

// DecodeConfig decodes a YAML configuration file strictly into v (unknown
// keys are errors) and runs validate on the result. Every error is a
// *ConfigError with the line: of the YAML problem, or of the key a
// *FieldError from validate names. An empty file decodes to v's zero
// value.
func DecodeConfig(data []byte, name string, v any, validate func() error) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return yamlError(name, err, data)
	}
	if len(doc.Content) > 0 {
		dec := yaml.NewDecoder(strings.NewReader(string(data)))
		dec.KnownFields(true)
		if err := dec.Decode(v); err != nil {
			return yamlError(name, err, data)
		}
	}
	if validate == nil {
		return nil
	}
	err := validate()
	if err == nil {
		return nil
	}
	var fe *FieldError
	line := 0
	if errors.As(err, &fe) && len(doc.Content) > 0 {
		line = nodeLineOf(doc.Content[0], fe.Field)
	}
	return &ConfigError{Path: name, Line: line, Err: err}
}

// KnownKeys returns an error for the first key of the mapping node n that
// no field of the struct v has as its yaml name, worded and placed as
// DecodeConfig's strict decoder words an unknown key. A custom
// UnmarshalYAML needs it: Node.Decode does not refuse unknown keys.
func KnownKeys(n *yaml.Node, v any) error {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	t := reflect.TypeOf(v)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !slices.ContainsFunc(reflect.VisibleFields(t), func(f reflect.StructField) bool {
			return strings.Split(f.Tag.Get("yaml"), ",")[0] == k.Value
		}) {
			return fmt.Errorf("line %d: field %s not found in type %s", k.Line, k.Value, t)
		}
	}
	return nil
}

// nodeLineOf returns the line of the key or item a field path (a.b[2].c)
// names in a YAML document, or of its nearest ancestor that exists.
func nodeLineOf(n *yaml.Node, field string) int {
	line := n.Line
	for _, part := range strings.Split(field, ".") {
		key, rest, _ := strings.Cut(part, "[")
		if key != "" {
			if n.Kind != yaml.MappingNode {
				return line
			}
			found := false
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == key {
					line, n, found = n.Content[i].Line, unalias(n.Content[i+1]), true
					break
				}
			}
			if !found {
				return line
			}
		}
		for rest != "" {
			idx, after, _ := strings.Cut(rest, "]")
			rest = strings.TrimPrefix(after, "[")
			k, err := strconv.Atoi(idx)
			if err != nil || n.Kind != yaml.SequenceNode || k < 0 || k >= len(n.Content) {
				return line
			}
			n = unalias(n.Content[k])
			line = n.Line
		}
	}
	return line
}
