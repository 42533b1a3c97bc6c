package resolve

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// FileOptions tell ParseFile how to read a manifest or task definition.
type FileOptions struct {
	// App and Env are the Copilot application and environment: Env picks
	// a manifest's environment override, and both are predefined for
	// interpolation.
	App, Env string
	// Container picks a container of a task definition with several.
	Container string
	// LookupEnv finds the variables that ${NAME} in a manifest refers to.
	LookupEnv func(name string) (string, bool)
}

// File is what a mappings file asks for.
type File struct {
	// Mappings are the secrets to resolve.
	Mappings []Mapping
	// Environment is a task definition's plain environment.
	Environment []Var
}

// ParseFile reads a mappings file: either form that ParseSecrets takes, a
// Copilot service manifest, or an ECS task definition, bare or as
// `aws ecs describe-task-definition` prints it. Source names the file in
// messages.
func ParseFile(data []byte, source string, opt FileOptions) (*File, error) {
	n, err := parseDocument(data)
	if err != nil {
		return nil, &ConfigError{Source: source, Err: err}
	}
	switch {
	case n == nil:
		return &File{}, nil
	case field(n, "taskDefinition") != nil:
		return taskDefinition(field(n, "taskDefinition"), source, opt)
	case field(n, "containerDefinitions") != nil:
		return taskDefinition(n, source, opt)
	case isManifest(n):
		ms, err := manifest(n, source, opt)
		return &File{Mappings: ms}, err
	}
	ms, err := secretsNode(n, source, source)
	return &File{Mappings: ms}, err
}

// field returns the value of key in a map node, or nil.
func field(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// isManifest tells a Copilot manifest from a plain map of secrets. In a
// plain map every value is a reference: a string or a {secretsmanager: ID}
// object. A manifest has blocks of other shapes (image, secrets,
// environments...), or at least the name and type every manifest has.
func isManifest(n *yaml.Node) bool {
	if n.Kind != yaml.MappingNode {
		return false
	}
	for i := 1; i < len(n.Content); i += 2 {
		v := n.Content[i]
		isRef := v.Kind == yaml.ScalarNode ||
			v.Kind == yaml.MappingNode && len(v.Content) == 2 &&
				(v.Content[0].Value == "secretsmanager" || v.Content[0].Value == "from_cfn")
		if !isRef {
			return true
		}
	}
	t := field(n, "type")
	return field(n, "name") != nil && t != nil && strings.Contains(t.Value, " ")
}

// manifest reads the secrets of a Copilot manifest: the top-level block,
// with the selected environment's block merged over it key by key.
func manifest(n *yaml.Node, source string, opt FileOptions) ([]Mapping, error) {
	base, err := manifestSecrets(field(n, "secrets"), source, "secrets", opt)
	if err != nil {
		return nil, err
	}
	if opt.Env == "" {
		return base, nil
	}
	block := field(field(n, "environments"), opt.Env)
	if block == nil {
		return base, nil
	}
	where := "environments." + opt.Env + ".secrets"
	over, err := manifestSecrets(field(block, "secrets"), source, where, opt)
	if err != nil {
		return nil, err
	}
	for _, m := range over {
		i := slices.IndexFunc(base, func(b Mapping) bool { return b.Name == m.Name })
		if i >= 0 {
			base[i] = m
		} else {
			base = append(base, m)
		}
	}
	return base, nil
}

func manifestSecrets(n *yaml.Node, file, block string, opt FileOptions) ([]Mapping, error) {
	where := file + " (" + block + ")"
	if n == nil {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return secretsNode(n, file, where)
	}
	// The text of each reference that interpolation changed, by the line
	// of its variable.
	orig := make(map[int]string)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		before := refText(v)
		if err := interpolate(v, opt); err != nil {
			return nil, &ConfigError{Source: file, Line: err.line, Err: err.err}
		}
		if refText(v) != before {
			orig[k.Line] = before
		}
	}
	ms, err := secretsMap(n, file, where)
	var ce *ConfigError
	if errors.As(err, &ce) && orig[ce.Line] != "" {
		// The message would quote the value with its variables substituted,
		// and a variable may hold anything: quote it as written instead.
		ce.Err = fmt.Errorf("reference %q is not valid once its variables are substituted",
			orig[ce.Line])
	}
	return ms, err
}

// refText is the text of a secrets entry's reference: the string, or the
// value of a {secretsmanager: ID} object.
func refText(v *yaml.Node) string {
	if v.Kind == yaml.MappingNode && len(v.Content) == 2 {
		return v.Content[1].Value
	}
	return v.Value
}

// lineError is an error on a line of a file.
type lineError struct {
	line int
	err  error
}

// interpolate substitutes ${NAME} in the string values below n, as Copilot
// does in a manifest, and strips one layer of single quotes around each.
func interpolate(n *yaml.Node, opt FileOptions) *lineError {
	for i, c := range n.Content {
		if n.Kind == yaml.MappingNode && i%2 == 0 {
			continue // keys are variable names
		}
		if err := interpolate(c, opt); err != nil {
			return err
		}
	}
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		return nil
	}
	v, err := expand(n.Value, opt)
	if err != nil {
		return &lineError{n.Line, err}
	}

	if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
		v = v[1 : len(v)-1]
	}
	n.Value = v
	return nil
}

// expand replaces ${NAME} with its value; \${ stands for a literal ${.
func expand(s string, opt FileOptions) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		if i > 0 && s[i-1] == '\\' {
			b.WriteString(s[:i-1] + "${")
			s = s[i+2:]
			continue
		}
		end := strings.IndexByte(s[i:], '}')
		name := ""
		if end > 0 {
			name = s[i+2 : i+end]
		}
		if !ValidName(name) {
			b.WriteString(s[:i+2])
			s = s[i+2:]
			continue
		}
		v, err := lookupVar(name, opt)
		if err != nil {
			return "", err
		}
		b.WriteString(s[:i] + v)
		s = s[i+end+1:]
	}
}

// lookupVar finds a variable for interpolation. The application and
// environment names are predefined, and the environment may not say
// otherwise.
func lookupVar(name string, opt FileOptions) (string, error) {
	predefined := map[string]string{
		"COPILOT_APPLICATION_NAME": opt.App,
		"COPILOT_ENVIRONMENT_NAME": opt.Env,
	}
	pre, isPre := predefined[name]
	var v string
	var ok bool
	if opt.LookupEnv != nil {
		v, ok = opt.LookupEnv(name)
	}
	switch {
	case isPre && pre != "" && v != "" && v != pre:
		return "", fmt.Errorf("${%s} is %q, but the variable %s says %q", name, pre, name, v)
	case isPre && pre != "":
		return pre, nil
	case ok:
		return v, nil
	case isPre:
		return "", fmt.Errorf("${%s} is not known: give --app and --env", name)
	}
	return "", fmt.Errorf("${%s}: variable %s is not defined", name, name)
}

// taskDefinition reads the secrets and environment of one container.
func taskDefinition(n *yaml.Node, source string, opt FileOptions) (*File, error) {
	c, err := container(field(n, "containerDefinitions"), opt.Container)
	if err != nil {
		return nil, &ConfigError{Source: source, Err: err}
	}
	name := field(c, "name")
	where := source + " (container " + name.Value + ")"
	f := &File{}
	if s := field(c, "secrets"); s != nil {
		if s.Kind != yaml.SequenceNode {
			return nil, &ConfigError{Source: source, Line: s.Line,
				Err: errors.New("secrets: want a list")}
		}
		if f.Mappings, err = secretsList(s, source, where); err != nil {
			return nil, err
		}
	}
	if f.Environment, err = environment(field(c, "environment")); err != nil {
		return nil, &ConfigError{Source: source, Err: err}
	}
	return f, nil
}

// container picks the named container, or the only one.
func container(defs *yaml.Node, want string) (*yaml.Node, error) {
	if defs == nil || defs.Kind != yaml.SequenceNode || len(defs.Content) == 0 {
		return nil, errors.New("containerDefinitions: want a list of containers")
	}
	var names []string
	for _, c := range defs.Content {
		name := field(c, "name")
		if name == nil || name.Kind != yaml.ScalarNode {
			return nil, errors.New("containerDefinitions: a container has no name")
		}
		if name.Value == want || want == "" && len(defs.Content) == 1 {
			return c, nil
		}
		names = append(names, name.Value)
	}
	if want == "" {
		return nil, fmt.Errorf("%d containers (%s): choose one with --container",
			len(names), strings.Join(names, ", "))
	}
	return nil, fmt.Errorf("no container %q: there are %s", want, strings.Join(names, ", "))
}

// environment reads a container's list of {name, value}.
func environment(n *yaml.Node) ([]Var, error) {
	if n == nil {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, errors.New("environment: want a list of {name, value}")
	}
	vars := make([]Var, 0, len(n.Content))
	for _, e := range n.Content {
		name, value := field(e, "name"), field(e, "value")
		if name == nil || value == nil || name.Kind != yaml.ScalarNode ||
			value.Kind != yaml.ScalarNode || strings.Contains(name.Value, "=") {
			return nil, fmt.Errorf("line %d: environment: want {name, value}", e.Line)
		}
		vars = append(vars, Var{Name: name.Value, Value: value.Value})
	}
	return vars, nil
}
