package resolve

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// The seeds of these targets are in testdata/fuzz/<target>/.

func FuzzParseRef(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRef(s)
		if err != nil {
			checkFuzzRefError(t, s, r, err)
			return
		}
		checkFuzzRef(t, s, r)
		if r.Service == SSM && !strings.HasPrefix(s, "arn:") {
			if r.Region != "" || r.Account != "" {
				t.Errorf("ParseRef(%q): a name has region %q account %q", s, r.Region, r.Account)
			}
			if s != r.ID && s != r.ID+":"+r.Selector {
				t.Errorf("ParseRef(%q): ID %q and selector %q do not make up the text",
					s, r.ID, r.Selector)
			}
		}
	})
}

func FuzzParseSecretRef(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseSecretRef(s)
		if err != nil {
			checkFuzzRefError(t, s, r, err)
			return
		}
		checkFuzzRef(t, s, r)
		if r.Service != SecretsManager {
			t.Errorf("ParseSecretRef(%q): service %v", s, r.Service)
		}
	})
}

func checkFuzzRefError(t *testing.T, s string, r Ref, err error) {
	var re *RefError
	if !errors.As(err, &re) || re.Ref != s {
		t.Errorf("parse(%q): error %T %v, want a *RefError naming the input", s, err, err)
	}
	if r != (Ref{}) {
		t.Errorf("parse(%q): %+v returned with an error", s, r)
	}
}

func checkFuzzRef(t *testing.T, s string, r Ref) {
	if r.Text != s {
		t.Errorf("parse(%q): Text %q", s, r.Text)
	}
	if r.Service != SSM && r.Service != SecretsManager {
		t.Errorf("parse(%q): service %v", s, r.Service)
	}
	if r.ID == "" {
		t.Errorf("parse(%q): empty ID", s)
	}
	if r.Service == SSM && (r.JSONKey != "" || r.Stage != "" || r.VersionID != "") {
		t.Errorf("parse(%q): SSM reference with a Secrets Manager suffix: %+v", s, r)
	}
	if r.Service == SecretsManager && r.Selector != "" {
		t.Errorf("parse(%q): secret with a selector: %+v", s, r)
	}
	isARN := strings.HasPrefix(r.ID, "arn:")
	if (r.Region == "") != (r.Account == "") || (r.Region != "") != isARN {
		t.Errorf("parse(%q): region %q, account %q, ID %q", s, r.Region, r.Account, r.ID)
	}
}

func FuzzParseSecrets(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		ms, err := parseSecretsWithin(t, data, time.Second)
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Source != "fuzz" {
				t.Errorf("error %T %v, want a *ConfigError naming the source", err, err)
			}
			if ms != nil {
				t.Errorf("mappings %+v returned with an error", ms)
			}
			return
		}
		for _, m := range ms {
			if !ValidName(m.Name) {
				t.Errorf("invalid variable name %q", m.Name)
			}
			if m.Source != "fuzz" {
				t.Errorf("%s: source %q", m.Name, m.Source)
			}
			if !reparses(m.Ref) {
				t.Errorf("%s: %+v is not what its text parses to", m.Name, m.Ref)
			}
		}
	})
}

// parseSecretsWithin parses data as mapping text, and fails the test when
// that takes longer than limit: mapping text is read at every start.
func parseSecretsWithin(t *testing.T, data []byte, limit time.Duration) ([]Mapping, error) {
	type result struct {
		ms  []Mapping
		err error
	}
	done := make(chan result, 1)
	go func() {
		ms, err := ParseSecrets(data, "fuzz")
		done <- result{ms, err}
	}()
	select {
	case r := <-done:
		return r.ms, r.err
	case <-time.After(limit):
		t.Fatalf("ParseSecrets(%q) did not return within %v", data, limit)
		return nil, nil
	}
}

// reparses reports whether r is what its text parses to, as a reference
// or as a {secretsmanager: ...} entry.
func reparses(r Ref) bool {
	a, errA := ParseRef(r.Text)
	b, errB := ParseSecretRef(r.Text)
	return errA == nil && a == r || errB == nil && b == r
}

// FuzzInline takes an environment as lines.
func FuzzInline(f *testing.F) {
	f.Fuzz(func(t *testing.T, env string) {
		environ := strings.Split(env, "\n")
		ms, err := Inline(environ)
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) || !strings.HasPrefix(ce.Source, "variable ") {
				t.Errorf("error %T %v, want a *ConfigError naming the variable", err, err)
			}
			return
		}
		for _, m := range ms {
			if !ValidName(m.Name) || strings.HasPrefix(m.Name, SettingPrefix) {
				t.Errorf("mapping of variable %q", m.Name)
			}
			if m.Source != "variable "+m.Name {
				t.Errorf("%s: source %q", m.Name, m.Source)
			}
			scheme := "ssm://"
			if m.Ref.Service == SecretsManager {
				scheme = "secretsmanager://"
			}
			if !reparses(m.Ref) || !slices.Contains(environ, m.Name+"="+scheme+m.Ref.Text) {
				t.Errorf("%s: %+v is not the reference of the environment", m.Name, m.Ref)
			}
		}
	})
}
