package resolve

import (
	"fmt"
	"strings"
)

// SettingPrefix begins the names of secret-exec's own settings, which are
// never passed on to the command.
const SettingPrefix = "SECRET_EXEC_"

// Inline finds the inline references in an environment: variables whose
// value is ssm://REF or secretsmanager://REF. secret-exec's own settings
// are passed over.
func Inline(environ []string) ([]Mapping, error) {
	var ms []Mapping
	for _, kv := range environ {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || strings.HasPrefix(name, SettingPrefix) {
			continue
		}
		ref, isRef, err := inlineRef(val)
		if !isRef {
			continue
		}
		source := "variable " + name
		if err == nil && !ValidName(name) {
			err = fmt.Errorf("invalid variable name %q: want [A-Za-z_][A-Za-z0-9_]*", name)
		}
		if err != nil {
			return nil, &ConfigError{Source: source, Err: err}
		}
		ms = append(ms, Mapping{Name: name, Ref: ref, Source: source})
	}
	return ms, nil
}

// inlineRef parses an inline reference; isRef is false when val is an
// ordinary value.
func inlineRef(val string) (ref Ref, isRef bool, err error) {
	if s, ok := strings.CutPrefix(val, "ssm://"); ok {
		ref, err = ParseRef(s)
		if err == nil && ref.Service != SSM {
			err = fmt.Errorf("reference %q: ssm:// takes an SSM parameter", s)
		}
		return ref, true, err
	}
	if s, ok := strings.CutPrefix(val, "secretsmanager://"); ok {
		ref, err = ParseSecretRef(s)
		return ref, true, err
	}
	return Ref{}, false, nil
}

// Merge joins mappings from several sources, keeping the first place each
// variable was defined. A variable defined twice with different references
// is an error that names both places.
func Merge(sets ...[]Mapping) ([]Mapping, error) {
	var out []Mapping
	seen := make(map[string]int)
	for _, set := range sets {
		for _, m := range set {
			i, dup := seen[m.Name]
			if !dup {
				seen[m.Name] = len(out)
				out = append(out, m)
				continue
			}
			prev := out[i]
			if prev.Ref.Text != m.Ref.Text || prev.Ref.Service != m.Ref.Service {
				return nil, fmt.Errorf("%s is mapped twice: to %s %q in %s and to %s %q in %s",
					m.Name, prev.Ref.Service, prev.Ref.Text, prev.Source,
					m.Ref.Service, m.Ref.Text, m.Source)
			}
		}
	}
	return out, nil
}

// Var is an environment variable to set in the command's environment.
type Var struct {
	Name, Value string
}

// Environ builds the command's environment: base without secret-exec's
// own settings, then each of vars in order, each replacing any earlier
// variable of its name.
func Environ(base []string, vars []Var) []string {
	env := make([]string, 0, len(base)+len(vars))
	index := make(map[string]int, len(base)+len(vars))
	set := func(name, kv string) {
		if i, ok := index[name]; ok {
			env[i] = kv
			return
		}
		index[name] = len(env)
		env = append(env, kv)
	}
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, SettingPrefix) {
			set(name, kv)
		}
	}
	for _, v := range vars {
		set(v.Name, v.Name+"="+v.Value)
	}
	return env
}
