package resolve

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Mapping asks for one environment variable to be set from a reference.
type Mapping struct {
	// Name is the environment variable.
	Name string
	// Ref is where its value comes from.
	Ref Ref
	// Source says where the mapping was defined, for messages.
	Source string
}

// ConfigError reports a mapping source that cannot be used.
type ConfigError struct {
	// Source names the text, file or variable at fault.
	Source string
	// Line is the line in Source, or 0 when unknown.
	Line int
	Err  error
}

func (e *ConfigError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.Source, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Source, e.Err)
}

func (e *ConfigError) Unwrap() error { return e.Err }

// ValidName reports whether name can be an environment variable set by
// secret-exec: a letter or underscore, then letters, digits and underscores.
func ValidName(name string) bool {
	if name == "" || name[0] >= '0' && name[0] <= '9' {
		return false
	}
	return checkChars("", name, "_") == nil
}

// ParseSecrets parses mapping text, YAML or JSON, in either of two forms:
// a map of variable names to references, as in a Copilot manifest's
// secrets block, or a list of {name, valueFrom} objects, as in an ECS task
// definition. Source names the text in errors. Empty text holds no mappings.
func ParseSecrets(data []byte, source string) ([]Mapping, error) {
	n, err := parseDocument(data)
	if err != nil {
		return nil, &ConfigError{Source: source, Err: err}
	}
	if n == nil {
		return nil, nil
	}
	return secretsNode(n, source, source)
}

// parseDocument parses YAML or JSON text into its root node, or nil when
// the text holds no document.
func parseDocument(data []byte) (*yaml.Node, error) {
	data = untabBlankLines(data)
	var doc yaml.Node
	err := yaml.Unmarshal(data, &doc)
	if err != nil && looksLikeJSON(data) {
		// YAML refuses some valid JSON, such as tab indentation.
		var v any
		if json.Unmarshal(data, &v) == nil {
			err = doc.Encode(v)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("malformed YAML or JSON: %v", trimYAMLError(err))
	}
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return nil, nil
		}
		return doc.Content[0], nil
	}
	if doc.Kind == 0 {
		return nil, nil
	}
	return &doc, nil
}

// untabBlankLines empties the lines that begin with a tab and hold
// nothing but white space or a comment: YAML refuses them, though they
// carry nothing. Other lines, and the line count, are kept.
func untabBlankLines(data []byte) []byte {
	if !bytes.Contains(data, []byte("\t")) {
		return data
	}
	lines := bytes.Split(data, []byte("\n"))
	for i, l := range lines {
		t := bytes.TrimLeft(l, " \t\r")
		if len(l) > 0 && l[0] == '\t' && (len(t) == 0 || t[0] == '#') {
			lines[i] = nil
		}
	}
	return bytes.Join(lines, []byte("\n"))
}

func looksLikeJSON(data []byte) bool {
	data = bytes.TrimSpace(data)
	return len(data) > 0 && (data[0] == '{' || data[0] == '[')
}

func trimYAMLError(err error) string {
	return strings.TrimPrefix(err.Error(), "yaml: ")
}

// secretsNode reads the mappings of a map or list node. Errors name file
// and a line of it; the mappings name where, the part of the file they
// come from.
func secretsNode(n *yaml.Node, file, where string) ([]Mapping, error) {
	switch {
	case n.Kind == yaml.ScalarNode && n.Tag == "!!null":
		return nil, nil
	case n.Kind == yaml.MappingNode:
		return secretsMap(n, file, where)
	case n.Kind == yaml.SequenceNode:
		return secretsList(n, file, where)
	}
	return nil, &ConfigError{Source: file, Line: n.Line,
		Err: errors.New("want a map of variable names to references, " +
			"or a list of {name, valueFrom}")}
}

func secretsMap(n *yaml.Node, file, where string) ([]Mapping, error) {
	var ms []Mapping
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name, err := varName(k)
		if err == nil {
			var ref Ref
			if ref, err = refNode(v); err != nil {
				err = fmt.Errorf("%s: %w", name, err)
			}
			ms = append(ms, Mapping{Name: name, Ref: ref, Source: where})
		}
		if err != nil {
			return nil, &ConfigError{Source: file, Line: k.Line, Err: err}
		}
	}
	return ms, nil
}

func secretsList(n *yaml.Node, file, where string) ([]Mapping, error) {
	ms := make([]Mapping, 0, len(n.Content))
	for _, item := range n.Content {
		m, err := listEntry(item)
		if err != nil {
			return nil, &ConfigError{Source: file, Line: item.Line, Err: err}
		}
		m.Source = where
		ms = append(ms, m)
	}
	return ms, nil
}

// listEntry reads one {name, valueFrom} object of an ECS secrets list.
func listEntry(n *yaml.Node) (Mapping, error) {
	if n.Kind != yaml.MappingNode {
		return Mapping{}, errors.New("list entry: want {name, valueFrom}")
	}
	var name, from *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch k := n.Content[i].Value; k {
		case "name":
			name = n.Content[i+1]
		case "valueFrom":
			from = n.Content[i+1]
		default:
			return Mapping{}, fmt.Errorf("list entry: unknown field %q: want name and valueFrom", k)
		}
	}
	if name == nil || from == nil {
		return Mapping{}, errors.New("list entry: want both name and valueFrom")
	}
	v, err := varName(name)
	if err != nil {
		return Mapping{}, err
	}
	s, err := stringValue(from)
	if err != nil {
		return Mapping{}, fmt.Errorf("%s: valueFrom: %v", v, err)
	}
	ref, err := ParseRef(s)
	if err != nil {
		return Mapping{}, fmt.Errorf("%s: %v", v, err)
	}
	return Mapping{Name: v, Ref: ref}, nil
}

func varName(n *yaml.Node) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", errors.New("variable name must be a string")
	}
	if !ValidName(n.Value) {
		return "", fmt.Errorf("invalid variable name %q: want [A-Za-z_][A-Za-z0-9_]*", n.Value)
	}
	return n.Value, nil
}

// stringValue returns the text of a string scalar. Other scalars are
// refused so that `KEY: 123` is not taken for a parameter named 123 by
// accident.
func stringValue(n *yaml.Node) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", errors.New("want a string")
	}
	if n.Tag != "!!str" {
		return "", fmt.Errorf("want a string, not %s %q (quote it)",
			strings.TrimPrefix(n.Tag, "!!"), n.Value)
	}
	return n.Value, nil
}

// refNode reads the value of a Copilot secrets entry: a string reference or
// a {secretsmanager: ...} object.
func refNode(v *yaml.Node) (Ref, error) {
	if v.Kind == yaml.MappingNode {
		return refObject(v)
	}
	s, err := stringValue(v)
	if err != nil {
		return Ref{}, err
	}
	return ParseRef(s)
}

func refObject(v *yaml.Node) (Ref, error) {
	if len(v.Content) != 2 {
		return Ref{}, errors.New("want a reference or {secretsmanager: ID}")
	}
	key, val := v.Content[0].Value, v.Content[1]
	switch key {
	case "secretsmanager":
		s, err := stringValue(val)
		if err != nil {
			return Ref{}, fmt.Errorf("secretsmanager: %v", err)
		}
		return ParseSecretRef(s)
	case "from_cfn":
		return Ref{}, errors.New("from_cfn is not supported: " +
			"a CloudFormation export exists only inside a Copilot deployment; " +
			"give the parameter name or ARN instead")
	}
	return Ref{}, fmt.Errorf("unknown key %q: want secretsmanager", key)
}
